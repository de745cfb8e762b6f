import Foundation
import Models
import ReMask
import Core

/// How the base model did on the gate: teacher-forced per-step accuracies on the held-out base problems, and
/// its free-running exact match there (for information).
public struct GateResult: Codable, Equatable, Sendable {
    public var lookup: Double
    public var arithmetic: Double
    public var exactMatch: Double
    public var required: [String: Double]
    public var passed: Bool
    public var trainSeconds: Double
    public var steps: Int
    public var trainingTokens: Int
}

/// Stage 0: for a scratch model, learns the tokenizer on the base problems, draws the decoder from a fixed seed,
/// trains it with SFT on the base problems once (`base/train/`, resumable like any run), and checks the gate on
/// the held-out base problems (`base/gate.json`). Every grid cell fine-tunes from the result.
struct BaseStage {
    let config: StudyConfig
    let folder: URL
    let log: (String) -> Void
    let progress: (String, Int, Int, String) -> Void
    /// The decoder's initial weights come from this seed (not one of the grid's: the base is shared).
    static let seed: UInt64 = 0

    /// The base model's path, after stage 0 has run and passed (or the pretrained model's path).
    func run(_ benchmark: StudyBenchmark) throws -> (path: String, gate: GateResult?) {
        let spec: ScratchModelSpec
        switch config.model {
        case .pretrained(let path): return (path, nil)
        case .scratch(let s): spec = s
        }
        let trainFolder = folder.appendingPathComponent("train")
        let gateURL = folder.appendingPathComponent("gate.json")
        var gate: GateResult
        if let data = try? Data(contentsOf: gateURL), let saved = try? JSONDecoder().decode(GateResult.self, from: data) {
            gate = saved
        } else {
            let initFolder = folder.appendingPathComponent("init")
            let settings = try config.baseSettings(data: benchmark.baseURL.path, validation: benchmark.baseValidationURL.path,
                                                   out: trainFolder.path, model: initFolder.path, seed: Self.seed)
            try ScratchModel.write(spec, tokenizer: ScratchModel.tokenizer(spec, texts: benchmark.baseTexts), seed: Self.seed,
                                   maxLength: settings.data.maxLength, folder: initFolder)
            log("stage 0: training the base model on \(benchmark.problems.base.count) problems (\(benchmark.baseURL.path))")
            let cost = try TrainingCost.train(settings, log: log)
            let lm = try LanguageModel.load(trainFolder.path)
            let scorer = ChainScorer(lm: lm, tokenizer: try lm.requireTokenizer(), batchSize: config.evalBatchSize, maxNewTokens: config.maxNewTokens)
            let (scores, generations) = try scorer.score(benchmark.problems.baseValidation, idPrefix: "base-val") { stage, done, total, status in
                progress("base model \(stage)", done, total, status)
            }
            try AtomicFile.write(generations, to: folder.appendingPathComponent("base-val-generations.jsonl"))
            gate = GateResult(lookup: scores.teacherLookup, arithmetic: scores.teacherArithmetic, exactMatch: scores.exactMatch,
                              required: ["lookup": config.gate.lookup, "arithmetic": config.gate.arithmetic],
                              passed: scores.teacherLookup >= config.gate.lookup && scores.teacherArithmetic >= config.gate.arithmetic,
                              trainSeconds: cost.seconds, steps: cost.steps, trainingTokens: cost.tokens)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(gate), to: gateURL)
        }
        let summary = String(format: "base model on held-out base problems, teacher-forced: look-up %.1f%% (gate %.0f%%), arithmetic %.1f%% (gate %.0f%%); free-running exact match %.1f%%",
                             100 * gate.lookup, 100 * config.gate.lookup, 100 * gate.arithmetic, 100 * config.gate.arithmetic, 100 * gate.exactMatch)
        log(summary)
        guard gate.passed else {
            throw StudyError("the base model failed the gate (\(summary)); no grid cell ran. Train the base longer or larger "
                             + "(base.* and scratch-* settings), or delete \(folder.path) after changing them")
        }
        return (trainFolder.path, gate)
    }
}

/// A study that cannot go on, with the reason.
public struct StudyError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
