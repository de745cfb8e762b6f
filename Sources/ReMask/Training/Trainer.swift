import Foundation
import Core
import NN
import Models

/// A fine-tuning run: the model with its added tokens (and LoRA adapters), the tokenized data, the
/// optimizer and schedule, and the loop that trains, validates, checkpoints and resumes.
///
/// One optimizer step accumulates `batchSize / microBatch` micro-batches (each loss scaled by 1/k, the mean of
/// the micro-batch means), clips the global gradient norm if `clipNorm` is set, sets the scheduled learning
/// rate and updates. All randomness (data order, masks, LoRA dropout) derives from the seed and the step, and
/// every piece of it is in the checkpoint, so a resumed run produces the same weights bit for bit.
///
/// Data parallel (`group` of several processes, e.g. under `mpirun`): the micro-batches of each step are dealt
/// out to the ranks (balancing their padded tokens), the flat gradient buffer is summed over the ranks once per
/// step, and every rank applies the same update. Masks and dropout derive from the seed and the micro-batch's
/// number, not from the rank, so N ranks compute what one process computes, up to the order of the sums.
/// Rank 0 alone writes the folder: checkpoints, metrics, plots and the final model.
public final class Trainer {
    public let settings: TrainingSettings
    /// The masking policy the settings resolve to for the objective.
    let maskingPolicy: MaskingPolicy
    /// The model being trained, with its tokenizer (tags and `[mask]` added as needed).
    public private(set) var languageModel: LanguageModel
    public let adapters: LoRAAdapters?
    let data: TrainingData
    let planner: BatchPlanner
    let validationPlanner: BatchPlanner?
    let maskTokens: MaskTokens
    let optimizer: any Optimizer
    let schedule: LearningRateSchedule
    public let totalSteps: Int
    let microBatchesPerEpoch: Int
    let checkpoints: CheckpointDirectory
    let output: URL
    /// The settings and the content hashes of the base model and the data: a checkpoint records it, and
    /// `--resume` refuses a run whose settings, model or data changed since.
    let fingerprint: [String: String]
    /// The linear layers' precision in training steps (`run.precision` resolved on this machine).
    let precision: Precision
    /// Held while the run uses its folder: a second run on it stops and names this one.
    private let folderLock: FileLock?
    let log: (String) -> Void
    /// The processes training together (one alone by default).
    public let group: any ProcessGroup
    /// Called after every optimizer step with the number of steps done (before any checkpoint of that step).
    public var onStep: ((Int) -> Void)?

    /// The store the optimizer updates: the adapters with LoRA, else the whole model.
    var trainable: ParameterStore { adapters?.parameters ?? languageModel.model.parameters }
    var model: CausalLM { languageModel.model }

    /// Prepares a run: checks the output folder first (so a bad path fails before any work), loads the model,
    /// adds the prompt tags and `[mask]`, reads and tokenizes the data, attaches LoRA and builds the optimizer.
    /// Rank 0 of a `group` claims the folder; every rank reads the model and data itself (from the same paths)
    /// and the ranks check that they agree on the settings and the content of both.
    public init(_ settings: TrainingSettings, group: any ProcessGroup = SingleProcess(), log: @escaping (String) -> Void) throws {
        do {
            try settings.validate()
            maskingPolicy = try settings.maskingPolicy()
        } catch {
            throw TrainingError.invalidSettings(error.description)
        }
        let modelPath = settings.run.model ?? LanguageModel.defaultPath
        self.settings = settings
        self.log = log
        self.group = group
        output = URL(fileURLWithPath: settings.run.out).standardizedFileURL
        folderLock = group.isLeader
            ? try OutputPolicy.claimFolder(settings.run.out, inputs: [modelPath, settings.data.train] + [settings.data.val].compactMap { $0 },
                                           overwrite: settings.run.overwrite, command: "remask train")
            : nil
        checkpoints = CheckpointDirectory(output: output, keep: settings.run.keepCheckpoints)
        if group.isLeader, !settings.run.resume, let step = try checkpoints.steps().last {
            throw TrainingError.invalidSettings(
                "\(output.path) already holds a run (checkpoint \(checkpoints.folder(step: step).lastPathComponent)); add --resume to continue it or choose another --out")
        }

        log("loading \(modelPath)")
        let base = try LanguageModel.load(modelPath)
        var fingerprint = settings.fingerprint
        fingerprint["model-content"] = try ContentHash.of(model: modelPath)
        if let rank = settings.loraConfig?.rank {
            // A rank above the smallest adapted dimension adds nothing and could allocate without bound.
            let c = base.model.config, limit = min(c.hidden, c.kvHeads * c.headDim, c.intermediate)
            guard rank <= limit else {
                throw TrainingError.invalidSettings("--lora-rank must be at most \(limit) for this model (its smallest projection dimension), got \(rank)")
            }
        }
        let original = try base.requireTokenizer()
        let format: PromptFormat = settings.data.format == .seed ? .seed : try .modelTemplate(of: base)
        let masking = maskingPolicy
        let added = format.specialTokens + masking.specialTokens
        var (lm, addedIDs) = try base.addingTokens(added)
        if settings.data.format == .seed { lm = lm.withChatTemplate(PromptFormat.seedChatTemplate) }
        languageModel = lm
        // Tokens new to the tokenizer have rows at the mean; LoRA trains them (the rest of the base stays frozen).
        var newTokens: [Int] = []
        for id in addedIDs.map(Int.init) where id >= original.vocabSize && !newTokens.contains(id) { newTokens.append(id) }
        // Only tokens new to the tokenizer: a model trained with the tags already has them, rows and all.
        let newNames = zip(added, addedIDs).filter { Int($0.1) >= original.vocabSize }.map(\.0)
        if !newNames.isEmpty {
            log("added tokens \(newNames.joined(separator: " ")) (embeddings start at the mean row"
                + (settings.loraConfig != nil ? "; LoRA trains the new rows)" : ")"))
        }
        maskTokens = MaskTokens(original: original, tokenizer: lm.tokenizer!)

        let encoder = try ExampleTokenizer(tokenizer: lm.tokenizer!, format: format, maxLength: settings.data.maxLength)
        data = try TrainingData.load(settings, encoder: encoder)
        fingerprint["data-content"] = try ContentHash.of(file: settings.data.train)
        if let val = settings.data.val { fingerprint["val-content"] = try ContentHash.of(file: val) }
        // Recorded only when bf16, so that Float32 checkpoints from before the setting existed still resume.
        precision = settings.run.precision.resolved
        if precision != .fp32 { fingerprint["run.precision"] = "\"\(precision.rawValue)\"" }
        self.fingerprint = fingerprint
        try group.requireSame(fingerprint, what: "settings, a model or data")
        log("train: \(data.train.summary)")
        if let v = data.validation { log("validation: \(v.summary)") }
        if data.skippedLines > 0 { log("skipped \(data.skippedLines) bad lines (--skip-bad-lines)") }

        let pad = lm.tokenizer!.eosID ?? 0
        let strategy: BatchPlanner.Strategy = settings.data.packing ? .packed(rows: settings.optimizer.microBatch) : .bucketed(batchSize: settings.optimizer.microBatch)
        planner = BatchPlanner(dataset: data.train, strategy: strategy, padID: pad, seed: settings.run.seed)
        validationPlanner = data.validation.map { BatchPlanner(dataset: $0, strategy: strategy, padID: pad, seed: settings.run.seed) }
        microBatchesPerEpoch = planner.plan(epoch: 0).count
        let stepsPerEpoch = (microBatchesPerEpoch + settings.optimizer.accumulation - 1) / settings.optimizer.accumulation
        totalSteps = settings.optimizer.maxSteps ?? settings.optimizer.epochs * stepsPerEpoch

        adapters = settings.loraConfig.map { config in
            var config = config
            config.trainableTokens = TrainableTokenIndices(newTokens)
            return lm.model.attachLoRA(config)
        }
        let store = adapters?.parameters ?? lm.model.parameters
        let o = settings.optimizer, l = o.lilith
        optimizer = switch o.resolvedName(lora: adapters != nil) {
        case .lilith:
            Lilith(store, learningRate: o.learningRate, eps: l.eps, beta1M: l.beta1, beta2M: l.beta2, betaV: l.betaV,
                   weightDecay: o.weightDecay, gNormMin: l.gNormMin, ratioMin: l.ratioMin, acceleration: l.acceleration,
                   emaK: l.emaK, emaBeta: l.emaBeta)
        case .adamw:
            AdamW(store, learningRate: o.learningRate, beta1: o.adam.beta1, beta2: o.adam.beta2, eps: o.adam.eps, weightDecay: o.weightDecay)
        }
        do {
            schedule = try LearningRateSchedule(name: settings.optimizer.schedule.rawValue, learningRate: settings.optimizer.learningRate, totalSteps: totalSteps,
                                                warmupSteps: settings.optimizer.warmupSteps, minLR: settings.optimizer.minLearningRate, pctStart: settings.optimizer.pctStart)
        } catch {
            throw TrainingError.invalidSettings("\(error)")
        }
        let what = adapters.map { a in
            "LoRA rank \(a.config.rank) (\(a.parameters.count) trainable parameters"
                + (a.tokenRows == nil ? ")" : ", with the rows of \(newTokens.count) added tokens)")
        }
            ?? "full fine-tuning (\(store.count) parameters)"
        log("\(settings.objective.name.rawValue), \(what), \(optimizer.summary), \(schedule)")
        log("\(totalSteps) steps of \(settings.optimizer.batchSize) (\(settings.optimizer.accumulation) × \(settings.optimizer.microBatch)), "
            + "\(microBatchesPerEpoch) micro-batches per epoch")
        log("precision \(precision.rawValue)" + (settings.run.precision == .auto ? " (auto: " + (precision == .bf16
            ? "this CPU has AVX512-BF16; --precision fp32 for Float32 products)" : "no fast bf16 products on this CPU)") : "")
            + ", GEMM kernels: \(GEMMKernels.summary)")
        if group.size > 1 {
            let accumulation = settings.optimizer.accumulation, n = group.size
            log("data parallel over \(n) ranks: each step's \(accumulation) micro-batches dealt out \((accumulation + n - 1) / n) per rank at most"
                + (accumulation < n ? " (\(n - accumulation) ranks idle: raise --batch-size or lower --micro-batch)" : ""))
        }
    }

    /// Mean cross-entropy per labelled token of the unmasked validation set (the same for every objective, so
    /// runs compare), or nil without validation data.
    public func validationLoss() -> Double? {
        guard let planner = validationPlanner else { return nil }
        let wasTraining = adapters?.isTraining ?? false
        adapters?.isTraining = false
        defer { adapters?.isTraining = wasTraining }
        var sum = 0.0, count = 0
        Autograd.withNoGrad {
            let batches = planner.plan(epoch: 0)
            for i in share(of: batches, planner: planner) {
                let batch = planner.batch(batches[i])
                let n = batch.labelCount
                guard n > 0 else { continue }
                let loss = model.loss(batch.tokens, labels: batch.labels, batch: batch.rows, length: batch.length, layout: batch.layout)
                sum += Double(loss.item) * Double(n)
                count += n
            }
        }
        let total = group.sum([sum, Double(count)])
        return total[1] > 0 ? total[0] / total[1] : nil
    }
}
