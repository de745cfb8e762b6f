import Foundation
import ReMask
import Core

/// One finished cell of a study (a fine-tuning run and its evaluation on the test split), as `result.json`
/// records it. A cell with this file is never recomputed.
public struct CellResult: Codable, Equatable, Sendable {
    public var regime: String
    /// The arm as reported: its name, or `<name>@<rate>` for a dose-response cell.
    public var arm: String
    public var objective: String
    public var maskRate: Double?
    public var seed: UInt64
    public var steps: Int
    /// Tokens of training data fed to the model (the budget each arm gets alike).
    public var trainingTokens: Int
    /// Tokens through the model, forward and backward: twice the training tokens for ReMask's two passes.
    public var tokenPasses: Int
    /// Clean-input validation loss (cross-entropy on the validation split) after training.
    public var validationLoss: Double?
    public var scores: ChainScores
    /// Multiple-choice acc and acc_norm on the test problems (log-likelihood, no rationale).
    public var multipleChoiceAcc: Double
    public var multipleChoiceAccNorm: Double
    /// Wall-clock seconds (machine-dependent: reported, never compared for reproducibility).
    public var trainSeconds: Double
    public var evalSeconds: Double

    static func read(_ url: URL) throws -> CellResult? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(CellResult.self, from: Data(contentsOf: url))
        } catch {
            throw FileError(path: url.path, "cannot read a finished cell's result (delete it to recompute the cell): \(error)")
        }
    }

    func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }
}

/// What a training run cost, read back from its metrics log so that a resumed run reports the whole run.
struct TrainingCost: Codable, Equatable {
    var steps: Int
    var tokens: Int
    var seconds: Double
    var validationLoss: Double?

    /// Trains a run — continuing from its checkpoint when an earlier attempt left one — and reads back what
    /// the whole run cost.
    static func train(_ settings: TrainingSettings, log: @escaping (String) -> Void) throws -> TrainingCost {
        let folder = URL(fileURLWithPath: settings.run.out)
        var settings = settings
        // Resume only a run that saved a checkpoint (one stopped before its first save starts again).
        settings.run.resume = try !CheckpointDirectory(output: folder).steps().isEmpty
        _ = try Trainer(settings, log: log).run()
        return try TrainingCost(metrics: folder.appendingPathComponent("metrics.jsonl"))
    }

    init(metrics url: URL) throws {
        let rows = try MetricsLog.read(url)
        let last = rows.last { $0.split == .train }
        steps = last?.step ?? 0
        tokens = last?.tokens ?? 0
        seconds = last?.elapsedSeconds ?? 0
        validationLoss = rows.last { $0.split == .val }?.loss
    }
}
