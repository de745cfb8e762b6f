import Foundation
import XCTest
@testable import Study

final class PairedComparisonTests: XCTestCase {
    // MARK: Sign-flip permutation test

    /// Independent brute force: every sign vector built recursively as an array, each sum recomputed from scratch.
    private func bruteForcePValue(_ d: [Double]) -> Double {
        func signVectors(_ n: Int) -> [[Double]] {
            n == 0 ? [[]] : signVectors(n - 1).flatMap { [$0 + [1], $0 + [-1]] }
        }
        let observed = abs(d.reduce(0, +) / Double(d.count))
        let vectors = signVectors(d.count)
        let extreme = vectors.filter { signs in
            abs(zip(signs, d).map { $0 * $1 }.reduce(0, +) / Double(d.count)) >= observed - 1e-9
        }
        return Double(extreme.count) / Double(vectors.count)
    }

    func testExactPValueMatchesBruteForce() {
        let cases: [[Double]] = [
            [0.3], [-0.2], [0],
            [0.1, 0.2], [0.1, -0.1], [0.05, -0.01],
            [0.01, 0.02, 0.03], [0.01, -0.02, 0.03], [-0.04, -0.01, -0.02],
            [1, 2, 3, -4], [0.1, 0.2, -0.3, 0.3],  // ties with non-trivial assignments (and 0.1 + 0.2 ≠ 0.3)
            [0.02, 0, 0.01, 0, -0.005],  // zeros
            [0.5, 0.5, 0.5, 0.5, -0.5, -0.5],  // many ties
            [-0.012, -0.03, 0.004, -0.021, -0.018, -0.007, 0.002],  // negative mean
            [0.013, 0.021, -0.004, 0.017, 0.009, 0.026, -0.011, 0.015],
            [0.1, -0.1, 0.2, -0.2, 0.3, -0.3, 0.4, -0.4],  // observed mean 0
        ]
        for d in cases {
            XCTAssertEqual(PairedStatistics.signFlipPValue(d), bruteForcePValue(d), accuracy: 1e-15, "\(d)")
        }
        // Random cases n = 1…8.
        var random = SystemRandomNumberGenerator()
        for n in 1...8 {
            for _ in 0..<5 {
                let d = (0..<n).map { _ in Double.random(in: -0.05...0.08, using: &random) }
                XCTAssertEqual(PairedStatistics.signFlipPValue(d), bruteForcePValue(d), accuracy: 1e-15, "\(d)")
            }
        }
    }

    func testKnownExactValues() {
        XCTAssertEqual(PairedStatistics.signFlipPValue([0.01, 0.02, 0.03, 0.04, 0.05]), 2.0 / 32)  // 0.0625
        XCTAssertEqual(PairedStatistics.signFlipPValue([-0.01, -0.02, -0.03, -0.04, -0.05]), 2.0 / 32)
        XCTAssertEqual(PairedStatistics.signFlipPValue([1, 2, 3, 4, 5, 6]), 2.0 / 64)
        XCTAssertEqual(PairedStatistics.signFlipPValue([0.7]), 1)  // one seed can never be significant
        XCTAssertEqual(PairedStatistics.signFlipPValue([0, 0, 0, 0]), 1)
        XCTAssertEqual(PairedStatistics.signFlipPValue(Array(repeating: 0, count: 25)), 1)  // Monte Carlo path too
        XCTAssertEqual(PairedStatistics.signFlipPValue([1, 1, 1, 1]), 2.0 / 16)
        // |±1 ± 2 ± 3| ≥ 6 only for all + and all −; |sum| ≥ 4: ±(1+2+3)… and ±(−1+2+3) → 4/8.
        XCTAssertEqual(PairedStatistics.signFlipPValue([-1, 2, 3]), 4.0 / 8)
    }

    func testExactAtTheLimitIsAMultipleOfTheEnumeration() {
        let d = (0..<20).map { 0.02 * sin(1.3 * Double($0)) + 0.006 }
        let p = PairedStatistics.signFlipPValue(d)
        let count = p * Double(1 << 20)
        XCTAssertEqual(count, count.rounded(), accuracy: 1e-9)
        XCTAssertGreaterThan(p, 0)
        XCTAssertLessThan(p, 1)
    }

    func testMonteCarloAgreesWithExactAndIsDeterministicBySeed() {
        let d = (0..<21).map { 0.03 * sin(1.7 * Double($0) + 0.3) + 0.008 }
        let exact = PairedStatistics.signFlipPValue(d, exactLimit: 21, draws: 1, seed: 0)
        XCTAssertEqual(exact, 0.05238151550292969, accuracy: 1e-15)  // itertools.product in Python, 2²¹ vectors
        let monteCarlo = PairedStatistics.signFlipPValue(d)
        XCTAssertEqual(monteCarlo, exact, accuracy: 0.01)
        XCTAssertNotEqual(monteCarlo * Double(1 << 21), (monteCarlo * Double(1 << 21)).rounded())  // really sampled
        XCTAssertEqual(PairedStatistics.signFlipPValue(d), monteCarlo)  // same seed, same value
        let otherSeed = PairedStatistics.signFlipPValue(d, seed: 7)
        XCTAssertNotEqual(otherSeed, monteCarlo)
        XCTAssertEqual(otherSeed, exact, accuracy: 0.01)
        // More than 64 differences use several random words per draw.
        let long = (0..<70).map { 0.03 * sin(0.9 * Double($0)) + 0.004 }
        let pLong = PairedStatistics.signFlipPValue(long, exactLimit: 20, draws: 20_000, seed: 1)
        XCTAssertGreaterThan(pLong, 0)
        XCTAssertLessThanOrEqual(pLong, 1)
    }

    // MARK: Holm–Bonferroni

    func testHolmHandWorkedExample() {
        // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max(0.06, 0.04) = 0.06.
        let holm = HolmBonferroni([0.01, 0.04, 0.03, 0.005])
        for (a, b) in zip(holm.adjusted, [0.03, 0.06, 0.06, 0.02]) { XCTAssertEqual(a, b, accuracy: 1e-15) }
        XCTAssertEqual(holm.rejected, [true, false, false, true])
        XCTAssertEqual(holm.alpha, 0.05)
    }

    func testHolmCapsAtOneKeepsTiesAndHandlesEdgeCases() {
        let holm = HolmBonferroni([0.5, 0.2, 0.2, 0.9])
        // Sorted 0.2·4 = 0.8, 0.2·3 = 0.6 → 0.8, 0.5·2 = 1, 0.9 → 1.
        for (a, b) in zip(holm.adjusted, [1, 0.8, 0.8, 1]) { XCTAssertEqual(a, b, accuracy: 1e-15) }
        XCTAssertEqual(holm.rejected, [false, false, false, false])
        XCTAssertEqual(HolmBonferroni([]).adjusted, [])
        XCTAssertEqual(HolmBonferroni([0.03]).adjusted, [0.03])
        XCTAssertEqual(HolmBonferroni([0.03]).rejected, [true])
        XCTAssertEqual(HolmBonferroni([0.01, 0.02], alpha: 0.01).rejected, [false, false])  // 0.02, 0.02
        XCTAssertEqual(HolmBonferroni([0.004, 0.02], alpha: 0.01).rejected, [true, false])  // 0.008, 0.02
    }

    // MARK: Minimum detectable effect

    func testMinimumDetectableEffect() {
        XCTAssertEqual(PairedStatistics.minimumDetectableEffect(n: 5, std: 0.02),
                       (2.776 + 0.941) * 0.02 / 5.0.squareRoot(), accuracy: 1e-15)  // ≈ 0.03325
        XCTAssertEqual(PairedStatistics.minimumDetectableEffect(n: 5, std: 0.02), 0.033245, accuracy: 1e-6)
        XCTAssertEqual(PairedStatistics.minimumDetectableEffect(n: 2, std: 1), 14.082 / 2.0.squareRoot(),
                       accuracy: 1e-12)  // ≈ 9.958
        XCTAssertEqual(PairedStatistics.minimumDetectableEffect(n: 10, std: 0.01), 0.0099454, accuracy: 1e-7)
        XCTAssertEqual(PairedStatistics.minimumDetectableEffect(n: 40, std: 0.05), 2.8016 * 0.05 / 40.0.squareRoot(),
                       accuracy: 1e-15)  // normal quantiles beyond 30 df
        XCTAssertEqual(PairedStatistics.minimumDetectableEffect(n: 8, std: 0), 0)
    }

    func testT80Table() {
        XCTAssertEqual(SeedStatistics.t80(degreesOfFreedom: 1), 1.376)
        XCTAssertEqual(SeedStatistics.t80(degreesOfFreedom: 4), 0.941)
        XCTAssertEqual(SeedStatistics.t80(degreesOfFreedom: 10), 0.879)
        XCTAssertEqual(SeedStatistics.t80(degreesOfFreedom: 30), 0.854)
        XCTAssertEqual(SeedStatistics.t80(degreesOfFreedom: 31), 0.8416)
        let values = (1...31).map { SeedStatistics.t80(degreesOfFreedom: $0) }
        XCTAssertEqual(values, values.sorted(by: >))
    }

    // MARK: PairedComparison

    func testComparisonFromPairedValues() {
        let c = PairedComparison(arm: "remask", baseline: "sft", armValues: [0.52, 0.55, 0.50, 0.58, 0.54],
                                 baselineValues: [0.50, 0.52, 0.49, 0.55, 0.50])
        XCTAssertEqual(c.n, 5)
        XCTAssertEqual(c.meanDifference, 0.026, accuracy: 1e-12)
        XCTAssertEqual(c.differences.std, SeedStatistics([0.02, 0.03, 0.01, 0.03, 0.04]).std, accuracy: 1e-12)
        XCTAssertEqual(c.pPermutation, 2.0 / 32)
        XCTAssertNil(c.pHolm)
        XCTAssertEqual(try XCTUnwrap(c.mde80),
                       PairedStatistics.minimumDetectableEffect(n: 5, std: c.differences.std), accuracy: 1e-15)
        XCTAssertNil(PairedComparison(arm: "a", baseline: "b", differences: [0.1]).mde80)
    }

    func testHolmAdjustedFillsTheFamilyInOrder() {
        let comparisons = [
            PairedComparison(arm: "a", baseline: "sft", differences: [1, 2, 3, 4, 5, 6]),  // 2/64
            PairedComparison(arm: "b", baseline: "sft", differences: [1, -2, 3, 4, 5, 6]),  // 6/64
            PairedComparison(arm: "c", baseline: "sft", differences: [1, -1, 1, -1]),  // 1
        ]
        let adjusted = PairedComparison.holmAdjusted(comparisons)
        XCTAssertEqual(adjusted.map(\.arm), ["a", "b", "c"])
        XCTAssertEqual(adjusted.map(\.pPermutation), comparisons.map(\.pPermutation))
        XCTAssertEqual(adjusted.compactMap(\.pHolm), HolmBonferroni(comparisons.map(\.pPermutation)).adjusted)
        XCTAssertEqual(adjusted.compactMap(\.pHolm), [3 * 2.0 / 64, 2 * 6.0 / 64, 1])
    }

    func testEncodesStableKeys() throws {
        var c = PairedComparison(arm: "remask", baseline: "sft", differences: [0.01, 0.03])
        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as! [String: Any]
        }
        let keys: Set = ["arm", "baseline", "n", "mean", "ci95", "p_permutation", "p_holm", "mde80"]
        var object = try json()
        XCTAssertEqual(Set(object.keys), keys)
        XCTAssertEqual(object["arm"] as? String, "remask")
        XCTAssertEqual(object["baseline"] as? String, "sft")
        XCTAssertEqual(object["n"] as? Int, 2)
        XCTAssertEqual(try XCTUnwrap(object["mean"] as? Double), 0.02, accuracy: 1e-12)
        let ci = try XCTUnwrap(object["ci95"] as? [Double])
        XCTAssertEqual(ci[0], c.differences.low, accuracy: 1e-15)
        XCTAssertEqual(ci[1], c.differences.high, accuracy: 1e-15)
        XCTAssertEqual(object["p_permutation"] as? Double, 0.5)
        XCTAssertTrue(object["p_holm"] is NSNull)
        XCTAssertEqual(try XCTUnwrap(object["mde80"] as? Double), c.mde80!, accuracy: 1e-15)
        c.pHolm = 0.75
        object = try json()
        XCTAssertEqual(Set(object.keys), keys)
        XCTAssertEqual(object["p_holm"] as? Double, 0.75)
        c = PairedComparison(arm: "x", baseline: "sft", differences: [0.01])
        object = try json()
        XCTAssertEqual(Set(object.keys), keys)
        XCTAssertTrue(object["mde80"] is NSNull)
    }
}
