import XCTest
import Foundation
import Core
import NN
import Models
@testable import ReMask
import TestSupport

/// The trainer end to end on a tiny model with SmolLM2's tokenizer: resume, Ctrl-C, non-finite losses, bad
/// output folders and bad data.
final class TrainerTests: XCTestCase {
    func options(_ data: (train: String, val: String), out: URL, objective: Objective, lora: Bool = false) -> TrainingSettings {
        var o = TrainingSettings(data: data.train, out: out.path)
        o.data.val = data.val
        o.objective.name = objective
        o.optimizer.microBatch = 2
        o.optimizer.batchSize = 4
        o.optimizer.maxSteps = 10
        o.optimizer.learningRate = 1e-3
        o.run.seed = 7
        if lora { o.lora.rank = 2; o.lora.alpha = 4; o.lora.dropout = 0.1; o.optimizer.name = .adamw }
        return o
    }

    func weights(_ out: URL) throws -> Data { try Data(contentsOf: out.appendingPathComponent("model.safetensors")) }

    /// 10 steps straight and 5 + Ctrl-C + resume + 5 give the same bytes, for every objective (and LoRA).
    func testInterruptedAndResumedRunsEqualAStraightRun() throws {
        let model = try tinyModel(), data = try sampleData()
        for (objective, lora) in [(Objective.sft, false), (.maskedThought, false), (.remask, false), (.remask, true)] {
            let straight = try makeScratchFolder()
            let summary = try Trainer(options(data, out: straight, objective: objective, lora: lora), modelPath: model, log: { _ in }).run()
            XCTAssertEqual(summary.steps, 10)

            let split = try makeScratchFolder()
            do {  // the interrupted run ends (and lets go of its folder) before the resumed one starts
                let first = try Trainer(options(data, out: split, objective: objective, lora: lora), modelPath: model, log: { _ in })
                first.onStep = { step in if step == 5 { raise(SIGINT) } }
                XCTAssertThrowsError(try first.run()) { error in
                    guard case TrainingError.interrupted(let signal, let checkpoint) = error else { return XCTFail("\(error)") }
                    XCTAssertEqual(signal, SIGINT)
                    XCTAssertTrue(checkpoint.hasSuffix("step-000005"), checkpoint)
                }
            }
            var resumed = options(data, out: split, objective: objective, lora: lora)
            resumed.run.resume = true
            XCTAssertEqual(try Trainer(resumed, modelPath: model, log: { _ in }).run().steps, 10)
            XCTAssertEqual(try weights(straight), try weights(split), "\(objective) lora \(lora): resumed weights differ")

            let a = try MetricsLog.read(straight.appendingPathComponent("metrics.jsonl"))
            let b = try MetricsLog.read(split.appendingPathComponent("metrics.jsonl"))
            XCTAssertEqual(a.map(\.step), b.map(\.step))
            XCTAssertEqual(a.map(\.loss), b.map(\.loss))
            XCTAssertTrue(FileManager.default.fileExists(atPath: straight.appendingPathComponent("loss.svg").path))
            if objective == .remask {
                XCTAssertNotNil(a.first { $0.split == .train }?.divergence)
            }
        }
    }

    func testTrainingLowersTheValidationLossAndTheOutputLoads() throws {
        let model = try tinyModel(), data = try sampleData(cot: 24, chat: 8)
        let out = try makeScratchFolder()
        var o = options(data, out: out, objective: .remask)
        o.optimizer.maxSteps = 30
        o.optimizer.learningRate = 3e-3
        let summary = try Trainer(o, modelPath: model, log: { _ in }).run()
        XCTAssertLessThan(try XCTUnwrap(summary.validationAfter), try XCTUnwrap(summary.validationBefore))
        let trained = try LanguageModel.load(out.path)
        XCTAssertNotNil(trained.tokenizer?.id(of: "<|rationale|>"))
        XCTAssertEqual(trained.chatTemplate, PromptFormat.seedChatTemplate)
    }

    /// SFT takes the label rules (its first loss changes; no `[mask]` token is added) but refuses input masking.
    func testSFTAppliesLabelRulesAndRefusesInputMasking() throws {
        let model = try tinyModel(), data = try sampleData()
        func firstLoss(_ o: TrainingSettings) throws -> Double {
            let trainer = try Trainer(o, modelPath: model, log: { _ in })
            XCTAssertNil(trainer.languageModel.tokenizer?.id(of: "[mask]"), "sft adds no [mask] token")
            _ = try trainer.run()
            let rows = try MetricsLog.read(URL(fileURLWithPath: o.run.out).appendingPathComponent("metrics.jsonl"))
            return try XCTUnwrap(rows.first { $0.split == .train }?.loss)
        }
        var plain = options(data, out: try makeScratchFolder(), objective: .sft)
        plain.optimizer.maxSteps = 1
        var rules = plain
        rules.run.out = try makeScratchFolder().path
        rules.masking.rationaleLabelDrop = 0.5
        rules.masking.answerOnly = 0.5
        XCTAssertNotEqual(try firstLoss(plain), try firstLoss(rules), "the label rules change which labels sft trains on")
        // The checkpoint records the policy: resuming the run without its label rules is refused.
        var resumed = plain
        resumed.run.out = rules.run.out
        resumed.run.resume = true
        XCTAssertThrowsError(try Trainer(resumed, modelPath: model, log: { _ in }).run()) { error in
            XCTAssertTrue("\(error)".contains("masking"), "\(error)")
        }
        var bad = plain
        bad.run.out = try makeScratchFolder().path
        bad.masking.rate = 0.4
        XCTAssertThrowsError(try Trainer(bad, modelPath: model, log: { _ in })) { error in
            XCTAssertTrue("\(error)".contains("sft masks no inputs"), "\(error)")
        }
    }

    /// A loss that turns NaN stops the run with a message and leaves the last checkpoint as it was.
    func testNonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() throws {
        let model = try tinyModel(), data = try sampleData()
        let out = try makeScratchFolder()
        var o = options(data, out: out, objective: .remask)
        o.run.saveEvery = 2
        let trainer = try Trainer(o, modelPath: model, log: { _ in })
        trainer.onStep = { step in
            let store = trainer.languageModel.model.parameters
            if step == 3 { store.valuePointer[store["model.norm.weight"]!.offset] = .nan }
        }
        XCTAssertThrowsError(try trainer.run()) { error in
            guard case TrainingError.nonFinite(let step, _, let last) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(step, 3)
            XCTAssertTrue(last?.hasSuffix("step-000002") ?? false)
            XCTAssertTrue("\(error)".contains("not finite at step 4"), "\(error)")
        }
        let directory = CheckpointDirectory(output: out)
        XCTAssertEqual(try directory.steps(), [2])
        XCTAssertEqual(try directory.latest()?.state.step, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path))
    }

    func testAnUnusableOutputFolderFailsBeforeLoadingTheModel() throws {
        let file = try makeScratchFolder().appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let o = TrainingSettings(data: "/nonexistent.jsonl", out: file.appendingPathComponent("out").path)
        XCTAssertThrowsError(try Trainer(o, modelPath: "/nonexistent-model", log: { _ in })) { error in
            XCTAssertTrue("\(error)".contains(file.path), "\(error)")
        }
    }

    func testMalformedDataNamesTheFileAndLine() throws {
        let model = try tinyModel()
        let folder = try makeScratchFolder()
        let train = folder.appendingPathComponent("bad.jsonl")
        try """
            {"prompt": "1+1?", "rationale": "1+1=2", "answer": "2"}
            {"prompt": "2+2?", "rationale": "2+2=4"}
            """.write(to: train, atomically: true, encoding: .utf8)
        let o = TrainingSettings(data: train.path, out: folder.appendingPathComponent("out").path)
        XCTAssertThrowsError(try Trainer(o, modelPath: model, log: { _ in })) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(train.path):2:"), "\(error)")
        }
        var skipping = o
        skipping.data.skipBadLines = true
        skipping.optimizer.maxSteps = 1
        var lines: [String] = []
        _ = try Trainer(skipping, modelPath: model, log: { lines.append($0) })
        XCTAssertTrue(lines.contains("skipped 1 bad lines (--skip-bad-lines)"), "\(lines)")
    }

    /// `run.precision` bf16 (the linear layers' products with bfloat16 operands): each step's loss within bf16
    /// rounding of the Float32 run's, yet not the same numbers; the same seed repeats it exactly; and a bf16 run
    /// does not resume in Float32. (On a CPU without AVX512-BF16 bf16 runs the Float32 kernels on rounded
    /// operands: the same test holds.)
    func testBF16TrainingTracksFloat32AndIsRecordedInCheckpoints() throws {
        let model = try tinyModel(), data = try sampleData()
        var runs: [TrainingPrecision: [MetricsRow]] = [:]
        var bf16Folder: URL?
        for precision in [TrainingPrecision.fp32, .bf16, .bf16] {
            let out = try makeScratchFolder()
            var o = options(data, out: out, objective: .remask)
            o.run.precision = precision
            _ = try Trainer(o, modelPath: model, log: { _ in }).run()
            let rows = try MetricsLog.read(out.appendingPathComponent("metrics.jsonl"))
            if let first = runs[precision] {
                XCTAssertEqual(first.map(\.loss), rows.map(\.loss), "\(precision): the same seed gives the same losses")
            }
            runs[precision] = rows
            if precision == .bf16 { bf16Folder = out }
        }
        let fp32 = try XCTUnwrap(runs[.fp32]), bf16 = try XCTUnwrap(runs[.bf16])
        XCTAssertEqual(fp32.map(\.step), bf16.map(\.step))
        XCTAssertNotEqual(fp32.map(\.loss), bf16.map(\.loss), "bf16 changed no number")
        for (a, b) in zip(fp32, bf16) {
            let la = try XCTUnwrap(a.loss), lb = try XCTUnwrap(b.loss)
            XCTAssertEqual(lb, la, accuracy: 0.02 * abs(la), "step \(a.step) \(a.split)")
        }
        var resume = options(data, out: try XCTUnwrap(bf16Folder), objective: .remask)
        resume.run.resume = true
        resume.run.precision = .fp32
        resume.optimizer.maxSteps = 12
        XCTAssertThrowsError(try Trainer(resume, modelPath: model, log: { _ in }).run()) { error in
            XCTAssertTrue("\(error)".contains("run.precision"), "\(error)")
        }
    }

    func testResumingUnderOtherSettingsIsRefused() throws {
        let model = try tinyModel(), data = try sampleData()
        let out = try makeScratchFolder()
        var o = options(data, out: out, objective: .sft)
        o.optimizer.maxSteps = 2
        _ = try Trainer(o, modelPath: model, log: { _ in }).run()
        XCTAssertThrowsError(try Trainer(o, modelPath: model, log: { _ in })) { error in
            XCTAssertTrue("\(error)".contains("--resume"), "\(error)")
        }
        o.run.resume = true
        o.optimizer.learningRate = 2e-3
        let trainer = try Trainer(o, modelPath: model, log: { _ in })
        XCTAssertThrowsError(try trainer.run()) { error in
            XCTAssertTrue("\(error)".contains("learning-rate"), "\(error)")
        }
    }

    /// `--resume` with nothing to resume is an error; a newest checkpoint that does not read back (here an empty
    /// step folder) is skipped with a message, and the run resumes from the one before it.
    func testResumeNeedsACheckpointAndFallsBackPastDamagedOnes() throws {
        let model = try tinyModel(), data = try sampleData()
        let out = try makeScratchFolder()
        var o = options(data, out: out, objective: .sft)
        o.optimizer.maxSteps = 6
        o.run.saveEvery = 2
        o.run.resume = true
        XCTAssertThrowsError(try Trainer(o, modelPath: model, log: { _ in }).run()) { error in
            XCTAssertTrue("\(error)".contains("holds no checkpoint to resume; run without --resume"), "\(error)")
        }
        o.run.resume = false
        _ = try Trainer(o, modelPath: model, log: { _ in }).run()
        let straight = try weights(out)
        let dir = CheckpointDirectory(output: out)
        XCTAssertEqual(try dir.steps(), [2, 4, 6])
        let newest = dir.folder(step: 6)
        for name in try FileManager.default.contentsOfDirectory(atPath: newest.path) {
            try FileManager.default.removeItem(at: newest.appendingPathComponent(name))
        }
        o.run.resume = true
        var lines: [String] = []
        XCTAssertEqual(try Trainer(o, modelPath: model, log: { lines.append($0) }).run().steps, 6)
        XCTAssertTrue(lines.contains { $0.hasPrefix("skipping a checkpoint that does not read back: step-000006") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("resuming from step-000004") }, "\(lines)")
        XCTAssertEqual(try weights(out), straight, "steps 5 and 6 again give the same weights")
        XCTAssertEqual(try dir.steps(), [2, 4, 6])
    }

    /// Resume checks contents, not just paths: edited data or another base model at the same path is refused
    /// (naming what changed), and a checkpoint whose bytes changed (same size) fails its checksum and is skipped.
    func testResumeChecksTheDataTheModelAndTheCheckpointContents() throws {
        let model = try tinyModel(), data = try sampleData()
        let out = try makeScratchFolder()
        var o = options(data, out: out, objective: .sft)
        o.optimizer.maxSteps = 4
        o.run.saveEvery = 2
        _ = try Trainer(o, modelPath: model, log: { _ in }).run()
        o.run.resume = true
        o.optimizer.maxSteps = 4

        let original = try Data(contentsOf: URL(fileURLWithPath: data.train))
        try (original + Data("\n".utf8)).write(to: URL(fileURLWithPath: data.train))
        XCTAssertThrowsError(try Trainer(o, modelPath: model, log: { _ in }).run()) { error in
            XCTAssertTrue("\(error)".contains("data-content"), "\(error)")
        }
        try original.write(to: URL(fileURLWithPath: data.train))

        let weights = URL(fileURLWithPath: model).appendingPathComponent("model.safetensors")
        let saved = try Data(contentsOf: weights)
        var other = saved
        other[other.count - 1] ^= 0x01
        try other.write(to: weights)
        XCTAssertThrowsError(try Trainer(o, modelPath: model, log: { _ in }).run()) { error in
            XCTAssertTrue("\(error)".contains("model-content"), "\(error)")
        }
        try saved.write(to: weights)

        let newest = CheckpointDirectory(output: out).folder(step: 4).appendingPathComponent(Checkpoint.optimizerFile)
        var damaged = try Data(contentsOf: newest)
        damaged[damaged.count - 1] ^= 0x40
        try damaged.write(to: newest)
        var lines: [String] = []
        XCTAssertEqual(try Trainer(o, modelPath: model, log: { lines.append($0) }).run().steps, 4)
        XCTAssertTrue(lines.contains { $0.contains("step-000004") && $0.contains("does not match the checksum") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("resuming from step-000002") }, "\(lines)")
    }
}
