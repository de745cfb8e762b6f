import Foundation

/// What `remask npm train` optimizes: NPM's contrastive span objective, or (the baseline) BERT's masked-LM
/// objective with a softmax over the vocabulary.
public enum NPMObjective: String, Sendable, CaseIterable, Codable {
    case npm
    case mlm
}

/// Every setting of an NPM training run, validated in one place (`validate()`).
public struct NPMTrainingSettings: Sendable, Equatable {
    public var model: String
    public var data: String
    /// The JSONL field holding the text.
    public var field = "text"
    public var out: String
    public var objective = NPMObjective.npm
    public var steps = 1000
    /// Blocks per step; NPM's positives come from the other blocks of the same step.
    public var batchSize = 16
    /// Tokens per block, `[CLS]` and `[SEP]` included.
    public var blockLength = 128
    public var learningRate: Float = 2e-5
    public var warmupSteps = 50
    public var weightDecay: Float = 0.01
    public var maxGradNorm: Float = 1.0
    public var masking = SpanMaskingSettings()
    /// The masked-LM objective's share of masked tokens (BERT: 15%, of which 80% `[MASK]`, 10% random, 10% kept).
    public var mlmProbability = 0.15
    public var seed: UInt64 = 0
    public var checkpointEvery = 200
    public var keepCheckpoints = 2
    public var resume = false
    public var overwrite = false

    public init(model: String, data: String, out: String) {
        self.model = model; self.data = data; self.out = out
    }

    /// The first problem, named by its flag.
    public func validate() throws {
        func require(_ ok: Bool, _ message: String) throws { if !ok { throw NPMError.invalidSettings(message) } }
        try require(!model.isEmpty, "--model is required")
        try require(!data.isEmpty, "--data is required")
        try require(!out.isEmpty, "--out is required")
        try require(steps >= 1, "--steps must be at least 1, got \(steps)")
        try require(batchSize >= 2, "--batch-size must be at least 2 (NPM's positives come from the other blocks of a batch), got \(batchSize)")
        try require(blockLength >= 8, "--block-length must be at least 8 tokens, got \(blockLength)")
        try require(learningRate.isFinite && learningRate > 0, "--lr must be positive, got \(learningRate)")
        try require(warmupSteps >= 0 && warmupSteps < steps, "--warmup-steps must be 0…\(steps - 1), got \(warmupSteps)")
        try require(weightDecay >= 0, "--weight-decay must not be negative, got \(weightDecay)")
        try require(maxGradNorm > 0, "--max-grad-norm must be positive, got \(maxGradNorm)")
        try require(mlmProbability > 0 && mlmProbability < 1, "--mlm-probability must be between 0 and 1, got \(mlmProbability)")
        try require(checkpointEvery >= 1, "--checkpoint-every must be at least 1, got \(checkpointEvery)")
        try require(keepCheckpoints >= 1, "--keep-checkpoints must be at least 1, got \(keepCheckpoints)")
        if let problem = masking.problem { throw NPMError.invalidSettings(problem) }
    }

    /// The settings a resumed run must share with its checkpoint, under their flag names.
    var fingerprint: [String: String] {
        ["objective": objective.rawValue, "steps": "\(steps)", "batch-size": "\(batchSize)", "block-length": "\(blockLength)",
         "lr": "\(learningRate)", "warmup-steps": "\(warmupSteps)", "weight-decay": "\(weightDecay)", "seed": "\(seed)",
         "max-grad-norm": "\(maxGradNorm)", "mask-budget": "\(masking.budget)", "span-p": "\(masking.geometricP)",
         "max-span-length": "\(masking.maxSpanLength)", "max-spans": "\(masking.maxSpans)", "mlm-probability": "\(mlmProbability)",
         "field": field]
    }
}

/// An NPM command's failure, with the message it prints.
public enum NPMError: Error, CustomStringConvertible {
    case invalidSettings(String)
    case data(String)
    case nonFiniteLoss(step: Int, checkpoint: String?)

    public var description: String {
        switch self {
        case .invalidSettings(let m), .data(let m): return m
        case .nonFiniteLoss(let step, let checkpoint):
            return "the loss at step \(step + 1) is not finite; stopped without updating"
                + (checkpoint.map { " (the last checkpoint, \($0), is intact: lower --lr and --resume)" } ?? " (lower --lr)")
        }
    }
}
