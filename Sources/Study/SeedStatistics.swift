import Foundation

/// A metric's spread across seeds: mean, sample standard deviation and a 95% confidence interval for the
/// mean from Student's t distribution (n − 1 degrees of freedom).
public struct SeedStatistics: Sendable, Equatable, Encodable {
    public var n: Int
    public var mean: Double
    /// Sample standard deviation (n − 1 in the denominator); 0 for one value.
    public var std: Double
    /// Half the width of the 95% interval: the interval is mean ± halfWidth; 0 for one value.
    public var halfWidth: Double

    public var low: Double { mean - halfWidth }
    public var high: Double { mean + halfWidth }

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "SeedStatistics needs at least one value")
        n = values.count
        mean = values.reduce(0, +) / Double(n)
        let m = mean
        std = n > 1 ? (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)).squareRoot() : 0
        halfWidth = n > 1 ? Self.t95(degreesOfFreedom: n - 1) * std / Double(n).squareRoot() : 0
    }

    private enum CodingKeys: String, CodingKey { case n, mean, std, ci95 }

    /// `{"n", "mean", "std", "ci95": [low, high]}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(n, forKey: .n)
        try c.encode(mean, forKey: .mean)
        try c.encode(std, forKey: .std)
        try c.encode([low, high], forKey: .ci95)
    }

    /// Whether the interval excludes zero (for a paired difference: the difference is significant at 5%).
    public var excludesZero: Bool { n > 1 && (low > 0 || high < 0) }

    /// The two-sided 95% critical value of Student's t; the normal 1.96 beyond 30 degrees of freedom.
    public static func t95(degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1, "t95 needs at least one degree of freedom")
        return df <= table.count ? table[df - 1] : 1.96
    }

    private static let table: [Double] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ]
}
