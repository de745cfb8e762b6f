import Foundation
import XCTest
@testable import ReMask
@testable import Study
import Core

final class StudyConfigTests: XCTestCase {
    func parse(_ text: String) throws -> StudyConfig {
        try StudyConfig(ConfigDocument(text: text, path: "study.yaml", shorthands: TrainingSettings.shorthands))
    }

    static let full = """
        name: demo
        model: scratch
        scratch-hidden: 64
        scratch-heads: 2
        scratch-kv-heads: 1
        benchmark-seed: 9
        test-problems: 30
        validation-problems: 20
        train-problems: 50
        problem-steps: [3, 5]
        base-problems: 400
        base-steps: [1, 3]
        choices: 3
        gate-lookup: 0.8
        gate-arithmetic: 0.5
        arms: [sft, mt, remask]
        arm:
          mt:
            objective: masked-thought
            masking: {rate: 0.3}
          remask:
            optimizer.learning-rate: 2e-3
        regimes: [small, all]
        regime.small.problems: 10
        regime.small.optimizer.epochs: 4
        dose-regime: small
        dose-arms: [mt, remask]
        dose-rates: [0.1, 0.5]
        seeds: [4, 5]
        eval-batch-size: 8
        max-new-tokens: 64
        base:
          optimizer: {epochs: 2, learning-rate: 1e-2}
        train:
          optimizer: adamw
          optimizer.epochs: 1
        """

    func testFullConfigParses() throws {
        let config = try parse(Self.full)
        XCTAssertEqual(config.name, "demo")
        guard case .scratch(let spec) = config.model else { return XCTFail("expected a scratch model") }
        XCTAssertEqual(spec, ScratchModelSpec(hidden: 64, layers: 4, heads: 2, kvHeads: 1, intermediate: 384, merges: 400))
        XCTAssertEqual(config.benchmark, ChainBenchmarkSpec(seed: 9, test: 30, validation: 20, train: 50, steps: 3...5,
                                                            base: 400, baseValidation: 500, baseSteps: 1...3, choices: 3))
        XCTAssertEqual(config.gate, Gate(lookup: 0.8, arithmetic: 0.5))
        XCTAssertEqual(config.arms.map(\.name), ["sft", "mt", "remask"])
        XCTAssertEqual(config.arms.map(\.objective), [.sft, .maskedThought, .remask])
        XCTAssertEqual(config.regimes.map(\.name), ["small", "all"])
        XCTAssertEqual(config.regimes.map(\.problems), [10, 50])
        XCTAssertEqual(config.doseRegime, "small")
        XCTAssertEqual(config.doseArms, ["mt", "remask"])
        XCTAssertEqual(config.doseRates, [0.1, 0.5])
        XCTAssertEqual(config.seeds, [4, 5])
        XCTAssertEqual(config.evalBatchSize, 8)
        XCTAssertEqual(config.maxNewTokens, 64)
        // Defaults of the primary comparison: the remask arm in the first regime.
        XCTAssertEqual(config.primaryArm, "remask")
        XCTAssertEqual(config.primaryRegime, "small")
        let base = try config.baseSettings(data: "b.jsonl", validation: "bv.jsonl", out: "base", model: "init", seed: 0)
        XCTAssertEqual([base.optimizer.epochs, base.optimizer.name == nil ? 1 : 0], [2, 1], "stage 0 reads base, not train")
        XCTAssertEqual(base.optimizer.learningRate, 1e-2)
        XCTAssertEqual(base.objective.name, .sft)
        XCTAssertEqual([base.data.train, base.data.val, base.run.out, base.run.model], ["b.jsonl", "bv.jsonl", "base", "init"])

        // Layers: every run's, then the regime's, then the arm's, then a dose rate; the study's own last.
        func settings(_ arm: Int, _ regime: Int, _ rate: Double?, seed: UInt64 = 4) throws -> TrainingSettings {
            let cell = CellSpec(regime: config.regimes[regime], arm: config.arms[arm], rate: rate, seed: seed)
            return try config.settings(for: cell, data: "t.jsonl", validation: "v.jsonl", out: "o", model: "m")
        }
        let mt = try settings(1, 0, nil)
        XCTAssertEqual(mt.objective.name, .maskedThought)
        XCTAssertEqual(mt.optimizer.name, .adamw)
        XCTAssertEqual(mt.optimizer.epochs, 4, "the regime's epochs over every run's")
        XCTAssertEqual(mt.masking.rate, 0.3)
        XCTAssertEqual(mt.run.seed, 4)
        XCTAssertEqual(try settings(1, 0, 0.5).masking.rate, 0.5, "a dose rate over the arm's")
        let sftAll = try settings(0, 1, nil, seed: 5)
        XCTAssertEqual([sftAll.optimizer.epochs, Int(sftAll.run.seed)], [1, 5])
        XCTAssertEqual(sftAll.objective.name, .sft)
        XCTAssertEqual(try settings(2, 1, nil).optimizer.learningRate, 2e-3)
        XCTAssertEqual(try settings(0, 1, nil).optimizer.learningRate, 1e-5, "an arm's settings stay in the arm")

        // Cells: the dose regime first (seeds × arms, then its dose cells: seeds × dose arms × rates), then the
        // other regimes' seeds × arms.
        let cells = config.cells
        XCTAssertEqual(cells.count, 2 * 2 * 3 + 2 * 2 * 2)
        XCTAssertEqual(cells.prefix(6).map(\.path), [
            "runs/small/sft/seed-4", "runs/small/mt/seed-4", "runs/small/remask/seed-4",
            "runs/small/sft/seed-5", "runs/small/mt/seed-5", "runs/small/remask/seed-5",
        ])
        XCTAssertEqual(cells.dropFirst(6).prefix(8).map(\.path), [
            "runs/small/mt@0.1/seed-4", "runs/small/mt@0.5/seed-4", "runs/small/remask@0.1/seed-4", "runs/small/remask@0.5/seed-4",
            "runs/small/mt@0.1/seed-5", "runs/small/mt@0.5/seed-5", "runs/small/remask@0.1/seed-5", "runs/small/remask@0.5/seed-5",
        ])
        XCTAssertEqual(cells.suffix(6).map(\.path), [
            "runs/all/sft/seed-4", "runs/all/mt/seed-4", "runs/all/remask/seed-4",
            "runs/all/sft/seed-5", "runs/all/mt/seed-5", "runs/all/remask/seed-5",
        ])
        XCTAssertEqual(cells[7].armLabel, "mt@0.5")
        XCTAssertEqual(cells[7].rate, 0.5)
        XCTAssertEqual(cells[7].arm.objective, .maskedThought)
        XCTAssertTrue((cells.prefix(6) + cells.suffix(6)).allSatisfy { $0.rate == nil })
    }

    func testDefaults() throws {
        let config = try parse("seeds: [1, 2]\n")
        XCTAssertEqual(config.name, "study")
        XCTAssertEqual(config.model, .scratch(ScratchModelSpec(hidden: 128, layers: 4, heads: 4, kvHeads: 4, intermediate: 384, merges: 400)))
        XCTAssertEqual(config.benchmark, ChainBenchmarkSpec(seed: 1, test: 2000, validation: 200, train: 2000, steps: 2...6,
                                                            base: 20000, baseValidation: 500, baseSteps: 1...4, choices: 4))
        XCTAssertEqual(config.arms.map(\.name), ["sft", "masked-thought", "remask"])
        XCTAssertEqual(config.regimes.map(\.name), ["all"])
        XCTAssertEqual(config.regimes[0].problems, 2000)
        XCTAssertEqual(config.primaryArm, "remask")
        XCTAssertEqual(config.primaryRegime, "all")
        XCTAssertNil(config.doseRegime)
        XCTAssertEqual(config.cells.count, 2 * 3)
        XCTAssertEqual(try parse("").seeds, Array(1...7))
        // A one-step benchmark within the 1,898 distinct one-step problems; base problems of other lengths.
        XCTAssertNoThrow(try parse("problem-steps: [1, 1]\ntest-problems: 1000\nvalidation-problems: 98\ntrain-problems: 800\nbase-steps: [2, 3]\n"))

        // Without a remask arm the primary arm is the last; both can be set.
        XCTAssertEqual(try parse("arms: [sft, masked-thought]\n").primaryArm, "masked-thought")
        let chosen = try parse("arms: [sft, masked-thought, remask]\nregimes: [a, b]\nprimary-arm: masked-thought\nprimary-regime: b\n")
        XCTAssertEqual([chosen.primaryArm, chosen.primaryRegime], ["masked-thought", "b"])
    }

    func testPretrainedModelAndFingerprint() throws {
        let a = try parse("model: /models/m.gguf\nseeds: [1, 2]\ntrain.lora.rank: 8\n")
        XCTAssertEqual(a.model, .pretrained(path: "/models/m.gguf"))
        XCTAssertEqual(a.fingerprint, ["model=/models/m.gguf", "seeds=1,2", "train.lora.rank=8"])
        XCTAssertEqual(a, try parse("model: /models/m.gguf\nseeds: [1, 2]\ntrain:\n  lora: {rank: 8}\n"), "nested and dotted keys are the same study")
        XCTAssertNotEqual(a, try parse("model: /models/m.gguf\nseeds: [1, 2]\ntrain.lora.rank: 16\n"))
    }

    /// Settings that only conflict once the layers combine are refused with the line that set them last.
    func testCombinedLayersAreValidatedWithTheirLine() throws {
        let config = try parse("seeds: [1, 2]\ntrain:\n  optimizer: {micro-batch: 8}\nregime.all.optimizer.batch-size: 12\n")
        let cell = config.cells[0]
        XCTAssertThrowsError(try config.settings(for: cell, data: "t", validation: "v", out: "o", model: "m")) {
            XCTAssertEqual("\($0)", "study.yaml:4: all sft: --batch-size / optimizer.batch-size: must be a multiple of --micro-batch (8), got 12")
        }
        let negative = try parse("seeds: [1, 2]\ntrain.data.val-limit: -1\n")
        XCTAssertThrowsError(try negative.settings(for: negative.cells[0], data: "t", validation: "v", out: "o", model: "m")) {
            XCTAssertEqual("\($0)", "study.yaml:2: all sft: --val-limit / data.val-limit: must be at least 1, got -1")
        }
    }

    /// Every refused config names the file, the line and the key.
    func testErrorsNameTheLineAndTheKey() {
        let cases: [(String, String)] = [
            ("seeds: [1, 2]\nepochs: 3\n", "study.yaml:2: unknown setting 'epochs'"),
            ("seeds: [1, 2]\narms: [remask, sft]\n", "study.yaml:2: 'arms' must start with an sft arm"),
            ("arms: [sft, dpo]\n", "study.yaml:1: arm 'dpo': unknown objective 'dpo'"),
            ("arms: [sft, x]\narm.x.objective: dpo\n", "study.yaml:2: 'arm.x.objective.name' must be one of sft, masked-thought, remask, got 'dpo'"),
            ("seeds: [1, 2]\narms: [sft]\n", "study.yaml:2: 'arms' needs an arm to compare with the sft baseline"),
            ("arms: [sft, sft]\n", "study.yaml:1: 'arms' 'sft' is listed twice"),
            ("arms: [sft, a/b]\n", "study.yaml:1: 'arms' 'a/b' cannot name a folder"),
            ("arms: [sft, remask]\nseeds: [1, 2]\narm.mt.masking.rate: 0.2\n", "study.yaml:3: 'arm.mt': arms does not list 'mt'"),
            ("seeds: [1, 2]\narm.mt.objective: masked-thought\n", "study.yaml:2: 'arm.mt': arms does not list 'mt'"),
            ("regimes: [a]\nregime.b.optimizer.epochs: 2\n", "study.yaml:2: 'regime.b': regimes does not list 'b'"),
            ("train-problems: 10\nregimes: [a]\nregime.a.problems: 11\n",
             "study.yaml:3: 'regime.a.problems' must be an integer in 1...10 (train-problems)"),
            ("regimes: [a]\nregime.a.problems: 0\n", "study.yaml:2: 'regime.a.problems' must be an integer"),
            ("regimes: [a]\nregime.a.problems: many\n", "study.yaml:2: 'regime.a.problems' must be an integer"),
            ("regimes: [a, a]\n", "study.yaml:1: 'regimes' 'a' is listed twice"),
            ("regimes: [../x]\n", "study.yaml:1: 'regimes' '../x' cannot name a folder"),
            ("seeds: [1, 2]\ntrain.run.seed: 3\n", "study.yaml:2: 'train.run.seed' is set by the study for each run"),
            ("base.data.train: x.jsonl\n", "study.yaml:1: 'base.data.train' is set by the study for each run"),
            ("train:\n  objective: sft\n", "study.yaml:2: 'train.objective.name' is set by the study for each run (set an arm's objective under arm.<name>)"),
            ("arms: [sft, remask]\narm.remask.objective: remask\narm.remask.run.out: x\n",
             "study.yaml:3: 'arm.remask.run.out' is set by the study for each run"),
            ("train.no-such-flag: 3\n", "study.yaml:1: 'train.no-such-flag' is not a setting (here: data, objective, masking, optimizer, lora, run)"),
            ("regimes: [a]\nregime.a.optimizer.no-such-flag: 3\n", "study.yaml:2: 'regime.a.optimizer.no-such-flag' is not a setting"),
            ("train.optimizer.epochs: many\n", "study.yaml:1: 'train.optimizer.epochs' must be an integer, got 'many'"),
            ("tune.learning-rate: [1e-3]\n", "study.yaml:1: unknown setting 'tune'"),
            ("arm.remask.x.y: 1\n", "study.yaml:1: 'arm.remask.x' is not a setting"),
            ("regimes: [a]\ndose-regime: b\ndose-arms: [remask]\ndose-rates: [0.2]\n",
             "study.yaml:2: 'dose-regime' must name one of the regimes (a)"),
            ("dose-arms: [remask]\ndose-rates: [0.2]\n", "study.yaml:1: 'dose-arms' needs dose-regime"),
            ("dose-regime: all\ndose-rates: [0.2]\n", "study.yaml:1: 'dose-regime' needs dose-arms and dose-rates"),
            ("dose-regime: all\ndose-arms: [sft]\ndose-rates: [0.2]\n", "study.yaml:2: 'dose-arms' 'sft' must be one of the masking arms"),
            ("dose-regime: all\ndose-arms: [nope]\ndose-rates: [0.2]\n", "study.yaml:2: 'dose-arms' 'nope' must be one of the masking arms"),
            ("dose-regime: all\ndose-arms: [remask]\ndose-rates: [0]\n", "study.yaml:3: 'dose-rates' '0' is not a rate in (0, 1]"),
            ("dose-regime: all\ndose-arms: [remask]\ndose-rates: [0.2, 1.5]\n", "study.yaml:3: 'dose-rates' '1.5' is not a rate in (0, 1]"),
            ("dose-regime: all\ndose-arms: [remask]\ndose-rates: [x]\n", "study.yaml:3: 'dose-rates' 'x' is not a rate in (0, 1]"),
            ("dose-regime: all\ndose-arms: [remask, remask]\ndose-rates: [0.2]\n", "study.yaml:2: 'dose-arms' 'remask' is listed twice"),
            ("dose-regime: all\ndose-arms: [remask]\ndose-rates: [0.2, 0.20]\n", "study.yaml:3: 'dose-rates' rate 0.2 is listed twice"),
            ("seeds: [1]\n", "study.yaml:1: 'seeds' needs at least 2 seeds"),
            ("seeds: [3, 1, 3]\n", "study.yaml:1: 'seeds' seed 3 is listed twice"),
            ("seeds: [1, x]\n", "study.yaml:1: 'seeds' 'x' is not a non-negative integer"),
            ("seeds: [1, -2]\n", "study.yaml:1: 'seeds' '-2' is not a non-negative integer"),
            ("name: ../../x\n", "study.yaml:1: 'name' must be letters, digits"),
            ("name: a/b\n", "study.yaml:1: 'name' must be letters, digits"),
            ("name: ..\n", "study.yaml:1: 'name' must be letters, digits"),
            ("name: .hidden\n", "study.yaml:1: 'name' must be letters, digits"),
            ("scratch-hidden: 1000000000\n", "study.yaml:1: 'scratch-hidden' must be in 8...4096, got 1000000000"),
            ("scratch-layers: 0\n", "study.yaml:1: 'scratch-layers' must be in 1...64"),
            ("scratch-hidden: 100\nscratch-heads: 3\n", "study.yaml:2: 'scratch-heads' scratch-hidden 100 is not divisible by scratch-heads 3"),
            ("scratch-hidden: 102\n", "study.yaml:1: 'scratch-hidden' scratch-hidden 102 is not divisible by scratch-heads 4"),
            ("scratch-heads: 4\nscratch-kv-heads: 3\n", "study.yaml:2: 'scratch-kv-heads' scratch-heads 4 is not divisible by scratch-kv-heads 3"),
            ("scratch-hidden: 12\nscratch-heads: 4\nscratch-kv-heads: 2\n", "study.yaml:2: 'scratch-heads' gives an odd head size 3"),
            ("model: m.gguf\nbase.optimizer.epochs: 2\n", "study.yaml:2: 'base' only applies to model: scratch"),
            ("model: m.gguf\ngate-lookup: 0.5\n", "study.yaml:2: 'gate-lookup' only applies to model: scratch"),
            ("model: m.gguf\nscratch-hidden: 64\n", "study.yaml:2: 'scratch-hidden' only applies to model: scratch"),
            ("base-problems: 0\n", "study.yaml:1: 'base-problems' must be at least 1 for a scratch model"),
            ("problem-steps: [0, 3]\n", "study.yaml:1: 'problem-steps' must be [lowest, highest] within 1...25"),
            ("problem-steps: [2, 26]\n", "study.yaml:1: 'problem-steps' must be [lowest, highest] within 1...25"),
            ("problem-steps: [5, 3]\n", "study.yaml:1: 'problem-steps' must be [lowest, highest] within 1...25"),
            ("problem-steps: [3]\n", "study.yaml:1: 'problem-steps' must be [lowest, highest] within 1...25"),
            ("problem-steps: [1, 1]\n", "study.yaml:1: 'problem-steps' 1...1 allows only 1898 distinct problems, fewer than the 4200"),
            ("test-problems: 1000\nvalidation-problems: 100\ntrain-problems: 700\nproblem-steps: [1, 2]\nbase-steps: [1, 1]\nbase-problems: 99\n",
             "study.yaml:5: 'base-steps' 1...1 allows only 1898 distinct problems, fewer than base-problems (99), base-validation-problems and the other splits' 1800"),
            ("base-steps: [1, 30]\n", "study.yaml:1: 'base-steps' must be [lowest, highest] within 1...25"),
            ("gate-lookup: 1.5\n", "study.yaml:1: 'gate-lookup' must be a number in [0, 1]"),
            ("gate-arithmetic: x\n", "study.yaml:1: 'gate-arithmetic' must be a number in [0, 1]"),
            ("choices: 5\n", "study.yaml:1: 'choices' must be in 2...4"),
            ("train-problems: 0\n", "study.yaml:1: 'train-problems' must be in 1...1000000"),
            ("test-problems: many\n", "study.yaml:1: 'test-problems' must be an integer"),
            ("primary-arm: sft\n", "study.yaml:1: 'primary-arm' must name one of the arms after the sft baseline"),
            ("primary-arm: nope\n", "study.yaml:1: 'primary-arm' must name one of the arms after the sft baseline"),
            ("primary-regime: nope\n", "study.yaml:1: 'primary-regime' must name one of the regimes"),
            ("arms: [sft, remask]\narms: [sft]\n", "'arms' is set twice"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue(error is FileError, "\(text): \(type(of: error))")
                XCTAssertTrue("\(error)".contains(expected), "\(text)\n  got: \(error)\n  expected: \(expected)")
            }
        }
    }
}
