import XCTest
@testable import Study

final class SeedStatisticsTests: XCTestCase {
    func testMeanSampleStandardDeviationAndStudentInterval() {
        let s = SeedStatistics([0.2, 0.4, 0.6])
        XCTAssertEqual(s.n, 3)
        XCTAssertEqual(s.mean, 0.4, accuracy: 1e-12)
        XCTAssertEqual(s.std, 0.2, accuracy: 1e-12)  // n − 1 in the denominator
        XCTAssertEqual(s.halfWidth, 4.303 * 0.2 / 3.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(s.low, 0.4 - s.halfWidth, accuracy: 1e-12)
        XCTAssertFalse(s.excludesZero)
        XCTAssertTrue(SeedStatistics([0.05, 0.06, 0.07]).excludesZero)
        XCTAssertTrue(SeedStatistics([-0.05, -0.06, -0.07]).excludesZero)
    }

    func testOneValueHasNoSpreadAndNoSignificance() {
        let s = SeedStatistics([0.3])
        XCTAssertEqual([s.mean, s.std, s.halfWidth], [0.3, 0, 0])
        XCTAssertFalse(s.excludesZero)
    }

    func testCriticalValues() {
        XCTAssertEqual(SeedStatistics.t95(degreesOfFreedom: 1), 12.706)
        XCTAssertEqual(SeedStatistics.t95(degreesOfFreedom: 2), 4.303)
        XCTAssertEqual(SeedStatistics.t95(degreesOfFreedom: 30), 2.042)
        XCTAssertEqual(SeedStatistics.t95(degreesOfFreedom: 200), 1.96)
        // Decreasing towards the normal value.
        let values = (1...31).map { SeedStatistics.t95(degreesOfFreedom: $0) }
        XCTAssertEqual(values, values.sorted(by: >))
    }

    func testEncodesTheInterval() throws {
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(SeedStatistics([1, 3]))) as! [String: Any]
        XCTAssertEqual(json["n"] as? Int, 2)
        XCTAssertEqual(json["mean"] as? Double, 2)
        let ci = try XCTUnwrap(json["ci95"] as? [Double])
        XCTAssertEqual(ci[0], 2 - 12.706 * 2.0.squareRoot() / 2.0.squareRoot(), accuracy: 1e-9)
    }
}
