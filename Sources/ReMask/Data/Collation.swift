import Core

/// One training batch: `rows` rows of `length` tokens, row-major.
public struct Batch: Sendable {
    /// Where an example sits in the batch.
    public struct Span: Sendable, Equatable {
        /// Index in the dataset.
        public var example: Int
        public var row: Int
        /// First position within the row.
        public var start: Int
        public var count: Int
    }

    public var rows: Int
    public var length: Int
    public var tokens: [Int32]
    /// Next-token targets (`Tensor.ignoreIndex` where none): never across examples, never on padding.
    public var labels: [Int32]
    public var roles: [TokenRole]
    /// Packed rows: positions restart per example and no token sees another example. Nil for plain causal
    /// rows (bucketing; padding sits after the tokens, so it changes nothing before it).
    public var layout: SequenceLayout?
    public var spans: [Span]

    /// Tokens that are not padding.
    public var realTokens: Int { spans.reduce(0) { $0 + $1.count } }
    /// Positions with a label.
    public var labelCount: Int { labels.reduce(0) { $0 + ($1 == Tensor.ignoreIndex ? 0 : 1) } }
}

/// The batches of each epoch, in an order that depends only on the seed and the epoch, so training resumes
/// at (epoch, index) by planning the epoch again and starting at the index.
public struct BatchPlanner: Sendable {
    public enum Strategy: Sendable, Equatable {
        /// `batchSize` examples per batch, padded to the longest. Examples are shuffled, cut into pools of
        /// `poolBatches` batches, sorted by length within each pool and cut into batches; the batches are then
        /// shuffled, so padding is small and batch order still random.
        case bucketed(batchSize: Int, poolBatches: Int = 8)
        /// `rows` rows per batch, each filled with several whole examples up to the dataset's maximum length
        /// (first fit in shuffled order), padded to the fullest row.
        case packed(rows: Int)
    }

    public let dataset: TokenizedDataset
    public let strategy: Strategy
    public let padID: Int32
    public let seed: UInt64

    public init(dataset: TokenizedDataset, strategy: Strategy, padID: Int32, seed: UInt64) {
        switch strategy {
        case .bucketed(let size, let pool): check(size > 0 && pool > 0, "BatchPlanner: batch size \(size) and pool \(pool) must be positive")
        case .packed(let rows): check(rows > 0, "BatchPlanner: rows per batch must be positive, got \(rows)")
        }
        self.dataset = dataset
        self.strategy = strategy
        self.padID = padID
        self.seed = seed
    }

    /// The example indices of each batch of `epoch`, row by row: `plan(epoch:)[b][r]` lists the examples in
    /// row r of batch b.
    public func plan(epoch: Int) -> [[[Int]]] {
        var rng = SeededRandom(seed: seed &+ UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15)
        var order = Array(dataset.examples.indices)
        rng.shuffle(&order)
        let lengths = dataset.examples.map(\.count)
        var batches: [[[Int]]] = []
        switch strategy {
        case .bucketed(let size, let pool):
            for start in stride(from: 0, to: order.count, by: size * pool) {
                let sorted = order[start..<min(start + size * pool, order.count)].enumerated()
                    .sorted { (lengths[$0.element], $0.offset) < (lengths[$1.element], $1.offset) }.map(\.element)
                for b in stride(from: 0, to: sorted.count, by: size) {
                    batches.append(sorted[b..<min(b + size, sorted.count)].map { [$0] })
                }
            }
        case .packed(let rowsPerBatch):
            var bins = FirstFit(slots: order.count, capacity: dataset.maxLength)
            var rows: [[Int]] = []
            for i in order {
                let r = bins.place(lengths[i])!
                if r == rows.count { rows.append([]) }
                rows[r].append(i)
            }
            for b in stride(from: 0, to: rows.count, by: rowsPerBatch) {
                batches.append(Array(rows[b..<min(b + rowsPerBatch, rows.count)]))
            }
        }
        rng.shuffle(&batches)
        return batches
    }

    /// Positions the batch of these rows computes, padding included (rows × the longest row): what it costs.
    public func paddedTokens(_ rows: [[Int]]) -> Int {
        rows.count * (rows.map { $0.reduce(0) { $0 + dataset.examples[$1].count } }.max() ?? 0)
    }

    /// Builds the batch whose rows hold these examples (one entry of `plan(epoch:)`).
    public func batch(_ rows: [[Int]]) -> Batch {
        let examples = dataset.examples
        let rowLengths = rows.map { $0.reduce(0) { $0 + examples[$1].count } }
        let length = rowLengths.max() ?? 0
        var b = Batch(rows: rows.count, length: length,
                      tokens: [Int32](repeating: padID, count: rows.count * length),
                      labels: [Int32](repeating: Tensor.ignoreIndex, count: rows.count * length),
                      roles: [TokenRole](repeating: .padding, count: rows.count * length),
                      layout: nil, spans: [])
        for (r, row) in rows.enumerated() {
            var at = r * length
            for i in row {
                let e = examples[i]
                b.spans.append(Batch.Span(example: i, row: r, start: at - r * length, count: e.count))
                b.tokens.replaceSubrange(at..<at + e.count, with: e.tokens)
                b.roles.replaceSubrange(at..<at + e.count, with: e.roles)
                for j in 0..<e.count - 1 where e.roles[j + 1].isSupervised { b.labels[at + j] = e.tokens[j + 1] }
                at += e.count
            }
        }
        if case .packed = strategy {
            b.layout = SequenceLayout.packed(rows.map { $0.map { examples[$0].count } }, length: length)
        }
        return b
    }
}
