import Core

/// Where a training run stands: everything besides weights and optimizer buffers that `--resume` needs to
/// continue exactly where a run stopped. Saved as `trainer.json` in every checkpoint.
public struct TrainerState: Codable, Equatable, Sendable {
    /// Optimizer steps completed.
    public var step: Int
    /// The epoch in progress, from 0.
    public var epoch: Int
    /// Examples of the current epoch's order already consumed.
    public var indexInEpoch: Int
    /// Seed of the data order (each epoch's shuffle derives from it and the epoch number).
    public var dataOrderSeed: UInt64
    /// Random generators that carry state from step to step, by purpose, in their state after `step`. The
    /// trainer keeps none today (masks and dropout derive from the seed and the micro-batch's number); the field
    /// stays so that checkpoints keep one format.
    public var randomStates: [String: SeededRandom]
    /// Steps the learning-rate schedule has taken (usually `step`).
    public var schedulePosition: Int
    /// Training tokens processed so far.
    public var tokensSeen: Int
    /// Training time so far, in seconds (for throughput and ETA across resumptions).
    public var elapsedSeconds: Double
    /// The run's settings under their flag names, as a config file would give them.
    public var options: [String: String]

    public init(step: Int, epoch: Int, indexInEpoch: Int, dataOrderSeed: UInt64,
                randomStates: [String: SeededRandom], schedulePosition: Int, tokensSeen: Int,
                elapsedSeconds: Double, options: [String: String]) {
        self.step = step
        self.epoch = epoch
        self.indexInEpoch = indexInEpoch
        self.dataOrderSeed = dataOrderSeed
        self.randomStates = randomStates
        self.schedulePosition = schedulePosition
        self.tokensSeen = tokensSeen
        self.elapsedSeconds = elapsedSeconds
        self.options = options
    }

    private enum CodingKeys: String, CodingKey {
        case step, epoch, options
        case indexInEpoch = "index_in_epoch"
        case dataOrderSeed = "data_order_seed"
        case randomStates = "random_states"
        case schedulePosition = "schedule_position"
        case tokensSeen = "tokens_seen"
        case elapsedSeconds = "elapsed_s"
    }
}
