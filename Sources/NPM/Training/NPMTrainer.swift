import Foundation
import Core
import NN
import Models
import ReMask

/// One step's report to the caller (for the progress line).
public struct NPMStepReport: Sendable {
    public var step: Int, totalSteps: Int
    public var loss: Double
    /// NPM's start and end halves (nil for the masked-LM objective).
    public var start: Double?, end: Double?
    public var learningRate: Float
    public var gradNorm: Float
    public var tokensPerSecond: Double
    /// Queries (NPM) or masked tokens (MLM) in the step.
    public var targets: Int
}

/// What a finished (or interrupted) run did.
public struct NPMTrainingSummary: Sendable {
    public var steps: Int
    public var firstLoss: Double?, lastLoss: Double?
    public var tokens: Int
    public var seconds: Double
    public var interrupted: Bool
    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
}

/// Trains an encoder with NPM's objective (or the masked-LM baseline) on a corpus: blocks of consecutive text,
/// `batchSize` neighbouring blocks a step (so phrases recur within a batch), AdamW with warm-up and cosine decay,
/// checkpoints and `--resume` as `remask train` keeps them, the final model written as a Hugging Face folder.
/// The model, the corpus and the folder lock are taken in `init`; `run` trains.
public final class NPMTrainer {
    public let settings: NPMTrainingSettings
    public let model: NPMModel
    public let blocks: [CorpusBlock]
    let output: URL
    let checkpoints: CheckpointDirectory
    let optimizer: AdamW
    let schedule: LearningRateSchedule
    let batchesPerEpoch: Int
    let functionWords: Set<Int32>
    private let folderLock: FileLock?
    public var log: (String) -> Void = { print($0) }

    public init(settings: NPMTrainingSettings) throws {
        try settings.validate()
        self.settings = settings
        folderLock = try OutputPolicy.claimFolder(settings.out, inputs: [settings.model, settings.data], overwrite: settings.overwrite,
                                                  command: "remask npm train")
        output = URL(fileURLWithPath: settings.out)
        model = try NPMModel.load(folder: settings.model, maskedLMHead: settings.objective == .mlm, seed: settings.seed)
        guard settings.blockLength <= model.encoder.config.maxPositions else {
            throw NPMError.invalidSettings("--block-length \(settings.blockLength) exceeds the model's \(model.encoder.config.maxPositions) positions")
        }
        let documents = try TextCorpus.read(settings.data, field: settings.field)
        blocks = CorpusBlock.blocks(of: documents, tokenizer: model.tokenizer, length: settings.blockLength)
        batchesPerEpoch = blocks.count / settings.batchSize
        functionWords = FunctionWords.tokenIDs(model.tokenizer)
        guard batchesPerEpoch >= 1 else {
            throw NPMError.data("\(settings.data): \(blocks.count) blocks of up to \(settings.blockLength) tokens, fewer than one batch of "
                                + "\(settings.batchSize); give more text or a smaller --batch-size")
        }
        checkpoints = CheckpointDirectory(output: output, keep: settings.keepCheckpoints)
        optimizer = AdamW(model.encoder.parameters, learningRate: settings.learningRate, weightDecay: settings.weightDecay)
        schedule = .cosine(maxLR: settings.learningRate, warmupSteps: settings.warmupSteps, totalSteps: settings.steps)
    }

    deinit { folderLock?.unlock() }

    /// Trains to `settings.steps` (from the latest checkpoint with `resume`), reporting every step; stops early,
    /// with a checkpoint, when Ctrl-C is pressed.
    public func run(report: (NPMStepReport) -> Void = { _ in }) throws -> NPMTrainingSummary {
        var state = try startingState()
        let metrics = try MetricsLog(url: output.appendingPathComponent("metrics.jsonl"), resumingFrom: settings.resume ? state.step : nil)
        let startTokens = state.tokensSeen, startSeconds = state.elapsedSeconds
        var first: Double?, last: Double?, lastSaved: URL?
        let store = model.encoder.parameters
        InterruptSignal.install()
        defer { InterruptSignal.uninstall() }
        while state.step < settings.steps {
            let clock = ContinuousClock.now
            let batch = nextBatch(&state)
            var rng = SeededRandom(seed: settings.seed, stream: UInt64(state.step))
            store.zeroGrad()
            let (loss, parts, targets, tokens) = settings.objective == .npm
                ? npmLoss(batch, &rng) : mlmLoss(batch, &rng)
            guard let loss else {
                log("step \(state.step + 1): no phrase of the batch recurs in another block; skipped")
                state.step += 1
                continue
            }
            guard loss.item.isFinite else { throw NPMError.nonFiniteLoss(step: state.step, checkpoint: lastSaved?.path) }
            loss.backward()
            let norm = store.clipGradNorm(settings.maxGradNorm)
            let lr = schedule.learningRate(at: state.step)
            optimizer.learningRate = lr
            optimizer.update()
            let seconds = (ContinuousClock.now - clock) / .seconds(1)
            state.step += 1
            state.schedulePosition = state.step
            state.tokensSeen += tokens
            state.elapsedSeconds += seconds
            let value = Double(loss.item)
            if first == nil { first = value }
            last = value
            try metrics.append(MetricsRow(step: state.step, epoch: state.epoch, learningRate: Double(lr), loss: value,
                                          gradNorm: Double(norm), tokens: tokens, tokensPerSecond: Double(tokens) / seconds,
                                          elapsedSeconds: state.elapsedSeconds))
            report(NPMStepReport(step: state.step, totalSteps: settings.steps, loss: value, start: parts?.start, end: parts?.end,
                                 learningRate: lr, gradNorm: norm, tokensPerSecond: Double(tokens) / seconds, targets: targets))
            let interrupted = InterruptSignal.requested != nil
            if state.step % settings.checkpointEvery == 0 || state.step == settings.steps || interrupted {
                lastSaved = try checkpoints.save(model: CheckpointTensor.parameters(of: store),
                                                 optimizer: optimizer.stateBuffers.map { CheckpointTensor($0.name, storage: $0.storage) },
                                                 state: state)
            }
            if interrupted {
                log("stopped at step \(state.step); `--resume` continues from \(lastSaved!.path)")
                return summary(state, first, last, startTokens, startSeconds, interrupted: true)
            }
        }
        try model.save(to: output)
        log("wrote the trained model to \(output.path)")
        return summary(state, first, last, startTokens, startSeconds, interrupted: false)
    }

    private func summary(_ state: TrainerState, _ first: Double?, _ last: Double?, _ tokens: Int, _ seconds: Double,
                         interrupted: Bool) -> NPMTrainingSummary {
        NPMTrainingSummary(steps: state.step, firstLoss: first, lastLoss: last, tokens: state.tokensSeen - tokens,
                           seconds: state.elapsedSeconds - seconds, interrupted: interrupted)
    }

    /// The next `batchSize` neighbouring blocks; each epoch visits the batches in an order drawn from the seed.
    func nextBatch(_ state: inout TrainerState) -> [EncodedBlock] {
        if state.indexInEpoch >= batchesPerEpoch { state.epoch += 1; state.indexInEpoch = 0 }
        var order = Array(0..<batchesPerEpoch)
        var rng = SeededRandom(seed: state.dataOrderSeed, stream: UInt64(state.epoch))
        rng.shuffle(&order)
        let first = order[state.indexInEpoch] * settings.batchSize
        state.indexInEpoch += 1
        return blocks[first..<first + settings.batchSize].map(\.block)
    }

    /// NPM: spans, the masked and unmasked blocks in one pass, the contrastive loss.
    func npmLoss(_ blocks: [EncodedBlock], _ rng: inout SeededRandom) -> (Tensor?, ContrastiveLossParts?, Int, Int) {
        let phrases = PhraseOccurrences(blocks: blocks, maxLength: settings.masking.maxSpanLength, functionWords: functionWords)
        let spans = SpanMasker.choose(blocks: blocks, phrases: phrases, settings: settings.masking, rng: &rng)
        let batch = ContrastiveBatch(blocks: blocks, spans: spans, phrases: phrases, maskID: model.tokenizer.maskID, padID: model.tokenizer.padID)
        guard !batch.queryRows.isEmpty else { return (nil, nil, 0, 0) }
        let hidden = model.encoder.hiddenStates(batch.ids, batch: 2 * batch.blocks, length: batch.length, lengths: batch.lengths)
        let (loss, parts) = ContrastiveLoss.loss(hidden: hidden, batch: batch)!
        return (loss, parts, parts.queries, batch.tokens)
    }

    /// The masked-LM baseline: BERT's masking (15% of text tokens; of those 80% `[MASK]`, 10% a random token,
    /// 10% unchanged) and cross-entropy over the vocabulary at the chosen positions.
    func mlmLoss(_ blocks: [EncodedBlock], _ rng: inout SeededRandom) -> (Tensor?, ContrastiveLossParts?, Int, Int) {
        let masked = MaskedLMBatch(blocks: blocks, probability: settings.mlmProbability, tokenizer: model.tokenizer, rng: &rng)
        guard !masked.positions.isEmpty else { return (nil, nil, 0, 0) }
        let hidden = model.encoder.hiddenStates(masked.ids, batch: blocks.count, length: masked.length, lengths: masked.lengths)
        let logits = model.encoder.maskedLMLogits(hidden.gatheringRows(masked.positions))
        return (logits.crossEntropy(labels: masked.labels), nil, masked.positions.count, masked.lengths.reduce(0, +))
    }

    /// A fresh state, or the latest checkpoint's with the weights and optimizer restored.
    func startingState() throws -> TrainerState {
        let fresh = TrainerState(step: 0, epoch: 0, indexInEpoch: 0, dataOrderSeed: settings.seed, randomStates: [:],
                                 schedulePosition: 0, tokensSeen: 0, elapsedSeconds: 0, options: settings.fingerprint)
        guard settings.resume else { return fresh }
        let (found, skipped) = try checkpoints.latestValid()
        for reason in skipped { log("skipping a checkpoint that does not read back: \(reason)") }
        guard let checkpoint = found else {
            throw NPMError.invalidSettings("--resume: \(checkpoints.url.path) holds no checkpoint to resume; run without --resume to start afresh")
        }
        let saved = checkpoint.state
        let differing = Set(saved.options.keys).union(settings.fingerprint.keys).filter { saved.options[$0] != settings.fingerprint[$0] }
        guard differing.isEmpty else {
            throw NPMError.invalidSettings("--resume: settings differ from the checkpoint's ("
                + differing.sorted().map { "\($0): checkpoint \(saved.options[$0] ?? "unset"), now \(settings.fingerprint[$0] ?? "unset")" }.joined(separator: "; ") + ")")
        }
        try checkpoint.restoreTraining(parameters: model.encoder.parameters, optimizer: optimizer)
        try checkpoints.discard(after: saved.step)
        log("resuming from \(checkpoint.url.lastPathComponent): step \(saved.step) of \(settings.steps)")
        return saved
    }
}
