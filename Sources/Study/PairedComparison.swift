import Core
import Foundation

// The statistics a study report needs to compare an arm against the baseline (SFT) across seeds: an exact
// sign-flip permutation test on the per-seed paired differences, Holm–Bonferroni correction across the
// secondary comparisons, and the minimum detectable effect of the paired design. All pure functions.

/// Namespace for the paired-design statistics.
public enum PairedStatistics {
    /// The number of seeds up to which `signFlipPValue` enumerates all 2ⁿ sign assignments exactly.
    public static let exactLimit = 20
    /// The number of random sign assignments `signFlipPValue` draws above `exactLimit`.
    public static let monteCarloDraws = 200_000

    /// Two-sided p-value of the sign-flip (paired randomization) test of "the differences are symmetric about
    /// zero", i.e. "the arm and the baseline are exchangeable within each seed".
    ///
    /// `differences` are the per-seed paired differences d₁…dₙ (arm minus baseline on the same seed). Under the
    /// null hypothesis every one of the 2ⁿ sign assignments (±d₁, …, ±dₙ) is equally likely; the p-value is the
    /// fraction of them whose |mean| is at least the observed |mean| (less a relative tolerance of 1e-10 · Σ|dᵢ|,
    /// so that assignments tied with the observed one up to rounding count as ties).
    ///
    /// - Up to `exactLimit` (20) differences the 2ⁿ assignments are enumerated exactly, so the p-value is a
    ///   multiple of 1/2ⁿ. Note the smallest attainable value is 2/2ⁿ: with 5 seeds it is 0.0625, so fewer than
    ///   6 seeds can never reach p < 0.05.
    /// - Above that it is a Monte Carlo estimate from `monteCarloDraws` (200,000) uniformly random sign
    ///   assignments drawn from `SeededRandom(seed:)`, so the same input and seed always give the same value.
    ///   The estimate is (b + 1) / (B + 1) with b of the B draws at least as extreme, which counts the observed
    ///   assignment and keeps the p-value valid (never 0); its standard error is at most about 0.0011.
    /// - All-zero differences give p = 1.
    public static func signFlipPValue(_ differences: [Double], seed: UInt64 = 0) -> Double {
        signFlipPValue(differences, exactLimit: exactLimit, draws: monteCarloDraws, seed: seed)
    }

    /// `signFlipPValue` with the exact-enumeration limit and the Monte Carlo draw count exposed (for tests).
    static func signFlipPValue(_ d: [Double], exactLimit: Int, draws: Int, seed: UInt64) -> Double {
        check(!d.isEmpty, "signFlipPValue needs at least one difference")
        check(d.allSatisfy(\.isFinite), "signFlipPValue needs finite differences, got \(d)")
        check(exactLimit <= 30, "signFlipPValue: exact enumeration is limited to 30 differences, got \(exactLimit)")
        check(draws >= 1, "signFlipPValue needs at least one Monte Carlo draw, got \(draws)")
        let scale = d.reduce(0) { $0 + abs($1) }
        if scale == 0 { return 1 }
        let tolerance = 1e-10 * scale
        let n = d.count
        if n <= exactLimit {
            // Assignment `mask` flips the differences whose bit is set: its sum is total − 2 · (sum of the flipped
            // ones). The flipped sum is split into subset sums of the low and high halves, tabulated once, so each
            // of the 2ⁿ assignments costs one addition; mask 0 is the observed assignment.
            let lowBits = n / 2
            let low = subsetSums(Array(d[0..<lowBits]))
            let high = subsetSums(Array(d[lowBits...]))
            let total = d.reduce(0, +)
            let threshold = abs(total) - tolerance
            var count = 0
            for h in high {
                for l in low where abs(total - 2 * (l + h)) >= threshold { count += 1 }
            }
            return Double(count) / Double(low.count * high.count)
        }
        var random = SeededRandom(seed: seed)
        let threshold = abs(d.reduce(0, +)) - tolerance
        var extreme = 0
        var bits: UInt64 = 0
        for _ in 0..<draws {
            var sum = 0.0
            for i in 0..<n {
                if i % 64 == 0 { bits = random.next() }
                sum += (bits >> UInt64(i % 64)) & 1 == 0 ? d[i] : -d[i]
            }
            if abs(sum) >= threshold { extreme += 1 }
        }
        return Double(extreme + 1) / Double(draws + 1)
    }

    /// The sums of all 2ᵏ subsets of `values`, indexed by the subset's bit mask.
    private static func subsetSums(_ values: [Double]) -> [Double] {
        var sums = [Double](repeating: 0, count: 1 << values.count)
        for mask in 1..<sums.count {
            sums[mask] = sums[mask & (mask - 1)] + values[mask.trailingZeroBitCount]
        }
        return sums
    }

    /// The minimum detectable effect of a paired design: the smallest true mean difference that `n` seeds detect
    /// with 80% power in a two-sided test at α = 0.05, given the sample standard deviation `std` of the paired
    /// differences: (t₀.₉₇₅,ₙ₋₁ + t₀.₈₀,ₙ₋₁) · std / √n.
    ///
    /// This is the usual central-t approximation (exact power needs the noncentral t distribution); beyond 30
    /// degrees of freedom the quantiles are the normal 1.96 and 0.8416. Needs n ≥ 2.
    public static func minimumDetectableEffect(n: Int, std: Double) -> Double {
        check(n >= 2, "minimumDetectableEffect needs at least two seeds, got \(n)")
        check(std >= 0 && std.isFinite, "minimumDetectableEffect needs a finite, non-negative std, got \(std)")
        let df = n - 1
        return (SeedStatistics.t95(degreesOfFreedom: df) + SeedStatistics.t80(degreesOfFreedom: df))
            * std / Double(n).squareRoot()
    }
}

/// Holm–Bonferroni step-down correction of m p-values for the family-wise error rate.
///
/// With the p-values sorted ascending, p₍₁₎ ≤ … ≤ p₍ₘ₎, the adjusted value of p₍ₖ₎ is
/// max over j ≤ k of min(1, (m − j + 1) · p₍ⱼ₎), so the adjusted values are monotone in the sorted order.
/// A hypothesis is rejected when its adjusted p-value is ≤ alpha, which is the step-down rule "reject p₍ₖ₎
/// while p₍ₖ₎ ≤ alpha / (m − k + 1)".
public struct HolmBonferroni: Sendable, Equatable {
    /// The input p-values, in the input order.
    public var pValues: [Double]
    /// The adjusted p-values, in the input order.
    public var adjusted: [Double]
    public var alpha: Double
    /// Whether each hypothesis is rejected at `alpha`, in the input order.
    public var rejected: [Bool]

    public init(_ pValues: [Double], alpha: Double = 0.05) {
        check(pValues.allSatisfy { $0 >= 0 && $0 <= 1 }, "HolmBonferroni needs p-values in [0, 1], got \(pValues)")
        self.pValues = pValues
        self.alpha = alpha
        adjusted = Self.adjust(pValues)
        rejected = adjusted.map { $0 <= alpha }
    }

    /// The Holm-adjusted p-values, in the input order.
    public static func adjust(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        // Ascending by p-value; ties keep their input order (they get the same adjusted value either way).
        let order = pValues.indices.sorted { (pValues[$0], $0) < (pValues[$1], $1) }
        var adjusted = [Double](repeating: 0, count: m)
        var running = 0.0
        for (rank, index) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * pValues[index]))
            adjusted[index] = running
        }
        return adjusted
    }
}

/// One arm compared with the baseline across seeds, from the per-seed paired differences (arm − baseline).
///
/// Encodes as `{"arm", "baseline", "n", "mean", "ci95": [low, high], "p_permutation", "p_holm", "mde80"}`;
/// `p_holm` is null until `holmAdjusted` fills it, `mde80` is null for a single seed.
public struct PairedComparison: Sendable, Equatable, Encodable {
    public var arm: String
    public var baseline: String
    /// The per-seed differences' statistics: mean, sample std and 95% t interval.
    public var differences: SeedStatistics
    /// Two-sided sign-flip permutation p-value (`PairedStatistics.signFlipPValue`).
    public var pPermutation: Double
    /// The Holm–Bonferroni adjusted permutation p-value within a family of comparisons; nil until adjusted.
    public var pHolm: Double?
    /// Minimum detectable effect at 80% power, α = 0.05, from the differences' spread; nil for one seed.
    public var mde80: Double?

    public var n: Int { differences.n }
    /// The mean paired difference, arm minus baseline.
    public var meanDifference: Double { differences.mean }

    /// Compares from the per-seed differences (arm − baseline, one per seed); `seed` drives the Monte Carlo
    /// permutation test above 20 seeds.
    public init(arm: String, baseline: String, differences: [Double], seed: UInt64 = 0) {
        self.arm = arm
        self.baseline = baseline
        self.differences = SeedStatistics(differences)
        pPermutation = PairedStatistics.signFlipPValue(differences, seed: seed)
        pHolm = nil
        mde80 = differences.count >= 2
            ? PairedStatistics.minimumDetectableEffect(n: differences.count, std: self.differences.std) : nil
    }

    /// Compares from the arm's and the baseline's values, paired by position (the same seed at each index).
    public init(arm: String, baseline: String, armValues: [Double], baselineValues: [Double], seed: UInt64 = 0) {
        check(armValues.count == baselineValues.count,
              "PairedComparison: \(armValues.count) \(arm) values but \(baselineValues.count) \(baseline) values")
        self.init(arm: arm, baseline: baseline, differences: zip(armValues, baselineValues).map { $0 - $1 },
                  seed: seed)
    }

    /// The comparisons with `pHolm` filled by a Holm–Bonferroni correction of their permutation p-values as one
    /// family (pass only the comparisons that form the family, e.g. the secondary ones), in the input order.
    public static func holmAdjusted(_ comparisons: [PairedComparison]) -> [PairedComparison] {
        let adjusted = HolmBonferroni.adjust(comparisons.map(\.pPermutation))
        return zip(comparisons, adjusted).map { comparison, p in
            var c = comparison
            c.pHolm = p
            return c
        }
    }

    private enum CodingKeys: String, CodingKey {
        case arm, baseline, n, mean, ci95
        case pPermutation = "p_permutation", pHolm = "p_holm", mde80
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(arm, forKey: .arm)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(n, forKey: .n)
        try c.encode(meanDifference, forKey: .mean)
        try c.encode([differences.low, differences.high], forKey: .ci95)
        try c.encode(pPermutation, forKey: .pPermutation)
        // Always present (null when absent) so the key set is stable.
        if let pHolm { try c.encode(pHolm, forKey: .pHolm) } else { try c.encodeNil(forKey: .pHolm) }
        if let mde80 { try c.encode(mde80, forKey: .mde80) } else { try c.encodeNil(forKey: .mde80) }
    }
}

extension SeedStatistics {
    /// The one-sided 80% quantile of Student's t (for 80% power); the normal 0.8416 beyond 30 degrees of
    /// freedom. Values from `scipy.stats.t.ppf(0.8, df)`, rounded to three decimals.
    public static func t80(degreesOfFreedom df: Int) -> Double {
        check(df >= 1, "t80 needs at least one degree of freedom")
        return df <= t80Table.count ? t80Table[df - 1] : 0.8416
    }

    private static let t80Table: [Double] = [
        1.376, 1.061, 0.978, 0.941, 0.920, 0.906, 0.896, 0.889, 0.883, 0.879, 0.876, 0.873, 0.870, 0.868, 0.866,
        0.865, 0.863, 0.862, 0.861, 0.860, 0.859, 0.858, 0.858, 0.857, 0.856, 0.856, 0.855, 0.855, 0.854, 0.854,
    ]
}
