import ArgumentParser
import Core
import NN
import ReMask

// The flags of `remask train`, one option group per group of `TrainingSettings`. Every flag is optional: a flag
// given overrides the config file, which overrides the recipe's defaults (shown in the help).

/// Reads `value` as one of `T`'s names, for a flag.
private func choice<T: SettingChoice>(_ value: String?, _ flag: String) throws -> T? {
    guard let value else { return nil }
    guard let v = T(rawValue: value) else { throw ValidationError("--\(flag) must be one of \(T.names), got '\(value)'") }
    return v
}

struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Training data (JSONL).") var train: String?
    @Option(help: "Validation data (JSONL).") var val: String?
    @Option(name: .customLong("val-split"), help: "Without --val: hold out this share of the training data (default 0).") var valSplit: Double?
    @Option(name: .customLong("val-limit"), help: "Use at most this many validation examples.") var valLimit: Int?
    @Option(help: "Prompt format: seed (<|user|>/<|assistant|>/<|rationale|>/<|answer|> tags, the default) or model (its chat template).")
    var format: String?
    @Option(name: .customLong("max-length"), help: "Tokens per example; longer ones are truncated and counted (default 256).") var maxLength: Int?
    @Flag(inversion: .prefixedNo, help: "Pack several examples per row (no attention across them) instead of length bucketing (default off).")
    var packing: Bool?
    @Flag(name: .customLong("skip-bad-lines"), inversion: .prefixedNo, help: "Skip malformed lines (and report how many) instead of stopping.")
    var skipBadLines: Bool?

    func apply(to d: inout DataSettings) throws {
        if let train { d.train = train }
        if let val { d.val = val }
        if let valSplit { d.valSplit = valSplit }
        if let valLimit { d.valLimit = valLimit }
        if let f: DataSettings.Format = try choice(format, "format") { d.format = f }
        if let maxLength { d.maxLength = maxLength }
        if let packing { d.packing = packing }
        if let skipBadLines { d.skipBadLines = skipBadLines }
    }
}

struct ObjectiveOptions: ParsableArguments {
    @Option(name: .customLong("objective"), help: "sft, masked-thought or remask (default).") var name: String?
    @Option(name: .customLong("consistency-weight"), help: "ReMask: weight w of D in 0.5·(CE_masked + CE_full) + w·D (default 0.1).")
    var consistencyWeight: Float?
    @Option(help: "ReMask: D is kl-sym (default), kl-forward, kl-reverse or mse.") var divergence: String?
    @Flag(name: .customLong("detach-full"), inversion: .prefixedNo, help: "ReMask: the full pass is a fixed teacher inside D (default off).")
    var detachFull: Bool?

    func apply(to o: inout ObjectiveSettings) throws {
        if let n: Objective = try choice(name, "objective") { o.name = n }
        if let consistencyWeight { o.consistencyWeight = consistencyWeight }
        if let d: Divergence = try choice(divergence, "divergence") { o.divergence = d }
        if let detachFull { o.detachFull = detachFull }
    }
}

struct MaskingOptions: ParsableArguments {
    @Option(name: .customLong("masking"), help: ArgumentHelp(
        "Masking preset: remask-cot, remask, masked-thought or none. Default: the objective's own.",
        discussion: "remask-cot: 40% per-token [mask], no ramp, answers protected, 10% of rationale labels dropped, 10% of examples "
            + "answer-only (remask's default). remask: the same without the CoT rules. masked-thought: 40% Binomial count, random "
            + "tokens, 2/3 ramp, answers maskable, no label rules (masked-thought's default). none: nothing (sft's default). The flags "
            + "below override the preset."))
    var preset: String?
    @Option(name: .customLong("mask-rate"), help: "Share of response tokens masked in the input. Default: 0.4 (masked-thought, remask); sft masks none.")
    var rate: Float?
    @Option(name: .customLong("mask-count"), help: "per-token (each with the rate) or binomial (a Binomial count per example). Default: binomial for masked-thought, per-token for remask.")
    var count: String?
    @Option(name: .customLong("mask-replacement"), help: "mask ([mask] token), random (random token) or mix. Default: random for masked-thought, mask for remask.")
    var replacement: String?
    @Option(name: .customLong("mask-mix"), help: "With --mask-replacement mix: the share replaced by [mask] (0.5).") var mix: Float?
    @Option(name: .customLong("mask-ramp"), help: "Ramp the mask rate up from 0 over this share of training. Default: 2/3 for masked-thought, 0 for remask.")
    var ramp: Float?
    @Flag(name: .customLong("protect-answer"), inversion: .prefixedNo,
          help: "Never mask answer tokens in the input. Default: on for remask (ReMask-CoT), off for masked-thought.")
    var protectAnswer: Bool?
    @Option(name: .customLong("label-mask-rate"), help: "Share of rationale labels dropped (any objective). Default: 0.1 for remask, else 0.")
    var labelMaskRate: Float?
    @Option(name: .customLong("answer-only-rate"), help: "Share of chain-of-thought examples supervised on the answer only (any objective). Default: 0.1 for remask, else 0.")
    var answerOnlyRate: Float?
    @Flag(name: .customLong("cot-rules"), inversion: .prefixedNo, help: ArgumentHelp(
        "ReMask-CoT's rules: answers protected, 10% of rationale labels dropped, 10% of examples answer-only; --no-cot-rules: none "
            + "of them. Default: on for remask, off otherwise. --protect-answer, --label-mask-rate and --answer-only-rate override it."))
    var cotRules: Bool?

    func apply(to m: inout MaskingSettings) throws {
        if let p: MaskingSettings.Preset = try choice(preset, "masking") { m.preset = p }
        if let rate { m.rate = rate }
        if let c: MaskingSettings.CountName = try choice(count, "mask-count") { m.count = c.count }
        if let r: MaskingSettings.ReplacementName = try choice(replacement, "mask-replacement") { m.replacement = r.replacement }
        if let mix { m.mixFraction = mix }
        if let ramp { m.rampFraction = ramp }
        if let protectAnswer { m.protectAnswer = protectAnswer }
        if let labelMaskRate { m.rationaleLabelDrop = labelMaskRate }
        if let answerOnlyRate { m.answerOnly = answerOnlyRate }
        if let cotRules { m.cotRules = cotRules }
    }
}

struct OptimizerOptions: ParsableArguments {
    @Option(name: .customLong("optimizer"), help: ArgumentHelp("lilith or adamw. Default: lilith for full fine-tuning, adamw with LoRA.",
                                                               discussion: "Lilith scales each tensor's gradient by ‖p‖/‖g‖, which keeps LoRA's zero-initialised B near zero."))
    var name: String?
    @Option(name: .customLong("learning-rate"), help: "Peak learning rate (default 1e-5).") var learningRate: Float?
    @Option(name: .customLong("weight-decay"), help: "Decoupled weight decay (default 0.01).") var weightDecay: Float?
    @Option(help: "one-cycle (default), cosine (linear warm-up) or constant.") var schedule: String?
    @Option(name: .customLong("warmup-steps"), help: "cosine: warm-up steps.") var warmupSteps: Int?
    @Option(name: .customLong("min-learning-rate"), help: "cosine: final learning rate.") var minLearningRate: Float?
    @Option(name: .customLong("pct-start"), help: "one-cycle: share of steps rising to the peak (0.3).") var pctStart: Double?
    @Option(name: .customLong("micro-batch"), help: "Examples per forward/backward pass, rows when packing (default 16).") var microBatch: Int?
    @Option(name: .customLong("batch-size"), help: "Examples per optimizer step, by gradient accumulation (default 256).") var batchSize: Int?
    @Option(help: "Passes over the training data (default 6).") var epochs: Int?
    @Option(name: .customLong("max-steps"), help: "Stop after this many optimizer steps (sets the schedule's length).") var maxSteps: Int?
    @Option(name: .customLong("clip-norm"), help: "Clip the global gradient norm to this. Default: no clipping (as in the ReMask recipe); 0 also means none.")
    var clipNorm: Float?
    @Option(name: .customLong("lilith-acceleration"), help: "Lilith (default 1).") var lilithAcceleration: Float?
    @Option(name: .customLong("lilith-beta1"), help: "Lilith (default 0.9).") var lilithBeta1: Float?
    @Option(name: .customLong("lilith-beta2"), help: "Lilith (default 0.99).") var lilithBeta2: Float?
    @Option(name: .customLong("lilith-beta-v"), help: "Lilith (default 0.999).") var lilithBetaV: Float?
    @Option(name: .customLong("lilith-eps"), help: "Lilith (default 1e-8).") var lilithEps: Float?
    @Option(name: .customLong("lilith-g-norm-min"), help: "Lilith (default 1e-4).") var lilithGNormMin: Float?
    @Option(name: .customLong("lilith-ratio-min"), help: "Lilith (default 1e-4).") var lilithRatioMin: Float?
    @Option(name: .customLong("lilith-ema-k"), help: "Lilith: every k steps the weights become their EMA (default 0: off).") var lilithEmaK: Int?
    @Option(name: .customLong("lilith-ema-beta"), help: "Lilith (default 0.99).") var lilithEmaBeta: Float?
    @Option(name: .customLong("adam-beta1"), help: "AdamW (default 0.9).") var adamBeta1: Float?
    @Option(name: .customLong("adam-beta2"), help: "AdamW (default 0.999).") var adamBeta2: Float?
    @Option(name: .customLong("adam-eps"), help: "AdamW (default 1e-8).") var adamEps: Float?

    func apply(to o: inout OptimizerSettings) throws {
        if let n: OptimizerSettings.Name = try choice(name, "optimizer") { o.name = n }
        if let learningRate { o.learningRate = learningRate }
        if let weightDecay { o.weightDecay = weightDecay }
        if let s: OptimizerSettings.Schedule = try choice(schedule, "schedule") { o.schedule = s }
        if let warmupSteps { o.warmupSteps = warmupSteps }
        if let minLearningRate { o.minLearningRate = minLearningRate }
        if let pctStart { o.pctStart = pctStart }
        if let microBatch { o.microBatch = microBatch }
        if let batchSize { o.batchSize = batchSize }
        if let epochs { o.epochs = epochs }
        if let maxSteps { o.maxSteps = maxSteps }
        if let clipNorm { o.clipNorm = clipNorm }
        if let lilithAcceleration { o.lilith.acceleration = lilithAcceleration }
        if let lilithBeta1 { o.lilith.beta1 = lilithBeta1 }
        if let lilithBeta2 { o.lilith.beta2 = lilithBeta2 }
        if let lilithBetaV { o.lilith.betaV = lilithBetaV }
        if let lilithEps { o.lilith.eps = lilithEps }
        if let lilithGNormMin { o.lilith.gNormMin = lilithGNormMin }
        if let lilithRatioMin { o.lilith.ratioMin = lilithRatioMin }
        if let lilithEmaK { o.lilith.emaK = lilithEmaK }
        if let lilithEmaBeta { o.lilith.emaBeta = lilithEmaBeta }
        if let adamBeta1 { o.adam.beta1 = adamBeta1 }
        if let adamBeta2 { o.adam.beta2 = adamBeta2 }
        if let adamEps { o.adam.eps = adamEps }
    }
}

struct LoRAOptions: ParsableArguments {
    @Option(name: .customLong("lora-rank"), help: "Train LoRA adapters of this rank instead of all weights (default 0: full fine-tuning).") var rank: Int?
    @Option(name: .customLong("lora-alpha"), help: "LoRA scale numerator: adapters add (alpha/rank)·BA (default 16).") var alpha: Float?
    @Option(name: .customLong("lora-dropout"), help: "Dropout on the adapters' input (default 0.05).") var dropout: Float?
    @Option(name: .customLong("lora-targets"), help: "Comma-separated projections (default all): q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj.")
    var targets: String?

    func apply(to l: inout LoRASettings) throws {
        if let rank { l.rank = rank }
        if let alpha { l.alpha = alpha }
        if let dropout { l.dropout = dropout }
        if let targets {
            l.targets = try targets.split(separator: ",").map { name -> LoRATarget in
                guard let t: LoRATarget = try choice(String(name), "lora-targets") else { throw ValidationError("--lora-targets is empty") }
                return t
            }
        }
    }
}

struct RunOptions: ParsableArguments {
    @Option(help: "Output folder.") var out: String?
    @Flag(inversion: .prefixedNo, help: "Continue from the latest valid checkpoint in --out.") var resume: Bool?
    @Flag(inversion: .prefixedNo, help: "Write into --out even if it is a non-empty folder remask did not create (never into an input).")
    var overwrite: Bool?
    @Option(name: .customLong("eval-every"), help: "Validate every N steps (default 0: before and after training only).") var evalEvery: Int?
    @Option(name: .customLong("save-every"), help: "Checkpoint every N steps (default 0: at the end and on Ctrl-C).") var saveEvery: Int?
    @Option(name: .customLong("keep-checkpoints"), help: "Checkpoints kept, the newest (default 3).") var keepCheckpoints: Int?
    @Option(help: "Seed for data order, masks and LoRA (default 0).") var seed: UInt64?
    @Option(help: "Show greedy generations for this many validation prompts before and after training (default 0).") var samples: Int?
    @Option(name: .customLong("sample-tokens"), help: "Tokens per sample generation (default 64).") var sampleTokens: Int?
    @Option(help: ArgumentHelp("""
        The products of training steps (linear layers, attention): fp32, or bf16 (bfloat16 operands, Float32 sums; weights, \
        gradients, optimizer state and validation stay Float32); auto takes bf16 where the CPU has AVX512-BF16 \
        (about 1.7× the Float32 step), else fp32 (default auto).
        """, valueName: "auto|fp32|bf16")) var precision: TrainingPrecision?

    func apply(to r: inout RunSettings) {
        if let out { r.out = out }
        if let resume { r.resume = resume }
        if let overwrite { r.overwrite = overwrite }
        if let evalEvery { r.evalEvery = evalEvery }
        if let saveEvery { r.saveEvery = saveEvery }
        if let keepCheckpoints { r.keepCheckpoints = keepCheckpoints }
        if let seed { r.seed = seed }
        if let samples { r.samples = samples }
        if let sampleTokens { r.sampleTokens = sampleTokens }
        if let precision { r.precision = precision }
    }
}

extension TrainingPrecision: ExpressibleByArgument {}
