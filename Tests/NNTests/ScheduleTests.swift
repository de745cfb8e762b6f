import XCTest
import NN

final class ScheduleTests: XCTestCase {
    /// Largest |ours − reference| and largest relative deviation; fails beyond 1e-6 absolute or 1e-6
    /// relative (the rates are ~1e-3, so the absolute bound alone would be loose).
    func assertMatches(_ schedule: LearningRateSchedule, _ reference: [Double], file: StaticString = #filePath,
                       line: UInt = #line) -> (Double, Double) {
        var worst = (0.0, 0.0)
        for (step, want) in reference.enumerated() {
            let got = Double(schedule.learningRate(at: step))
            let d = abs(got - want)
            worst = (max(worst.0, d), max(worst.1, want > 0 ? d / want : d))
            XCTAssertEqual(got, want, accuracy: min(1e-6, max(want * 1e-6, 1e-15)), "\(schedule) at step \(step)",
                           file: file, line: line)
        }
        return worst
    }

    func testOneCycleMatchesPyTorchOneCycleLR() throws {
        let fixture = try OptimizerFixture.load()
        var worst = (0.0, 0.0)
        for c in fixture.one_cycle {
            let schedule = LearningRateSchedule.oneCycle(maxLR: c.max_lr, totalSteps: c.total_steps, pctStart: c.pct_start,
                                                         divFactor: c.div_factor, finalDivFactor: c.final_div_factor)
            XCTAssertNoThrow(try schedule.validate())
            let w = assertMatches(schedule, c.lr)
            worst = (max(worst.0, w.0), max(worst.1, w.1))
        }
        print("one-cycle: max |lr − PyTorch| = \(worst.0), relative \(worst.1)")
        // The default arguments are PyTorch's.
        let c = fixture.one_cycle[0]
        XCTAssertEqual(fixture.schedule, .oneCycle(maxLR: c.max_lr, totalSteps: c.total_steps, pctStart: 0.3,
                                                    divFactor: 25, finalDivFactor: 1e4))
    }

    func testCosineMatchesTransformers() throws {
        let fixture = try OptimizerFixture.load()
        var worst = (0.0, 0.0)
        for c in fixture.cosine {
            let schedule = LearningRateSchedule.cosine(maxLR: c.max_lr, warmupSteps: c.warmup_steps,
                                                       totalSteps: c.total_steps, minLR: c.min_lr)
            let w = assertMatches(schedule, c.lr)
            worst = (max(worst.0, w.0), max(worst.1, w.1))
        }
        print("cosine: max |lr − transformers| = \(worst.0), relative \(worst.1)")
    }

    func testEdgesAndStepsPastTheEnd() {
        let oneCycle = LearningRateSchedule.oneCycle(maxLR: 1e-2, totalSteps: 10)
        XCTAssertEqual(oneCycle.learningRate(at: 2), 1e-2)  // the peak at pct_start·total − 1
        XCTAssertEqual(oneCycle.learningRate(at: 9), oneCycle.learningRate(at: 50))
        XCTAssertEqual(oneCycle.learningRate(at: 9), Float(1e-2 / 25 / 1e4), accuracy: 1e-12)
        // pct_start·total = 1, where PyTorch divides by zero: an empty warm-up, step 0 at the peak.
        let noWarmup = LearningRateSchedule.oneCycle(maxLR: 1e-2, totalSteps: 10, pctStart: 0.1)
        XCTAssertEqual(noWarmup.learningRate(at: 0), 1e-2)
        XCTAssertLessThan(noWarmup.learningRate(at: 1), 1e-2)
        XCTAssertEqual(LearningRateSchedule.oneCycle(maxLR: 1e-2, totalSteps: 1).learningRate(at: 0),
                       Float(1e-2 / 25 / 1e4), accuracy: 1e-12)

        let cosine = LearningRateSchedule.cosine(maxLR: 1e-3, warmupSteps: 2, totalSteps: 6)
        XCTAssertEqual((0..<3).map { cosine.learningRate(at: $0) }, [0, 5e-4, 1e-3])
        XCTAssertEqual(cosine.learningRate(at: 5), cosine.learningRate(at: 100))
        XCTAssertEqual(LearningRateSchedule.constant(3e-4).learningRate(at: 12345), 3e-4)
    }

    func testParsingFromCommandLineNames() throws {
        XCTAssertEqual(try LearningRateSchedule(name: "one-cycle", learningRate: 1e-4, totalSteps: 100),
                       .oneCycle(maxLR: 1e-4, totalSteps: 100))
        XCTAssertEqual(try LearningRateSchedule(name: "one-cycle", learningRate: 1e-4, totalSteps: 100, pctStart: 0.1),
                       .oneCycle(maxLR: 1e-4, totalSteps: 100, pctStart: 0.1))
        XCTAssertEqual(try LearningRateSchedule(name: "cosine", learningRate: 1e-5, totalSteps: 300, warmupSteps: 3,
                                                minLR: 1e-6),
                       .cosine(maxLR: 1e-5, warmupSteps: 3, totalSteps: 300, minLR: 1e-6))
        XCTAssertEqual(try LearningRateSchedule(name: "cosine", learningRate: 1e-5, totalSteps: 300),
                       .cosine(maxLR: 1e-5, warmupSteps: 0, totalSteps: 300))
        XCTAssertEqual(try LearningRateSchedule(name: "constant", learningRate: 2e-5, totalSteps: 10), .constant(2e-5))

        func assertRejected(_ phrase: String, line: UInt = #line, _ make: () throws -> LearningRateSchedule) {
            XCTAssertThrowsError(try make(), line: line) { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(error)", line: line)
            }
        }
        assertRejected("unknown learning-rate schedule 'linear' (expected one of one-cycle, cosine, constant)") {
            try LearningRateSchedule(name: "linear", learningRate: 1e-4, totalSteps: 10)
        }
        assertRejected("the one-cycle schedule takes no warmup steps") {
            try LearningRateSchedule(name: "one-cycle", learningRate: 1e-4, totalSteps: 10, warmupSteps: 2)
        }
        assertRejected("the cosine schedule takes no pct_start") {
            try LearningRateSchedule(name: "cosine", learningRate: 1e-4, totalSteps: 10, pctStart: 0.2)
        }
        assertRejected("the constant schedule takes no minimum learning rate") {
            try LearningRateSchedule(name: "constant", learningRate: 1e-4, totalSteps: 10, minLR: 0)
        }
        assertRejected("warm-up steps must be in 0...10") {
            try LearningRateSchedule(name: "cosine", learningRate: 1e-4, totalSteps: 10, warmupSteps: 11)
        }
        assertRejected("needs at least one step") {
            try LearningRateSchedule(name: "one-cycle", learningRate: 1e-4, totalSteps: 0)
        }
        assertRejected("pct_start must be in [0, 1]") {
            try LearningRateSchedule(name: "one-cycle", learningRate: 1e-4, totalSteps: 10, pctStart: 1.5)
        }
        assertRejected("the learning rate must be positive and finite") {
            try LearningRateSchedule(name: "constant", learningRate: -1, totalSteps: 10)
        }
        assertRejected("the minimum rate must be in 0...") {
            try LearningRateSchedule(name: "cosine", learningRate: 1e-4, totalSteps: 10, minLR: 1e-3)
        }
    }
}
