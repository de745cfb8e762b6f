/// One line of `metrics.jsonl`: a logged training step, or a validation pass (`"split":"val"`). Fields a
/// row does not have (a validation row's learning rate, SFT's masked loss) are left out of the line.
public struct MetricsRow: Codable, Equatable, Sendable {
    public enum Split: String, Codable, Sendable { case train, val }

    public var split: Split
    /// Optimizer steps completed when the row was logged.
    public var step: Int
    public var epoch: Int?
    public var learningRate: Double?
    /// The objective's total loss.
    public var loss: Double?
    /// Cross-entropy on the full (unmasked) sequence.
    public var ceFull: Double?
    /// Cross-entropy on the masked sequence.
    public var ceMasked: Double?
    /// The consistency term between the two passes.
    public var divergence: Double?
    /// Global gradient norm before clipping.
    public var gradNorm: Double?
    /// Tokens processed so far.
    public var tokens: Int?
    public var tokensPerSecond: Double?
    /// Training time so far.
    public var elapsedSeconds: Double?
    /// Of this step, the seconds spent summing the gradients over the ranks (data-parallel runs only).
    public var allReduceSeconds: Double?
    /// Of this step, the seconds rank 0 waited for the slowest rank before the sum (data-parallel runs only).
    public var rankWaitSeconds: Double?

    public init(split: Split = .train, step: Int, epoch: Int? = nil, learningRate: Double? = nil, loss: Double? = nil,
                ceFull: Double? = nil, ceMasked: Double? = nil, divergence: Double? = nil, gradNorm: Double? = nil,
                tokens: Int? = nil, tokensPerSecond: Double? = nil, elapsedSeconds: Double? = nil,
                allReduceSeconds: Double? = nil, rankWaitSeconds: Double? = nil) {
        self.split = split
        self.step = step
        self.epoch = epoch
        self.learningRate = learningRate
        self.loss = loss
        self.ceFull = ceFull
        self.ceMasked = ceMasked
        self.divergence = divergence
        self.gradNorm = gradNorm
        self.tokens = tokens
        self.tokensPerSecond = tokensPerSecond
        self.elapsedSeconds = elapsedSeconds
        self.allReduceSeconds = allReduceSeconds
        self.rankWaitSeconds = rankWaitSeconds
    }

    enum CodingKeys: String, CodingKey {
        case split, step, epoch, loss, divergence, tokens
        case learningRate = "lr"
        case ceFull = "ce_full"
        case ceMasked = "ce_masked"
        case gradNorm = "grad_norm"
        case tokensPerSecond = "tokens_per_s"
        case elapsedSeconds = "elapsed_s"
        case allReduceSeconds = "allreduce_s"
        case rankWaitSeconds = "rank_wait_s"
    }

    /// The row as one JSON object with its keys in a fixed, readable order. Non-finite numbers (which
    /// JSON cannot hold) are written as `null`.
    public var jsonLine: String {
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
        var fields = ["\"split\":\"\(split.rawValue)\"", "\"step\":\(step)"]
        func add(_ key: CodingKeys, _ value: Double?) { if let value { fields.append("\"\(key.rawValue)\":\(number(value))") } }
        if let epoch { fields.append("\"epoch\":\(epoch)") }
        add(.learningRate, learningRate)
        add(.loss, loss)
        add(.ceFull, ceFull)
        add(.ceMasked, ceMasked)
        add(.divergence, divergence)
        add(.gradNorm, gradNorm)
        if let tokens { fields.append("\"tokens\":\(tokens)") }
        add(.tokensPerSecond, tokensPerSecond)
        add(.elapsedSeconds, elapsedSeconds)
        add(.allReduceSeconds, allReduceSeconds)
        add(.rankWaitSeconds, rankWaitSeconds)
        return "{" + fields.joined(separator: ",") + "}"
    }
}
