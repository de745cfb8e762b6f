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
public final class Trainer {
    public let options: TrainingOptions
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
    let fingerprint: [String: ConfigValue]
    /// Held while the run uses its folder: a second run on it stops and names this one.
    private let folderLock: FileLock?
    let log: (String) -> Void
    /// Called after every optimizer step with the number of steps done (before any checkpoint of that step).
    public var onStep: ((Int) -> Void)?

    /// The store the optimizer updates: the adapters with LoRA, else the whole model.
    var trainable: ParameterStore { adapters?.parameters ?? languageModel.model.parameters }
    var model: CausalLM { languageModel.model }

    /// Prepares a run: checks the output folder first (so a bad path fails before any work), loads the model,
    /// adds the prompt tags and `[mask]`, reads and tokenizes the data, attaches LoRA and builds the optimizer.
    public init(_ options: TrainingOptions, modelPath: String, log: @escaping (String) -> Void) throws {
        if let problem = options.validationError() { throw TrainingError.invalidSettings(problem) }
        self.options = options
        self.log = log
        output = URL(fileURLWithPath: options.outputPath).standardizedFileURL
        folderLock = try OutputPolicy.claimFolder(options.outputPath, inputs: [modelPath, options.dataPath] + [options.validationPath].compactMap { $0 },
                                                  overwrite: options.overwrite, command: "remask train")
        checkpoints = CheckpointDirectory(output: output, keep: options.keepCheckpoints)
        if !options.resume, let step = try checkpoints.steps().last {
            throw TrainingError.invalidSettings(
                "\(output.path) already holds a run (checkpoint \(checkpoints.folder(step: step).lastPathComponent)); add --resume to continue it or choose another --out")
        }

        log("loading \(modelPath)")
        let base = try LanguageModel.load(modelPath)
        var fingerprint = options.fingerprint
        fingerprint["model-content"] = .string(try ContentHash.of(model: modelPath))
        if let rank = options.lora?.rank {
            // A rank above the smallest adapted dimension adds nothing and could allocate without bound.
            let c = base.model.config, limit = min(c.hidden, c.kvHeads * c.headDim, c.intermediate)
            guard rank <= limit else {
                throw TrainingError.invalidSettings("--lora-rank must be at most \(limit) for this model (its smallest projection dimension), got \(rank)")
            }
        }
        let original = try base.requireTokenizer()
        let format: PromptFormat = options.format == .seed ? .seed : try .modelTemplate(of: base)
        let masking = options.masking
        let added = format.specialTokens + masking.specialTokens
        var (lm, addedIDs) = try base.addingTokens(added)
        if options.format == .seed { lm = lm.withChatTemplate(PromptFormat.seedChatTemplate) }
        languageModel = lm
        // Tokens new to the tokenizer have rows at the mean; LoRA trains them (the rest of the base stays frozen).
        var newTokens: [Int] = []
        for id in addedIDs.map(Int.init) where id >= original.vocabSize && !newTokens.contains(id) { newTokens.append(id) }
        // Only tokens new to the tokenizer: a model trained with the tags already has them, rows and all.
        let newNames = zip(added, addedIDs).filter { Int($0.1) >= original.vocabSize }.map(\.0)
        if !newNames.isEmpty {
            log("added tokens \(newNames.joined(separator: " ")) (embeddings start at the mean row"
                + (options.lora != nil ? "; LoRA trains the new rows)" : ")"))
        }
        maskTokens = MaskTokens(original: original, tokenizer: lm.tokenizer!)

        let encoder = try ExampleTokenizer(tokenizer: lm.tokenizer!, format: format, maxLength: options.maxLength)
        data = try TrainingData.load(options, encoder: encoder)
        fingerprint["data-content"] = .string(try ContentHash.of(file: options.dataPath))
        if let val = options.validationPath { fingerprint["val-content"] = .string(try ContentHash.of(file: val)) }
        self.fingerprint = fingerprint
        log("train: \(data.train.summary)")
        if let v = data.validation { log("validation: \(v.summary)") }
        if data.skippedLines > 0 { log("skipped \(data.skippedLines) bad lines (--skip-bad-lines)") }

        let pad = lm.tokenizer!.eosID ?? 0
        let strategy: BatchPlanner.Strategy = options.packing ? .packed(rows: options.microBatch) : .bucketed(batchSize: options.microBatch)
        planner = BatchPlanner(dataset: data.train, strategy: strategy, padID: pad, seed: options.seed)
        validationPlanner = data.validation.map { BatchPlanner(dataset: $0, strategy: strategy, padID: pad, seed: options.seed) }
        microBatchesPerEpoch = planner.plan(epoch: 0).count
        let stepsPerEpoch = (microBatchesPerEpoch + options.accumulation - 1) / options.accumulation
        totalSteps = options.maxSteps ?? options.epochs * stepsPerEpoch

        adapters = options.lora.map { config in
            var config = config
            config.trainableTokens = TrainableTokenIndices(newTokens)
            return lm.model.attachLoRA(config)
        }
        let store = adapters?.parameters ?? lm.model.parameters
        optimizer = switch options.optimizer {
        case let .lilith(acceleration, beta1M, beta2M, betaV, eps, gNormMin, ratioMin, emaK, emaBeta):
            Lilith(store, learningRate: options.learningRate, eps: eps, beta1M: beta1M, beta2M: beta2M, betaV: betaV,
                   weightDecay: options.weightDecay, gNormMin: gNormMin, ratioMin: ratioMin, acceleration: acceleration,
                   emaK: emaK, emaBeta: emaBeta)
        case let .adamw(beta1, beta2, eps):
            AdamW(store, learningRate: options.learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: options.weightDecay)
        }
        do {
            schedule = try LearningRateSchedule(name: options.schedule, learningRate: options.learningRate, totalSteps: totalSteps,
                                                warmupSteps: options.warmupSteps, minLR: options.minLearningRate, pctStart: options.pctStart)
        } catch {
            throw TrainingError.invalidSettings("\(error)")
        }
        let what = adapters.map { a in
            "LoRA rank \(a.config.rank) (\(a.parameters.count) trainable parameters"
                + (a.tokenRows == nil ? ")" : ", with the rows of \(newTokens.count) added tokens)")
        }
            ?? "full fine-tuning (\(store.count) parameters)"
        log("\(options.objective.rawValue), \(what), \(optimizer.summary), \(schedule)")
        log("\(totalSteps) steps of \(options.batchSize) (\(options.accumulation) × \(options.microBatch)), "
            + "\(microBatchesPerEpoch) micro-batches per epoch")
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
            for rows in planner.plan(epoch: 0) {
                let batch = planner.batch(rows)
                let n = batch.labelCount
                guard n > 0 else { continue }
                let loss = model.loss(batch.tokens, labels: batch.labels, batch: batch.rows, length: batch.length, layout: batch.layout)
                sum += Double(loss.item) * Double(n)
                count += n
            }
        }
        return count > 0 ? sum / Double(count) : nil
    }
}
