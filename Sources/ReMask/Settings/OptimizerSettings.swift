/// How the weights move (`optimizer:` in a config file; `optimizer: adamw` is short for `optimizer: {name: adamw}`).
/// The defaults are the ReMask recipe: Lilith at 1e-5 under One Cycle cosine, micro-batches of 16 accumulated
/// to 256, 6 epochs, no gradient clipping.
public struct OptimizerSettings: Codable, Sendable, Equatable {
    public enum Name: String, SettingChoice { case lilith, adamw }
    public enum Schedule: String, SettingChoice {
        case oneCycle = "one-cycle", cosine, constant
    }

    /// nil: Lilith for full fine-tuning, AdamW with LoRA.
    public var name: Name?
    /// The peak learning rate.
    public var learningRate: Float = 1e-5
    public var weightDecay: Float = 0.01
    public var schedule: Schedule = .oneCycle
    /// cosine: linear warm-up steps.
    public var warmupSteps: Int?
    /// cosine: the final learning rate.
    public var minLearningRate: Float?
    /// one-cycle: the share of steps rising to the peak (0.3).
    public var pctStart: Double?
    public var microBatch = 16
    /// Examples (rows, when packing) per optimizer step: micro-batches accumulate up to it.
    public var batchSize = 256
    public var epochs = 6
    /// Stops after this many optimizer steps (it also sets the schedule's length).
    public var maxSteps: Int?
    /// Global gradient-norm clipping (nil: none, as in the ReMask recipe and Lilith's reference).
    public var clipNorm: Float?
    public var lilith = LilithSettings()
    public var adam = AdamSettings()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, learningRate = "learning-rate", weightDecay = "weight-decay", schedule, warmupSteps = "warmup-steps"
        case minLearningRate = "min-learning-rate", pctStart = "pct-start", microBatch = "micro-batch", batchSize = "batch-size"
        case epochs, maxSteps = "max-steps", clipNorm = "clip-norm", lilith, adam
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&name, .name)
        try c.fill(&learningRate, .learningRate)
        try c.fill(&weightDecay, .weightDecay)
        try c.fill(&schedule, .schedule)
        try c.fill(&warmupSteps, .warmupSteps)
        try c.fill(&minLearningRate, .minLearningRate)
        try c.fill(&pctStart, .pctStart)
        try c.fill(&microBatch, .microBatch)
        try c.fill(&batchSize, .batchSize)
        try c.fill(&epochs, .epochs)
        try c.fill(&maxSteps, .maxSteps)
        try c.fill(&clipNorm, .clipNorm)
        try c.fill(&lilith, .lilith)
        try c.fill(&adam, .adam)
    }

    /// The optimizer a run uses: the one named, else Lilith for full fine-tuning and AdamW with LoRA.
    public func resolvedName(lora: Bool) -> Name { name ?? (lora ? .adamw : .lilith) }

    /// Micro-batches per optimizer step.
    public var accumulation: Int { batchSize / microBatch }

    func validate() throws(SettingsError) {
        func fail(_ flag: String, _ reason: String) -> SettingsError {
            SettingsError(flag: flag, key: "optimizer." + flag, reason)
        }
        if microBatch < 1 { throw fail("micro-batch", "must be at least 1, got \(microBatch)") }
        if batchSize < microBatch || batchSize % microBatch != 0 {
            throw fail("batch-size", "must be a multiple of --micro-batch (\(microBatch)), got \(batchSize)")
        }
        if epochs < 1 && maxSteps == nil { throw fail("epochs", "must be at least 1, got \(epochs)") }
        if let m = maxSteps, m < 1 { throw fail("max-steps", "must be at least 1, got \(m)") }
        if !(learningRate > 0) || !learningRate.isFinite { throw fail("learning-rate", "must be positive, got \(learningRate)") }
        if !(weightDecay >= 0) || !weightDecay.isFinite { throw fail("weight-decay", "must be zero or positive, got \(weightDecay)") }
        if let w = warmupSteps, w < 0 { throw fail("warmup-steps", "cannot be negative, got \(w)") }
        if let m = minLearningRate, !(m >= 0) || !m.isFinite { throw fail("min-learning-rate", "must be zero or positive, got \(m)") }
        if let p = pctStart, !(p > 0 && p < 1) { throw fail("pct-start", "must be in (0, 1), got \(p)") }
        if let c = clipNorm, !(c >= 0) || !c.isFinite { throw fail("clip-norm", "must be positive (0: no clipping), got \(c)") }
        try lilith.validate()
        try adam.validate()
    }
}

/// Lilith's constants (`optimizer.lilith:`); flags `--lilith-<key>`.
public struct LilithSettings: Codable, Sendable, Equatable {
    public var acceleration: Float = 1
    public var beta1: Float = 0.9
    public var beta2: Float = 0.99
    public var betaV: Float = 0.999
    public var eps: Float = 1e-8
    public var gNormMin: Float = 1e-4
    public var ratioMin: Float = 1e-4
    /// Every k steps the weights become their EMA (0: off).
    public var emaK = 0
    public var emaBeta: Float = 0.99

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case acceleration, beta1, beta2, betaV = "beta-v", eps, gNormMin = "g-norm-min", ratioMin = "ratio-min", emaK = "ema-k"
        case emaBeta = "ema-beta"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&acceleration, .acceleration)
        try c.fill(&beta1, .beta1)
        try c.fill(&beta2, .beta2)
        try c.fill(&betaV, .betaV)
        try c.fill(&eps, .eps)
        try c.fill(&gNormMin, .gNormMin)
        try c.fill(&ratioMin, .ratioMin)
        try c.fill(&emaK, .emaK)
        try c.fill(&emaBeta, .emaBeta)
    }

    func validate() throws(SettingsError) {
        func check(_ ok: Bool, _ key: CodingKeys, _ value: Any, _ range: String) throws(SettingsError) {
            guard !ok else { return }
            throw SettingsError(flag: "lilith-" + key.rawValue, key: "optimizer.lilith." + key.rawValue, "must be \(range), got \(value)")
        }
        try check(acceleration > 0 && acceleration.isFinite, .acceleration, acceleration, "positive")
        try check((0..<1).contains(beta1), .beta1, beta1, "in [0, 1)")
        try check((0..<1).contains(beta2), .beta2, beta2, "in [0, 1)")
        try check((0..<1).contains(betaV), .betaV, betaV, "in [0, 1)")
        try check(eps > 0 && eps.isFinite, .eps, eps, "positive")
        try check(gNormMin >= 0 && gNormMin.isFinite, .gNormMin, gNormMin, "zero or positive")
        try check(ratioMin >= 0 && ratioMin.isFinite, .ratioMin, ratioMin, "zero or positive")
        try check(emaK >= 0, .emaK, emaK, "zero or positive")
        try check((0..<1).contains(emaBeta), .emaBeta, emaBeta, "in [0, 1)")
    }
}

/// AdamW's constants (`optimizer.adam:`); flags `--adam-<key>`.
public struct AdamSettings: Codable, Sendable, Equatable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var eps: Float = 1e-8

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case beta1, beta2, eps }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&beta1, .beta1)
        try c.fill(&beta2, .beta2)
        try c.fill(&eps, .eps)
    }

    func validate() throws(SettingsError) {
        for (key, value) in [(CodingKeys.beta1, beta1), (.beta2, beta2)] where !(0..<1).contains(value) {
            throw SettingsError(flag: "adam-" + key.rawValue, key: "optimizer.adam." + key.rawValue, "must be in [0, 1), got \(value)")
        }
        if !(eps > 0) || !eps.isFinite { throw SettingsError(flag: "adam-eps", key: "optimizer.adam.eps", "must be positive, got \(eps)") }
    }
}
