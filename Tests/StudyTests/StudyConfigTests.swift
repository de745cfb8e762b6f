import Foundation
import XCTest
@testable import ReMask
@testable import Study

final class StudyConfigTests: XCTestCase {
    /// A stand-in for `remask train`'s flags (the command-line tests check the shipped configs against the real ones).
    let trainFlags: Set<String> = ["learning-rate", "epochs", "optimizer", "lora-rank", "mask-rate", "data", "out", "seed",
                                   "objective", "model", "val", "resume", "config"]

    func parse(_ text: String) throws -> StudyConfig {
        try StudyConfig(ConfigFile(text: text, format: .yaml, path: "study.yaml"), trainFlags: trainFlags)
    }

    func testSettingsAndDefaults() throws {
        let config = try parse("""
            name: demo
            model: scratch
            scratch-hidden: 64
            scratch-heads: 2
            scratch-kv-heads: 1
            benchmark-seed: 9
            train-problems: 50
            problem-steps: [3, 5]
            objectives: [sft, remask]
            seeds: [4, 5, 6]
            tuning-seed: 7
            tune.learning-rate: [1e-3, 3e-3]
            tune.epochs: [1, 2]
            train.optimizer: adamw
            remask.mask-rate: 0.2
            """)
        XCTAssertEqual(config.name, "demo")
        guard case .scratch(let spec) = config.model else { return XCTFail("expected a scratch model") }
        XCTAssertEqual([spec.hidden, spec.heads, spec.kvHeads, spec.layers], [64, 2, 1, 4])
        XCTAssertEqual(config.benchmark, BenchmarkSpec(seed: 9, train: 50, validation: 200, test: 200, steps: 3...5, choices: 4))
        XCTAssertEqual(config.objectives, [.sft, .remask])
        XCTAssertEqual(config.seeds, [4, 5, 6])
        XCTAssertEqual(config.tuningSeed, 7)
        XCTAssertEqual(config.tuningProblems, 200)
        XCTAssertEqual(config.testProblems, 200)

        // Every combination, the first tuned flag varying slowest.
        XCTAssertEqual(config.tuningGrid.map { $0.map { "\($0.key)=\($0.value)" } },
                       [["learning-rate=1e-3", "epochs=1"], ["learning-rate=1e-3", "epochs=2"],
                        ["learning-rate=3e-3", "epochs=1"], ["learning-rate=3e-3", "epochs=2"]])
        // Shared flags, then the objective's own, then the tuned ones.
        let assignment = config.tuningGrid[1]
        XCTAssertEqual(config.trainFlags(.remask, assignment: assignment),
                       ["--optimizer=adamw", "--mask-rate=0.2", "--learning-rate=1e-3", "--epochs=2"])
        XCTAssertEqual(config.trainFlags(.sft, assignment: []), ["--optimizer=adamw"])
    }

    func testPretrainedModelAndFingerprint() throws {
        let a = try parse("model: /models/m.gguf\nseeds: [1, 2]\ntrain.lora-rank: 8\n")
        XCTAssertEqual(a.model, .pretrained(path: "/models/m.gguf"))
        XCTAssertEqual(a.tuningGrid.count, 1)
        XCTAssertEqual(a.fingerprint, ["model=/models/m.gguf", "seeds=1,2", "train.lora-rank=8"])
        XCTAssertNotEqual(a, try parse("model: /models/m.gguf\nseeds: [1, 2]\ntrain.lora-rank: 16\n"))
    }

    func testErrorsNameTheLineAndTheProblem() {
        let cases: [(String, String)] = [
            ("seeds: [1, 2]\nepochs: 3\n", "study.yaml:2: unknown setting 'epochs'"),
            ("objectives: [sft, dpo]\n", "study.yaml:1: 'objectives' unknown objective 'dpo'"),
            ("objectives: [remask, sft]\n", "must start with sft"),
            ("objectives: [sft, sft]\n", "'sft' is listed twice"),
            ("seeds: [1]\n", "needs at least 2 seeds"),
            ("seeds: [1, x]\n", "'x' is not a non-negative integer"),
            ("seeds: [1, 2]\ntuning-seed: 2\n", "must differ from the grid's seeds"),
            ("problem-steps: [2, 7]\n", "'problem-steps' must be [lowest, highest] within 1...6"),
            ("choices: 5\n", "'choices' must be 2, 3 or 4"),
            ("train-problems: 0\n", "'train-problems' must be at least 1"),
            ("train-problems: many\n", "'train-problems' must be an integer"),
            ("validation-problems: 10\ntuning-problems: 11\n", "the validation split has 10"),
            ("test-problems: 10\ntest-limit: 11\n", "the test split has 10"),
            ("train.seed: 3\n", "study.yaml:1: 'train.seed': 'seed' is set by the study for each run"),
            ("train.no-such-flag: 3\n", "'no-such-flag' is not a flag of remask train"),
            ("dpo.learning-rate: 1e-3\n", "must be train., tune. or an objective"),
            ("tune.learning-rate: 1e-3\n", "'tune.learning-rate' must be a non-empty list"),
            ("tune.epochs: [1, 2]\nsft.epochs: 3\n", "'tune.epochs' is also set under train. or an objective"),
            ("model: m.gguf\nscratch-hidden: 64\n", "study.yaml:2: 'scratch-hidden' only applies to model: scratch"),
            ("scratch-hidden: 100\nscratch-heads: 3\n", "not divisible by scratch-heads 3"),
            ("scratch-heads: 4\nscratch-kv-heads: 3\n", "not divisible by scratch-kv-heads 3"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
            }
        }
    }
}
