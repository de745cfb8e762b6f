import Foundation
import Core
import NN

/// Everything a training run reads. The defaults are the ReMask recipe: ReMask-CoT masking (40% of response
/// inputs, 10% of rationale labels, 10% answer-only examples), w = 0.1 with symmetric KL, Lilith at 1e-5
/// under One Cycle cosine, micro-batches of 16 accumulated to 256, 6 epochs, sequences of 256 tokens, no
/// gradient clipping.
public struct TrainingOptions: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// `<|user|>` / `<|assistant|>` / `<|rationale|>` / `<|answer|>` tags, added to the vocabulary.
        case seed
        /// The model's own chat template.
        case model
    }

    public enum OptimizerKind: Sendable, Equatable {
        case lilith(acceleration: Float = 1, beta1M: Float = 0.9, beta2M: Float = 0.99, betaV: Float = 0.999, eps: Float = 1e-8,
                    gNormMin: Float = 1e-4, ratioMin: Float = 1e-4, emaK: Int = 0, emaBeta: Float = 0.99)
        case adamw(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8)
    }

    // Data
    public var dataPath: String
    /// A held-out file; without one, `validationSplit` of the training examples (0: no validation).
    public var validationPath: String?
    public var validationSplit: Double = 0
    /// Validation examples used at most (nil: all).
    public var validationLimit: Int?
    public var format: Format = .seed
    public var maxLength = 256
    /// Pack several examples per row instead of padding length-bucketed batches.
    public var packing = false
    public var skipBadLines = false

    // Objective and masking
    public var objective: Objective = .remask
    public var consistency = ConsistencySettings()
    /// The masking policy the run uses (and its checkpoints record): the objective's own
    /// (`MaskingPolicy.default(for:)`) until set. SFT's must mask no inputs (`rate` 0); its label rules apply.
    public var masking: MaskingPolicy {
        get { maskingOverride ?? .default(for: objective) }
        set { maskingOverride = newValue }
    }
    private var maskingOverride: MaskingPolicy?

    // Optimization
    public var optimizer: OptimizerKind = .lilith()
    public var learningRate: Float = 1e-5
    public var weightDecay: Float = 0.01
    /// `one-cycle`, `cosine` or `constant`.
    public var schedule = "one-cycle"
    public var warmupSteps: Int?
    public var minLearningRate: Float?
    public var pctStart: Double?
    public var microBatch = 16
    /// Examples (rows, when packing) per optimizer step: micro-batches accumulate up to it.
    public var batchSize = 256
    public var epochs = 6
    /// Stops after this many optimizer steps (it also sets the schedule's length).
    public var maxSteps: Int?
    /// Global gradient-norm clipping (nil: none, as in the ReMask recipe and Lilith's reference).
    public var clipNorm: Float?
    /// LoRA adapters instead of full fine-tuning.
    public var lora: LoRAConfig?

    // Run
    public var outputPath: String
    /// Validate every this many steps (0: only before and after training).
    public var evalEvery = 0
    /// Checkpoint every this many steps (0: only at the end and on Ctrl-C).
    public var saveEvery = 0
    public var keepCheckpoints = 3
    public var seed: UInt64 = 0
    public var resume = false
    /// Write into a non-empty folder remask did not create (never into an input).
    public var overwrite = false

    public init(dataPath: String, outputPath: String) {
        self.dataPath = dataPath
        self.outputPath = outputPath
    }

    /// Micro-batches per optimizer step.
    public var accumulation: Int { batchSize / microBatch }

    /// The first problem with these settings, or nil.
    public func validationError() -> String? {
        if microBatch < 1 { return "--micro-batch must be at least 1, got \(microBatch)" }
        if batchSize < microBatch || batchSize % microBatch != 0 {
            return "--batch-size (\(batchSize)) must be a multiple of --micro-batch (\(microBatch))"
        }
        if maxLength < 8 { return "--max-length must be at least 8, got \(maxLength)" }
        if epochs < 1 && maxSteps == nil { return "--epochs must be at least 1, got \(epochs)" }
        if let m = maxSteps, m < 1 { return "--max-steps must be at least 1, got \(m)" }
        if let v = validationLimit, v < 1 { return "--val-limit must be at least 1, got \(v)" }
        if let problem = optimizerProblem() { return problem }
        if !(weightDecay >= 0) || !weightDecay.isFinite { return "--weight-decay must be zero or positive, got \(weightDecay)" }
        if let w = warmupSteps, w < 0 { return "--warmup-steps cannot be negative, got \(w)" }
        if let m = minLearningRate, !(m >= 0) || !m.isFinite { return "--min-learning-rate must be zero or positive, got \(m)" }
        if let p = pctStart, !(p > 0 && p < 1) { return "--pct-start must be in (0, 1), got \(p)" }
        if !(learningRate > 0) || !learningRate.isFinite { return "--learning-rate must be positive, got \(learningRate)" }
        if !(0..<1).contains(validationSplit) { return "--val-split must be in [0, 1), got \(validationSplit)" }
        if validationPath != nil && validationSplit > 0 { return "give either --val or --val-split, not both" }
        if !(0...1).contains(masking.rate) { return "--mask-rate must be in [0, 1], got \(masking.rate)" }
        if !(0...1).contains(masking.rationaleLabelDrop) { return "--label-mask-rate must be in [0, 1], got \(masking.rationaleLabelDrop)" }
        if !(0...1).contains(masking.answerOnly) { return "--answer-only-rate must be in [0, 1], got \(masking.answerOnly)" }
        if !(0...1).contains(masking.rampFraction) { return "--mask-ramp must be in [0, 1], got \(masking.rampFraction)" }
        if case .mix(let f) = masking.replacement, !(0...1).contains(f) { return "--mask-mix must be in [0, 1], got \(f)" }
        if objective == .sft && masking.rate != 0 {
            return "sft masks no inputs, but the masking policy's rate is \(masking.rate); use masked-thought or remask"
        }
        if !(consistency.weight >= 0) { return "--consistency-weight must be non-negative, got \(consistency.weight)" }
        if let c = clipNorm, !(c > 0) { return "--clip-norm must be positive, got \(c)" }
        if evalEvery < 0 || saveEvery < 0 { return "--eval-every and --save-every cannot be negative" }
        if keepCheckpoints < 1 { return "--keep-checkpoints must be at least 1, got \(keepCheckpoints)" }
        if let problem = lora?.validationError() { return "LoRA: \(problem)" }
        return nil
    }

    /// The first optimizer setting out of its range, or nil.
    func optimizerProblem() -> String? {
        func unit(_ value: Float, _ flag: String) -> String? {
            (0..<1).contains(value) ? nil : "--\(flag) must be in [0, 1), got \(value)"
        }
        func positive(_ value: Float, _ flag: String) -> String? {
            value > 0 && value.isFinite ? nil : "--\(flag) must be positive, got \(value)"
        }
        func nonNegative(_ value: Float, _ flag: String) -> String? {
            value >= 0 && value.isFinite ? nil : "--\(flag) must be zero or positive, got \(value)"
        }
        let problems: [String?]
        switch optimizer {
        case let .lilith(acceleration, beta1M, beta2M, betaV, eps, gNormMin, ratioMin, emaK, emaBeta):
            problems = [positive(acceleration, "lilith-acceleration"), unit(beta1M, "lilith-beta1"), unit(beta2M, "lilith-beta2"),
                        unit(betaV, "lilith-beta-v"), positive(eps, "lilith-eps"), nonNegative(gNormMin, "lilith-g-norm-min"),
                        nonNegative(ratioMin, "lilith-ratio-min"), emaK < 0 ? "--lilith-ema-k cannot be negative, got \(emaK)" : nil,
                        unit(emaBeta, "lilith-ema-beta")]
        case let .adamw(beta1, beta2, eps):
            problems = [unit(beta1, "adam-beta1"), unit(beta2, "adam-beta2"), positive(eps, "adam-eps")]
        }
        return problems.lazy.compactMap { $0 }.first
    }

    /// The settings that decide the numbers a run produces, recorded in every checkpoint so `--resume`
    /// refuses to continue a run under different settings. Values are strings, so they read back unchanged
    /// from JSON.
    public var fingerprint: [String: ConfigValue] {
        var f: [String: String] = [
            "data": dataPath, "objective": objective.rawValue, "format": format.rawValue, "max-length": "\(maxLength)",
            "packing": "\(packing)", "micro-batch": "\(microBatch)", "batch-size": "\(batchSize)", "epochs": "\(epochs)",
            "learning-rate": "\(learningRate)", "schedule": schedule, "seed": "\(seed)", "masking": "\(masking)",
            "consistency": "\(consistency)", "optimizer": "\(optimizer)", "weight-decay": "\(weightDecay)",
            "clip-norm": clipNorm.map { "\($0)" } ?? "none", "max-steps": maxSteps.map { "\($0)" } ?? "none",
            "lora": lora.map { "rank \($0.rank), alpha \($0.alpha), dropout \($0.dropout), seed \($0.seed), "
                + $0.orderedTargets.map(\.rawValue).joined(separator: ",") } ?? "none",
        ]
        f["schedule-options"] = "warmup \(warmupSteps.map { "\($0)" } ?? "-"), min \(minLearningRate.map { "\($0)" } ?? "-"), pct \(pctStart.map { "\($0)" } ?? "-")"
        return f.mapValues { .string($0) }
    }
}
