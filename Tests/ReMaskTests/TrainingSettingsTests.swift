import Foundation
import ReMask
import XCTest
import Core

final class TrainingSettingsTests: XCTestCase {
    private func settings(_ text: String) throws -> TrainingSettings {
        try ConfigDocument(text: text, path: "run.yaml", shorthands: TrainingSettings.shorthands).decode(TrainingSettings.self)
    }

    private func expectError(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try settings(text), file: file, line: line) { XCTAssertEqual("\($0)", expected, file: file, line: line) }
    }

    func testNestedDottedAndShorthandKeysDecodeOnTopOfTheDefaults() throws {
        let s = try settings("""
        # a ReMask run
        objective: masked-thought        # shorthand for objective: {name: masked-thought}
        optimizer:
          learning_rate: 3e-4            # underscores read as hyphens
          lilith: {beta1: 0.8}
        optimizer.epochs: 2              # a dotted key joins the nested group
        masking: remask-cot
        masking.rate: 0.3
        lora: {rank: 8, targets: [q_proj, v_proj]}
        data: {train: a.jsonl, max-length: 128}
        run: {out: runs/a, seed: 7}
        """)
        var expected = TrainingSettings(data: "a.jsonl", out: "runs/a", objective: .maskedThought)
        expected.optimizer.learningRate = 3e-4
        expected.optimizer.lilith.beta1 = 0.8
        expected.optimizer.epochs = 2
        expected.masking.preset = .remaskCoT
        expected.masking.rate = 0.3
        expected.lora.rank = 8
        expected.lora.targets = [.q, .v]
        expected.data.maxLength = 128
        expected.run.seed = 7
        XCTAssertEqual(s, expected)
        XCTAssertEqual(try settings(""), TrainingSettings())
        // JSON is YAML too.
        XCTAssertEqual(try settings(#"{"objective": {"name": "sft"}, "optimizer": {"epochs": 1}}"#).optimizer.epochs, 1)
    }

    func testErrorsNameTheFileLineAndKey() {
        expectError("optimizer:\n  learning-rate: fast\n", "run.yaml:2: 'optimizer.learning-rate' must be a number, got 'fast'")
        expectError("optimizer:\n  learnin-rate: 1e-5\n",
                    "run.yaml:2: 'optimizer.learnin-rate' is not a setting (here: name, learning-rate, weight-decay, schedule, warmup-steps, "
                        + "min-learning-rate, pct-start, micro-batch, batch-size, epochs, max-steps, clip-norm, lilith, adam)")
        expectError("learning-rate: 1e-5\n", "run.yaml:1: 'learning-rate' is not a setting (here: data, objective, masking, optimizer, lora, run)")
        expectError("objective: remasked\n", "run.yaml:1: 'objective.name' must be one of sft, masked-thought, remask, got 'remasked'")
        expectError("data:\n  max-length: [1, 2]\n", "run.yaml:2: 'data.max-length' must be a single value, not a list or mapping")
        expectError("lora: {targets: [q_proj, x_proj]}\n", "run.yaml:1: 'lora.targets.1' must be one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, got 'x_proj'")
        expectError("optimizer.epochs: 1\noptimizer:\n  epochs: 2\n", "run.yaml:3: 'optimizer.epochs' is set twice (first set on line 1)")
        expectError("run: {seed: -1}\n", "run.yaml:1: 'run.seed' must be an integer, got '-1'")
        expectError("run: {precision: fp16}\n", "run.yaml:1: 'run.precision' must be one of auto, fp32, bf16, got 'fp16'")
        expectError("a: 1\na: 2\n", "run.yaml:1: 'a' is set twice in one mapping")
        expectError("a: [1\n", "run.yaml:2: not valid YAML: while parsing a flow sequence did not find expected ',' or ']'")
        expectError("- 1\n", "run.yaml:1: must be a mapping of settings (key: value), not a single value or list")
        expectError("a..b: 1\n", "run.yaml:1: 'a..b' is not a setting name")
    }

    func testHostileFilesAreRefusedQuickly() {
        // Aliases nest a value 2^30 times over: the tree is refused by its size, not expanded.
        var bomb = "a0: &a0 [x, x]\n"
        for i in 1...30 { bomb += "a\(i): &a\(i) [*a\(i - 1), *a\(i - 1)]\n" }
        XCTAssertThrowsError(try settings(bomb)) { XCTAssertTrue("\($0)".contains("holds more than 100000 values"), "\($0)") }
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        XCTAssertThrowsError(try settings("a: \(deep)\n")) { XCTAssertTrue("\($0)".contains("nests deeper than 32 levels"), "\($0)") }
    }

    func testValidationNamesTheFlagAndTheKey() throws {
        var s = TrainingSettings(data: "a.jsonl", out: "out")
        XCTAssertNoThrow(try s.validate())
        func expect(_ change: (inout TrainingSettings) -> Void, _ message: String, line: UInt = #line) {
            var bad = s
            change(&bad)
            XCTAssertThrowsError(try bad.validate(), line: line) { XCTAssertEqual("\($0)", message, line: line) }
        }
        expect({ $0.data.valLimit = -1 }, "--val-limit / data.val-limit: must be at least 1, got -1")
        expect({ $0.optimizer.lilith.beta1 = 5 }, "--lilith-beta1 / optimizer.lilith.beta1: must be in [0, 1), got 5.0")
        expect({ $0.optimizer.lilith.eps = -1 }, "--lilith-eps / optimizer.lilith.eps: must be positive, got -1.0")
        expect({ $0.optimizer.adam.beta1 = 1.5 }, "--adam-beta1 / optimizer.adam.beta1: must be in [0, 1), got 1.5")
        expect({ $0.lora.rank = -3 }, "--lora-rank / lora.rank: cannot be negative (0: full fine-tuning), got -3")
        expect({ $0.masking.replacement = .mix(maskFraction: 0.5); $0.masking.mixFraction = 3 }, "--mask-mix / masking.mix: must be in [0, 1], got 3.0")
        expect({ $0.optimizer.weightDecay = -0.1 }, "--weight-decay / optimizer.weight-decay: must be zero or positive, got -0.1")
        expect({ $0.run.out = "" }, "--out / run.out: is required: the output folder")
        expect({ $0.objective.name = .sft; $0.masking.rate = 0.2 }, "--masking / masking: sft masks no inputs, so --mask-rate cannot apply; "
               + "use --objective masked-thought or remask to mask inputs (the label rules --label-mask-rate, --answer-only-rate and --cot-rules work with sft)")
        s.optimizer.clipNorm = 0
        XCTAssertNil(s.clipNorm, "0 means no clipping")
    }

    func testSettingsWrittenAsYAMLReadBackTheSame() throws {
        var s = TrainingSettings(data: "a b.jsonl", out: "runs/x", objective: .maskedThought)
        s.optimizer.learningRate = 3e-4
        s.optimizer.lilith.eps = 1e-7
        s.masking.preset = .remaskCoT
        s.masking.replacement = .randomToken
        s.lora.rank = 8
        s.lora.targets = [.q, .down]
        s.data.valLimit = 12
        s.run.seed = 42
        let text = try s.yaml()
        XCTAssertTrue(text.contains("learning-rate: "), text)
        XCTAssertEqual(try settings(text), s)
        XCTAssertEqual(try settings(TrainingSettings().yaml()), TrainingSettings())
        // Text that YAML would read as another type stays text.
        let tricky = TrainingSettings(data: "true", out: "0.5")
        XCTAssertEqual(try settings(tricky.yaml()), tricky)
    }

    func testFingerprintHoldsWhatDecidesTheNumbersByKey() {
        var a = TrainingSettings(data: "a.jsonl", out: "one")
        var b = a
        b.run.out = "two"
        b.run.evalEvery = 5
        b.run.resume = true
        XCTAssertEqual(a.fingerprint, b.fingerprint, "where a run writes and how often it validates change no number")
        b.optimizer.lilith.beta2 = 0.95
        b.run.seed = 3
        let differing = Set(a.fingerprint.keys).union(b.fingerprint.keys).filter { a.fingerprint[$0] != b.fingerprint[$0] }
        XCTAssertEqual(differing, ["optimizer.lilith.beta2", "run.seed"])
        a.masking.rate = 0.3
        XCTAssertEqual(a.fingerprint["masking.rate"], "0.3")
        // The trainer records the precision a run resolves to (auto depends on the CPU), not the settings.
        a.run.precision = .bf16
        XCTAssertNil(a.fingerprint["run.precision"])
        XCTAssertEqual(TrainingPrecision.fp32.resolved, .fp32)
        XCTAssertEqual(TrainingPrecision.bf16.resolved, .bf16)
        XCTAssertEqual(TrainingPrecision.auto.resolved, GEMMKernels.hasFastBF16 ? .bf16 : .fp32)
        XCTAssertEqual(a.fingerprint["data.train"], "\"a.jsonl\"")
    }

    /// The shipped training configs read and validate (the study configs are checked by the study's tests).
    func testShippedConfigsAreValid() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("configs")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("study-") }
        XCTAssertGreaterThanOrEqual(names.count, 2)
        for name in names {
            let s = try ConfigDocument(path: folder.appendingPathComponent(name).path, shorthands: TrainingSettings.shorthands)
                .decode(TrainingSettings.self)
            XCTAssertNoThrow(try s.validate(), name)
            XCTAssertGreaterThan(s.lora.rank, 0, "\(name): the shipped runs use LoRA")
        }
    }
}
