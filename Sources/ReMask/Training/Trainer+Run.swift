import Foundation
import Core
import NN
import Models

/// What a finished run reports.
public struct TrainingSummary: Sendable {
    public var steps: Int
    public var validationBefore: Double?
    public var validationAfter: Double?
    public var tokens: Int
    public var seconds: Double
    /// Of `seconds`, the time in the gradients' sum over the ranks (0 for one process).
    public var allReduceSeconds: Double
    /// Of `seconds`, the time ranks waited at the end of a step for the slowest one (0 for one process).
    public var rankWaitSeconds: Double
}

extension Trainer {
    /// Trains to the end (or resumes and trains to the end), then writes the final model into the output
    /// folder, `metrics.jsonl` and `loss.svg`. Throws `TrainingError.interrupted` after saving a checkpoint on
    /// Ctrl-C, and `TrainingError.nonFinite` (saving nothing) when the loss or gradient stops being finite.
    public func run() throws -> TrainingSummary {
        var state = try startingStateOnEveryRank()
        let leader = group.isLeader
        let metricsURL = output.appendingPathComponent("metrics.jsonl")
        var metrics: MetricsLog?
        if leader {
            // The run's settings as a config file: what produced this folder, and a way to run it again.
            try AtomicFile.write(Data(settings.yaml().utf8), to: output.appendingPathComponent("settings.yaml"))
            metrics = try MetricsLog(url: metricsURL, resumingFrom: settings.run.resume ? state.step : nil)
        }
        let policy = maskingPolicy
        var lastCheckpoint = state.step > 0 ? checkpoints.folder(step: state.step).path : nil

        var before: Double?
        if state.step == 0, let v = validationLoss() {
            before = v
            log(String(format: "validation loss before training: %.4f", v))
            try metrics?.append(MetricsRow(split: .val, step: 0, epoch: 0, loss: v, ceFull: v))
        }

        InterruptSignal.install(rank: group.rank, of: group.size)
        InterruptSignal.setLastCheckpoint(lastCheckpoint)
        defer { InterruptSignal.uninstall() }
        adapters?.isTraining = true
        let progress: ProgressLine? = leader ? ProgressLine("train", total: totalSteps, first: state.step) : nil
        let clock = Date()
        let startElapsed = state.elapsedSeconds, startTokens = state.tokensSeen
        let startCommunication = group.communicationSeconds
        var waited = 0.0
        var plan = planner.plan(epoch: state.epoch)

        while state.step < totalSteps {
            if state.indexInEpoch >= plan.count {
                state.epoch += 1
                state.indexInEpoch = 0
                plan = planner.plan(epoch: state.epoch)
            }
            let micro = plan[state.indexInEpoch..<min(state.indexInEpoch + settings.optimizer.accumulation, plan.count)]
            var sums = PartSums()
            var tokens = 0
            var nonFinite: Double?
            // This rank's share of the step's micro-batches; a micro-batch's number in the run seeds its masks and dropout.
            let batches = Array(micro)
            for j in share(of: batches, planner: planner) {
                let number = UInt64(state.step * settings.optimizer.accumulation + j)
                let batch = planner.batch(batches[j])
                var rng = SeededRandom(seed: settings.run.seed &+ 0x6D61_736B, stream: number)
                let masked = policy.apply(batch, step: state.step, totalSteps: totalSteps, tokens: maskTokens, rng: &rng)
                let input = ObjectiveInput(tokens: batch.tokens, maskedTokens: masked.tokens, labels: masked.labels,
                                           batch: batch.rows, length: batch.length, layout: batch.layout)
                tokens += batch.realTokens
                guard input.labelCount > 0 else { continue }
                adapters?.dropoutStep = number
                // Linear layers' and attention's products in the run's precision (bf16: rounded operands, Float32 sums);
                // weights, gradients, optimizer state and validation stay Float32.
                let result = Tensor.withTrainingPrecision(precision) {
                    let result = model.loss(settings.objective.name, input, consistency: settings.objective.consistency)
                    if result.value.isFinite { result.loss.backward(seed: Tensor(scalar: 1 / Float(micro.count))) }
                    return result
                }
                guard result.value.isFinite else {
                    nonFinite = result.value
                    break
                }
                sums.add(result)
            }
            // Over the ranks: first the step's numbers and flags (where ranks wait for the slowest), then the gradients.
            let waitStart = Date()
            let totals = group.sum(sums.packed + [Double(tokens), nonFinite == nil ? 0 : 1, InterruptSignal.requested == nil ? 0 : 1])
            let wait = Date().timeIntervalSince(waitStart)
            waited += wait
            sums = PartSums(packed: totals)
            state.tokensSeen += Int(totals[PartSums.packedCount])
            guard totals[PartSums.packedCount + 1] == 0 else {
                progress?.finish()
                let what = nonFinite.map { "the loss (\($0))" } ?? "the loss (on another rank)"
                throw TrainingError.nonFinite(step: state.step, what: what, lastCheckpoint: lastCheckpoint)
            }
            let communicationBefore = group.communicationSeconds
            if group.size > 1 { group.sum(UnsafeMutableBufferPointer(start: trainable.gradPointer, count: trainable.count)) }
            let stepCommunication = group.communicationSeconds - communicationBefore
            let gradNorm = settings.clipNorm.map { trainable.clipGradNorm($0) } ?? trainable.gradNorm()
            guard gradNorm.isFinite else {
                progress?.finish()
                throw TrainingError.nonFinite(step: state.step, what: "the gradient norm", lastCheckpoint: lastCheckpoint)
            }
            let lr = schedule.learningRate(at: state.step)
            optimizer.learningRate = lr
            optimizer.update()
            trainable.zeroGrad()
            state.step += 1
            state.schedulePosition = state.step
            state.indexInEpoch += micro.count
            state.elapsedSeconds = startElapsed + Date().timeIntervalSince(clock)

            let rate = Double(state.tokensSeen - startTokens) / max(state.elapsedSeconds - startElapsed, 1e-9)
            try metrics?.append(MetricsRow(step: state.step, epoch: state.epoch, learningRate: Double(lr), loss: sums.loss.value,
                                           ceFull: sums.ceFull.value, ceMasked: sums.ceMasked.value,
                                           divergence: sums.divergence.value, gradNorm: Double(gradNorm),
                                           tokens: state.tokensSeen, tokensPerSecond: rate, elapsedSeconds: state.elapsedSeconds,
                                           allReduceSeconds: group.size > 1 ? stepCommunication : nil,
                                           rankWaitSeconds: group.size > 1 ? wait : nil))
            progress?.update(state.step, sums.display.map { "\($0.0) \(String(format: "%.4f", $0.1))" }.joined(separator: " ")
                             + String(format: " | %.0f tok/s", rate))
            onStep?(state.step)

            if settings.run.evalEvery > 0 && state.step % settings.run.evalEvery == 0 && state.step < totalSteps, let v = validationLoss() {
                progress?.finish()
                log(String(format: "step %d: validation loss %.4f", state.step, v))
                try metrics?.append(MetricsRow(split: .val, step: state.step, epoch: state.epoch, loss: v, ceFull: v))
            }
            // Ranks stop at the same step: a request travels in the step's sum (one process also sees a later one).
            if totals[PartSums.packedCount + 2] > 0 || (group.size == 1 && InterruptSignal.requested != nil) {
                progress?.finish()
                let saved = try save(state)
                throw TrainingError.interrupted(signal: InterruptSignal.requested ?? SIGUSR1, checkpoint: saved.path)
            }
            if settings.run.saveEvery > 0 && state.step % settings.run.saveEvery == 0 && state.step < totalSteps {
                lastCheckpoint = try save(state).path
            }
        }
        progress?.finish()
        adapters?.isTraining = false
        let after = validationLoss()
        if let after {
            log(String(format: "validation loss after %d steps: %.4f", state.step, after))
            try metrics?.append(MetricsRow(split: .val, step: state.step, epoch: state.epoch, loss: after, ceFull: after))
        }
        lastCheckpoint = try save(state).path
        if leader {
            try writeFinalModel()
            try LossCurvePlot(title: "remask \(settings.objective.name.rawValue)", rows: MetricsLog.read(metricsURL))
                .write(to: output.appendingPathComponent("loss.svg"))
        }
        return TrainingSummary(steps: state.step, validationBefore: before, validationAfter: after,
                               tokens: state.tokensSeen - startTokens, seconds: state.elapsedSeconds - startElapsed,
                               allReduceSeconds: group.communicationSeconds - startCommunication, rankWaitSeconds: waited)
    }

    /// A fresh state, or the latest checkpoint's with weights, optimizer state and generators restored.
    func startingState() throws -> TrainerState {
        let fresh = TrainerState(step: 0, epoch: 0, indexInEpoch: 0, dataOrderSeed: settings.run.seed, randomStates: [:],
                                 schedulePosition: 0, tokensSeen: 0, elapsedSeconds: 0, options: fingerprint)
        guard settings.run.resume else { return fresh }
        let (found, skipped) = try checkpoints.latestValid()
        for reason in skipped { log("skipping a checkpoint that does not read back: \(reason)") }
        guard let checkpoint = found else {
            throw TrainingError.invalidSettings("--resume: \(checkpoints.url.path) holds no checkpoint to resume"
                + (skipped.isEmpty ? "" : " (\(skipped.count) damaged)") + "; run without --resume to start afresh")
        }
        let saved = checkpoint.state
        let differing = Set(saved.options.keys).union(fingerprint.keys).filter { saved.options[$0] != fingerprint[$0] }
        if !differing.isEmpty {
            let detail = differing.sorted().map { "\($0): checkpoint \(saved.options[$0] ?? "unset"), now \(fingerprint[$0] ?? "unset")" }
            throw TrainingError.resumeMismatch("settings differ from the checkpoint's (\(detail.joined(separator: "; ")))")
        }
        try checkpoint.restoreTraining(parameters: trainable, optimizer: optimizer)
        try checkpoints.discard(after: saved.step)
        log("resuming from \(checkpoint.url.lastPathComponent): step \(saved.step) of \(totalSteps), epoch \(saved.epoch + 1)")
        return saved
    }

    /// Writes a checkpoint of the trainable weights, the optimizer and `state` (rank 0; every rank first checks
    /// that its weights are rank 0's); returns its folder.
    @discardableResult
    func save(_ state: TrainerState) throws -> URL {
        try requireSameWeights()
        let url = group.isLeader
            ? try checkpoints.save(model: CheckpointTensor.parameters(of: trainable),
                                   optimizer: optimizer.stateBuffers.map { CheckpointTensor($0.name, storage: $0.storage) },
                                   state: state)
            : checkpoints.folder(step: state.step)
        log("saved \(url.path)")
        InterruptSignal.setLastCheckpoint(url.path)
        return url
    }

    /// The output folder gets the trained model as a Hugging Face folder (adapters merged) that `remask
    /// generate`, `eval` and `export` load directly; with LoRA, the adapters also go to `adapter/`.
    func writeFinalModel() throws {
        if let adapters {
            try adapters.save(folder: output.appendingPathComponent("adapter").path, baseModel: languageModel.path)
            adapters.merge()
        }
        try ModelExport.export(languageModel, to: output.path, format: .safetensors, dtype: .f32)
        log("wrote the trained model to \(output.path)")
    }
}

/// The mean of a step's loss parts over its micro-batches (a part a micro-batch lacks is left out).
struct PartSums {
    struct Mean {
        var sum = 0.0, count = 0
        mutating func add(_ v: Double?) { if let v { sum += v; count += 1 } }
        var value: Double? { count > 0 ? sum / Double(count) : nil }
    }
    var loss = Mean(), ceFull = Mean(), ceMasked = Mean(), divergence = Mean()

    init() {}

    /// The sums and counts as numbers, for one sum over the ranks of a data-parallel run.
    var packed: [Double] {
        [loss, ceFull, ceMasked, divergence].flatMap { [$0.sum, Double($0.count)] }
    }
    static let packedCount = 8

    /// Reads back `packed` (and ignores what follows it).
    init(packed: [Double]) {
        func mean(_ i: Int) -> Mean { Mean(sum: packed[2 * i], count: Int(packed[2 * i + 1])) }
        (loss, ceFull, ceMasked, divergence) = (mean(0), mean(1), mean(2), mean(3))
    }

    mutating func add(_ r: StepLoss) {
        loss.add(r.value); ceFull.add(r.ceFull); ceMasked.add(r.ceMasked); divergence.add(r.divergence)
    }

    /// Name and value of each part present, for the progress line.
    var display: [(String, Double)] {
        [("loss", loss), ("ce_full", ceFull), ("ce_masked", ceMasked), ("D", divergence)].compactMap { name, m in m.value.map { (name, $0) } }
    }
}
