import Core

/// Where a run reads its model and writes, how often it validates and checkpoints, and its seed (`run:` in a
/// config file). Only the seed and the precision change the numbers a run produces.
public struct RunSettings: Codable, Sendable, Equatable {
    /// The base model (GGUF file or Hugging Face folder); nil: the default model.
    public var model: String?
    /// The output folder.
    public var out = ""
    public var resume = false
    /// Write into a non-empty folder remask did not create (never into an input).
    public var overwrite = false
    /// Worker threads (nil: all cores).
    public var threads: Int?
    /// Validate every this many steps (0: only before and after training).
    public var evalEvery = 0
    /// Checkpoint every this many steps (0: only at the end and on Ctrl-C).
    public var saveEvery = 0
    public var keepCheckpoints = 3
    /// Seeds data order, masks and LoRA.
    public var seed: UInt64 = 0
    /// Greedy generations shown for this many validation prompts before and after training.
    public var samples = 0
    public var sampleTokens = 64
    /// The arithmetic of the products of training steps (see `TrainingPrecision`). Changes the numbers.
    public var precision = TrainingPrecision.auto

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, out, resume, overwrite, threads, evalEvery = "eval-every", saveEvery = "save-every"
        case keepCheckpoints = "keep-checkpoints", seed, samples, sampleTokens = "sample-tokens", precision
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&model, .model)
        try c.fill(&out, .out)
        try c.fill(&resume, .resume)
        try c.fill(&overwrite, .overwrite)
        try c.fill(&threads, .threads)
        try c.fill(&evalEvery, .evalEvery)
        try c.fill(&saveEvery, .saveEvery)
        try c.fill(&keepCheckpoints, .keepCheckpoints)
        try c.fill(&seed, .seed)
        try c.fill(&samples, .samples)
        try c.fill(&sampleTokens, .sampleTokens)
        try c.fill(&precision, .precision)
    }

    func validate() throws(SettingsError) {
        func fail(_ key: CodingKeys, _ reason: String) -> SettingsError { SettingsError(flag: key.rawValue, key: "run." + key.rawValue, reason) }
        if out.isEmpty { throw fail(.out, "is required: the output folder") }
        if let t = threads, t < 1 { throw fail(.threads, "must be at least 1, got \(t)") }
        if evalEvery < 0 { throw fail(.evalEvery, "cannot be negative, got \(evalEvery)") }
        if saveEvery < 0 { throw fail(.saveEvery, "cannot be negative, got \(saveEvery)") }
        if keepCheckpoints < 1 { throw fail(.keepCheckpoints, "must be at least 1, got \(keepCheckpoints)") }
        if samples < 0 { throw fail(.samples, "cannot be negative, got \(samples)") }
        if sampleTokens < 1 { throw fail(.sampleTokens, "must be at least 1, got \(sampleTokens)") }
    }
}

/// `run.precision`: the products of training steps (linear layers, attention) in Float32, or with bfloat16 operands and Float32
/// sums (weights, gradients, optimizer state and validation stay Float32). `auto`, the default, takes bf16 where
/// the GEMM kernels have a bf16 dot product (AVX512-BF16: about 1.7× the Float32 step) and fp32 elsewhere (where
/// bf16 would round without running faster). docs/kernels.md has the evidence that training quality holds.
public enum TrainingPrecision: String, SettingChoice {
    case auto, fp32, bf16

    /// The precision a run uses on this machine.
    public var resolved: Precision {
        switch self {
        case .fp32: .fp32
        case .bf16: .bf16
        case .auto: GEMMKernels.hasFastBF16 ? .bf16 : .fp32
        }
    }
}
