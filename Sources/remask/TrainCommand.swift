import ArgumentParser
import Foundation
import Core
import NN
import Models
import ReMask

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a model with SFT, Masked Thought or ReMask.",
        discussion: """
            Data: JSONL, one example per line, in any of three shapes: chat {"messages": [{"role": …, "content": …}]}, \
            chain of thought {"prompt", "rationale", "answer"}, completion {"prompt", "completion"}. Labels sit on \
            responses, rationales and answers only.

            Defaults are the ReMask recipe: objective remask with ReMask-CoT rules on chain-of-thought rows, 40% of \
            response inputs replaced by [mask], consistency weight 0.1 on the symmetric KL, Lilith at lr 1e-5 with \
            One Cycle cosine, micro-batches of 16 accumulated to 256, 6 epochs, 256 tokens, no gradient clipping.

            Masking: the objective picks the defaults (sft: nothing masked, no label rules; masked-thought: Chen et \
            al.'s, a Binomial count of response tokens replaced by random tokens, rate ramped over the first 2/3, \
            answers maskable, no label rules; remask: ReMask-CoT). --masking PRESET replaces them, --cot-rules / \
            --no-cot-rules sets answer protection and both label rules, and every single masking flag given then \
            overrides, for any objective. The label rules (--label-mask-rate, --answer-only-rate, --cot-rules) work \
            with sft too; input-masking flags with sft are an error. ReMask's own masking and CoT label rules under \
            one pass with no divergence: --objective masked-thought --masking remask-cot.

            Every flag can also be set in --config FILE (YAML or JSON, keys spelled like the flags without the \
            dashes); flags on the command line win over the file. The output folder receives checkpoints/, \
            metrics.jsonl, loss.svg and the trained model (config.json, model.safetensors, tokenizer files), which \
            remask generate, chat, score and export load; with LoRA also adapter/ (PEFT format). Ctrl-C saves a \
            checkpoint; run the same command with --resume to continue bit-identically.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Training data (JSONL).") var data: String
    @Option(help: "Validation data (JSONL).") var val: String?
    @Option(name: .customLong("val-split"), help: "Without --val: hold out this share of the training data.") var valSplit: Double = 0
    @Option(name: .customLong("val-limit"), help: "Use at most this many validation examples.") var valLimit: Int?
    @Option(help: "Output folder.") var out: String
    @Option(help: "Config file (YAML or JSON) whose keys are these flags' names.") var config: String?
    @Flag(inversion: .prefixedNo, help: "Continue from the latest checkpoint in --out.") var resume = false
    @Flag(help: "Write into --out even if it is a non-empty folder remask did not create (never into an input).") var overwrite = false

    @Option(help: "sft, masked-thought or remask.") var objective: String = Objective.remask.rawValue
    @Option(help: "Prompt format: seed (<|user|>/<|assistant|>/<|rationale|>/<|answer|> tags) or model (its chat template).")
    var format: String = TrainingOptions.Format.seed.rawValue
    @Option(name: .customLong("max-length"), help: "Tokens per example; longer ones are truncated (and counted).") var maxLength = 256
    @Flag(inversion: .prefixedNo, help: "Pack several examples per row (no attention across them) instead of length bucketing.")
    var packing = false
    @Flag(name: .customLong("skip-bad-lines"), inversion: .prefixedNo, help: "Skip malformed lines (and report how many) instead of stopping.")
    var skipBadLines = false

    @Option(help: ArgumentHelp("Masking preset: remask-cot, remask, masked-thought or none. Default: the objective's own.",
                               discussion: "remask-cot: 40% per-token [mask], no ramp, answers protected, 10% of rationale labels "
                                   + "dropped, 10% of examples answer-only (remask's default). remask: the same without the CoT rules. "
                                   + "masked-thought: 40% Binomial count, random tokens, 2/3 ramp, answers maskable, no label rules "
                                   + "(masked-thought's default). none: nothing (sft's default). The flags below override the preset."))
    var masking: String?
    @Option(name: .customLong("mask-rate"), help: "Share of response tokens masked in the input. Default: 0.4 (masked-thought, remask); sft masks none.")
    var maskRate: Float?
    @Option(name: .customLong("mask-count"), help: "per-token (each with the rate) or binomial (a Binomial count per example). Default: binomial for masked-thought, per-token for remask.")
    var maskCount: String?
    @Option(name: .customLong("mask-replacement"), help: "mask ([mask] token), random (random token) or mix. Default: random for masked-thought, mask for remask.")
    var maskReplacement: String?
    @Option(name: .customLong("mask-mix"), help: "With --mask-replacement mix: the share replaced by [mask] (0.5).") var maskMix: Float?
    @Option(name: .customLong("mask-ramp"), help: "Ramp the mask rate up from 0 over this share of training. Default: 2/3 for masked-thought, 0 for remask.")
    var maskRamp: Float?
    @Flag(name: .customLong("protect-answer"), inversion: .prefixedNo,
          help: "Never mask answer tokens in the input. Default: on for remask (ReMask-CoT), off for masked-thought.")
    var protectAnswer: Bool?
    @Option(name: .customLong("label-mask-rate"), help: "Share of rationale labels dropped (any objective). Default: 0.1 for remask, else 0.")
    var labelMaskRate: Float?
    @Option(name: .customLong("answer-only-rate"), help: "Share of chain-of-thought examples supervised on the answer only (any objective). Default: 0.1 for remask, else 0.")
    var answerOnlyRate: Float?
    @Flag(name: .customLong("cot-rules"), inversion: .prefixedNo,
          help: ArgumentHelp("ReMask-CoT's rules: answers protected, 10% of rationale labels dropped, 10% of examples answer-only; "
              + "--no-cot-rules: none of them. Default: on for remask, off otherwise. --protect-answer, --label-mask-rate and "
              + "--answer-only-rate override it."))
    var cotRules: Bool?

    @Option(name: .customLong("consistency-weight"), help: "ReMask: weight w of D in 0.5·(CE_masked + CE_full) + w·D.") var consistencyWeight: Float = 0.1
    @Option(help: "ReMask: D is kl-sym, kl-forward, kl-reverse or mse.") var divergence: String = Divergence.klSymmetric.rawValue
    @Flag(name: .customLong("detach-full"), inversion: .prefixedNo, help: "ReMask: the full pass is a fixed teacher inside D.")
    var detachFull = false

    @Option(help: ArgumentHelp("lilith or adamw. Default: lilith for full fine-tuning, adamw with LoRA.",
                               discussion: "Lilith scales each tensor's gradient by ‖p‖/‖g‖, which keeps LoRA's zero-initialised B near zero."))
    var optimizer: String?
    @Option(name: .customLong("learning-rate"), help: "Peak learning rate.") var learningRate: Float = 1e-5
    @Option(name: .customLong("weight-decay")) var weightDecay: Float = 0.01
    @Option(help: "one-cycle, cosine (linear warm-up) or constant.") var schedule = "one-cycle"
    @Option(name: .customLong("warmup-steps"), help: "cosine: warm-up steps.") var warmupSteps: Int?
    @Option(name: .customLong("min-learning-rate"), help: "cosine: final learning rate.") var minLearningRate: Float?
    @Option(name: .customLong("pct-start"), help: "one-cycle: share of steps rising to the peak (0.3).") var pctStart: Double?
    @Option(name: .customLong("micro-batch"), help: "Examples per forward/backward pass (rows when packing).") var microBatch = 16
    @Option(name: .customLong("batch-size"), help: "Examples per optimizer step (gradient accumulation).") var batchSize = 256
    @Option(help: "Passes over the training data.") var epochs = 6
    @Option(name: .customLong("max-steps"), help: "Stop after this many optimizer steps (sets the schedule's length).") var maxSteps: Int?
    @Option(name: .customLong("clip-norm"), help: "Clip the global gradient norm to this. Default: no clipping (as in the ReMask recipe); 0 also means none.")
    var clipNorm: Float?

    @Option(name: .customLong("lilith-acceleration")) var lilithAcceleration: Float = 1
    @Option(name: .customLong("lilith-beta1")) var lilithBeta1: Float = 0.9
    @Option(name: .customLong("lilith-beta2")) var lilithBeta2: Float = 0.99
    @Option(name: .customLong("lilith-beta-v")) var lilithBetaV: Float = 0.999
    @Option(name: .customLong("lilith-eps")) var lilithEps: Float = 1e-8
    @Option(name: .customLong("lilith-g-norm-min")) var lilithGNormMin: Float = 1e-4
    @Option(name: .customLong("lilith-ratio-min")) var lilithRatioMin: Float = 1e-4
    @Option(name: .customLong("lilith-ema-k"), help: "Lilith: every k steps the weights become their EMA (0: off).") var lilithEmaK = 0
    @Option(name: .customLong("lilith-ema-beta")) var lilithEmaBeta: Float = 0.99
    @Option(name: .customLong("adam-beta1")) var adamBeta1: Float = 0.9
    @Option(name: .customLong("adam-beta2")) var adamBeta2: Float = 0.999
    @Option(name: .customLong("adam-eps")) var adamEps: Float = 1e-8

    @Option(name: .customLong("lora-rank"), help: "Train LoRA adapters of this rank instead of all weights (0: full fine-tuning).") var loraRank = 0
    @Option(name: .customLong("lora-alpha")) var loraAlpha: Float = 16
    @Option(name: .customLong("lora-dropout")) var loraDropout: Float = 0.05
    @Option(name: .customLong("lora-targets"), help: "Comma-separated projections: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj.")
    var loraTargets = LoRATarget.allCases.map(\.rawValue).joined(separator: ",")

    @Option(name: .customLong("eval-every"), help: "Validate every N steps (0: before and after training only).") var evalEvery = 0
    @Option(name: .customLong("save-every"), help: "Checkpoint every N steps (0: at the end and on Ctrl-C).") var saveEvery = 0
    @Option(name: .customLong("keep-checkpoints"), help: "Checkpoints kept (the newest).") var keepCheckpoints = 3
    @Option(help: "Seed for data order, masks and LoRA.") var seed: UInt64 = 0
    @Option(help: "Show greedy generations for this many validation prompts before and after training.") var samples = 0
    @Option(name: .customLong("sample-tokens"), help: "Tokens per sample generation.") var sampleTokens = 64

    /// The keys a config file may set: every flag's name but `config`.
    static let configKeys: Set<String> = [
        "adam-beta1", "adam-beta2", "adam-eps", "answer-only-rate", "batch-size", "clip-norm",
        "consistency-weight", "cot-rules", "data", "detach-full", "divergence", "epochs", "eval-every",
        "format", "keep-checkpoints", "label-mask-rate", "learning-rate", "lilith-acceleration",
        "lilith-beta-v", "lilith-beta1", "lilith-beta2", "lilith-ema-beta", "lilith-ema-k", "lilith-eps",
        "lilith-g-norm-min", "lilith-ratio-min", "lora-alpha", "lora-dropout", "lora-rank", "lora-targets",
        "mask-count", "mask-mix", "mask-ramp", "mask-rate", "mask-replacement", "max-length", "max-steps",
        "masking", "micro-batch", "min-learning-rate", "model", "objective", "optimizer", "out", "overwrite", "packing", "pct-start",
        "protect-answer", "resume", "sample-tokens", "samples", "save-every", "schedule", "seed", "skip-bad-lines", "threads",
        "val", "val-limit", "val-split", "warmup-steps", "weight-decay",
    ]

    func validate() throws {
        _ = try options()
    }

    /// The command's settings as training options.
    func options() throws -> TrainingOptions {
        func choice<T: RawRepresentable>(_ value: String, _ flag: String, _ all: [T]) throws -> T where T.RawValue == String {
            guard let v = T(rawValue: value) else {
                throw ValidationError("--\(flag) must be one of \(all.map(\.rawValue).joined(separator: ", ")), got '\(value)'")
            }
            return v
        }
        let objective: Objective = try choice(objective, "objective", Objective.allCases)
        var o = TrainingOptions(dataPath: data, outputPath: out)
        o.validationPath = val
        o.validationSplit = valSplit
        o.validationLimit = valLimit
        o.format = try choice(format, "format", TrainingOptions.Format.allCases)
        o.maxLength = maxLength
        o.packing = packing
        o.skipBadLines = skipBadLines
        o.objective = objective
        o.consistency = ConsistencySettings(weight: consistencyWeight, divergence: try choice(divergence, "divergence", Divergence.allCases),
                                            detachFull: detachFull)
        o.masking = try masking(for: objective)
        switch optimizer ?? (loraRank > 0 ? "adamw" : "lilith") {
        case "lilith":
            o.optimizer = .lilith(acceleration: lilithAcceleration, beta1M: lilithBeta1, beta2M: lilithBeta2, betaV: lilithBetaV,
                                  eps: lilithEps, gNormMin: lilithGNormMin, ratioMin: lilithRatioMin, emaK: lilithEmaK, emaBeta: lilithEmaBeta)
        case "adamw": o.optimizer = .adamw(beta1: adamBeta1, beta2: adamBeta2, eps: adamEps)
        case let other: throw ValidationError("--optimizer must be lilith or adamw, got '\(other)'")
        }
        o.learningRate = learningRate
        o.weightDecay = weightDecay
        o.schedule = schedule
        o.warmupSteps = warmupSteps
        o.minLearningRate = minLearningRate
        o.pctStart = pctStart
        o.microBatch = microBatch
        o.batchSize = batchSize
        o.epochs = epochs
        o.maxSteps = maxSteps
        o.clipNorm = clipNorm.flatMap { $0 == 0 ? nil : $0 }
        if loraRank < 0 { throw ValidationError("--lora-rank cannot be negative (0: full fine-tuning), got \(loraRank)") }
        if loraRank > 0 {
            var targets: Set<LoRATarget> = []
            for name in loraTargets.split(separator: ",") {
                targets.insert(try choice(String(name), "lora-targets", LoRATarget.allCases))
            }
            o.lora = LoRAConfig(rank: loraRank, alpha: loraAlpha, dropout: loraDropout, targets: targets, seed: seed)
        }
        o.evalEvery = evalEvery
        o.saveEvery = saveEvery
        o.keepCheckpoints = keepCheckpoints
        o.seed = seed
        o.resume = resume
        o.overwrite = overwrite
        if let problem = o.validationError() { throw ValidationError(problem) }
        if samples < 0 || sampleTokens < 1 { throw ValidationError("--samples cannot be negative and --sample-tokens must be positive") }
        return o
    }

    /// The masking flags as given (nil where not given).
    func maskingSettings() throws -> MaskingSettings {
        var m = MaskingSettings(cotRules: cotRules, rate: maskRate, mixFraction: maskMix, rampFraction: maskRamp,
                                protectAnswer: protectAnswer, rationaleLabelDrop: labelMaskRate, answerOnly: answerOnlyRate)
        if let masking {
            guard let preset = MaskingSettings.Preset(rawValue: masking) else {
                throw ValidationError("--masking must be one of \(MaskingSettings.Preset.allCases.map(\.rawValue).joined(separator: ", ")), got '\(masking)'")
            }
            m.preset = preset
        }
        if let maskCount {
            switch maskCount {
            case "per-token": m.count = .perToken
            case "binomial": m.count = .binomial
            default: throw ValidationError("--mask-count must be per-token or binomial, got '\(maskCount)'")
            }
        }
        if let maskReplacement {
            switch maskReplacement {
            case "mask": m.replacement = .maskToken
            case "random": m.replacement = .randomToken
            case "mix": m.replacement = .mix(maskFraction: 0.5)
            default: throw ValidationError("--mask-replacement must be mask, random or mix, got '\(maskReplacement)'")
            }
        }
        return m
    }

    /// The objective's masking defaults with every masking flag given applied.
    func masking(for objective: Objective) throws -> MaskingPolicy {
        do {
            return try maskingSettings().policy(for: objective)
        } catch let problem as MaskingSettings.Problem {
            throw ValidationError(problem.description)
        }
    }

    func run() throws {
        let options = try options()
        if let threads = modelOptions.threads { Parallel.threads = threads }
        let trainer: Trainer
        do {
            trainer = try Trainer(options, modelPath: modelOptions.model ?? LanguageModel.defaultPath, log: Log.info)
        } catch {
            Log.info("remask train: \(error)")
            throw ExitCode.failure
        }
        let before = trainer.sampleGenerations(count: options.resume ? 0 : samples, maxTokens: sampleTokens)
        let summary: TrainingSummary
        do {
            summary = try trainer.run()
        } catch let error as TrainingError {
            if case .interrupted(let signal, _) = error {
                Log.info("remask train: \(error)")
                throw ExitCode(InterruptSignal.exitStatus(for: signal))
            }
            Log.info("remask train: \(error)")
            throw ExitCode.failure
        }
        let after = trainer.sampleGenerations(count: samples, maxTokens: sampleTokens)
        print(String(format: "trained %d steps, %d tokens in %.0f s (%.0f tokens/s)", summary.steps, summary.tokens, summary.seconds,
                     Double(summary.tokens) / max(summary.seconds, 1e-9)))
        if let a = summary.validationAfter {
            let b = summary.validationBefore.map { String(format: "%.4f → ", $0) } ?? ""
            print("validation loss: \(b)\(String(format: "%.4f", a))")
        }
        for (i, sample) in after.enumerated() {
            print("\n── sample \(i + 1) " + String(repeating: "─", count: 60))
            print(sample.prompt.trimmingCharacters(in: .whitespacesAndNewlines))
            if i < before.count { print("· before: \(oneLine(before[i].output))") }
            print("· after:  \(oneLine(sample.output))")
            print("· reference: \(oneLine(sample.reference))")
        }
        print("\nmodel, metrics.jsonl and loss.svg in \(options.outputPath)")
    }

    private func oneLine(_ s: String) -> String {
        s.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ⏎ ")
    }
}
