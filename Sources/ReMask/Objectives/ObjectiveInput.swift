import Core

/// One micro-batch as the objectives read it: `batch` rows of `length` tokens, the masked copy of the tokens
/// (response tokens corrupted; the same as `tokens` for SFT), next-token labels (`Tensor.ignoreIndex` where
/// there is none) and, for packed rows, their layout.
public struct ObjectiveInput: Sendable {
    public var tokens: [Int32]
    public var maskedTokens: [Int32]
    public var labels: [Int32]
    public var batch: Int, length: Int
    public var layout: SequenceLayout?

    public init(tokens: [Int32], maskedTokens: [Int32]? = nil, labels: [Int32], batch: Int, length: Int,
                layout: SequenceLayout? = nil) {
        check(tokens.count == batch * length && labels.count == tokens.count && (maskedTokens?.count ?? tokens.count) == tokens.count,
              "ObjectiveInput: \(tokens.count) tokens, \(maskedTokens?.count ?? tokens.count) masked tokens and \(labels.count) labels for batch \(batch) × length \(length)")
        self.tokens = tokens
        self.maskedTokens = maskedTokens ?? tokens
        self.labels = labels
        self.batch = batch; self.length = length
        self.layout = layout
    }

    /// Positions that carry a label.
    public var labelCount: Int { labels.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
}
