/// One NPM training batch ready for the encoder: the blocks with their chosen spans each replaced by the mask
/// token twice (`[MASK_s][MASK_e]`), followed by the same blocks unmasked, as one batch of 2·B rows; the rows of
/// the queries; and for every query the candidates (the text tokens of the unmasked blocks, in order) that are its
/// positives.
public struct ContrastiveBatch: Sendable, Equatable {
    /// The number of blocks B.
    public let blocks: Int
    /// Row length (the longest masked or unmasked block); rows are padded with `padID`.
    public let length: Int
    /// 2·B rows of `length` ids: rows 0..<B masked, rows B..<2B unmasked.
    public let ids: [Int32]
    /// Real tokens of each of the 2·B rows.
    public let lengths: [Int]
    /// Flat rows (b·length + position) of the encoder's output that are queries: every span's `[MASK_s]`
    /// first (start queries), then every span's `[MASK_e]` (end queries), spans in block then position order.
    public let queryRows: [Int32]
    /// The block of each query.
    public let queryBlock: [Int32]
    /// Flat rows of the unmasked blocks' tokens that are candidates: every token of every unmasked block
    /// (`[CLS]` and `[SEP]` included), block by block.
    public let candidateRows: [Int32]
    /// The block of each candidate.
    public let candidateBlock: [Int32]
    /// For each query, the candidates (indices into `candidateRows`) that are positives: the first token (start
    /// queries) or last token (end queries) of every occurrence of the span's phrase in another block.
    public let positives: [[Int32]]
    /// How many of the queries are start queries (the rest, as many, are end queries).
    public let startQueries: Int

    public init(blocks input: [EncodedBlock], spans: [[Span]], phrases: PhraseOccurrences, maskID: Int32, padID: Int32) {
        precondition(input.count == spans.count, "ContrastiveBatch: \(input.count) blocks, \(spans.count) span lists")
        let b = input.count
        var masked: [[Int32]] = []
        var starts: [(row: Int, block: Int, positives: [Int32])] = []
        var ends: [(row: Int, block: Int, positives: [Int32])] = []
        // Candidate index of each block's first token.
        var candidateBase = [Int](repeating: 0, count: b + 1)
        for i in 0..<b { candidateBase[i + 1] = candidateBase[i] + input[i].ids.count }
        var maskedPositions: [[(start: Int, span: Span)]] = []
        for (i, block) in input.enumerated() {
            var row: [Int32] = [], cursor = 0, places: [(Int, Span)] = []
            for span in spans[i] {
                precondition(span.start >= cursor && block.isWholeWords(start: span.start, length: span.length),
                             "ContrastiveBatch: span \(span) of block \(i) overlaps or is not whole words")
                row += block.ids[cursor..<span.start]
                places.append((row.count, span))
                row += [maskID, maskID]
                cursor = span.end
            }
            row += block.ids[cursor...]
            masked.append(row)
            maskedPositions.append(places)
        }
        let length = max(masked.map(\.count).max() ?? 0, input.map(\.ids.count).max() ?? 0)
        for (i, places) in maskedPositions.enumerated() {
            for (position, span) in places {
                let others = phrases.occurrences(of: input[i].ids[span.start..<span.end], outside: i)
                precondition(!others.isEmpty, "ContrastiveBatch: span \(span) of block \(i) occurs in no other block")
                starts.append((i * length + position, i, others.map { Int32(candidateBase[$0.block] + $0.start) }))
                ends.append((i * length + position + 1, i, others.map { Int32(candidateBase[$0.block] + $0.start + span.length - 1) }))
            }
        }
        var ids: [Int32] = [], lengths: [Int] = []
        for row in masked + input.map(\.ids) {
            ids += row + [Int32](repeating: padID, count: length - row.count)
            lengths.append(row.count)
        }
        var candidateRows: [Int32] = [], candidateBlock: [Int32] = []
        for (i, block) in input.enumerated() {
            for p in 0..<block.ids.count {
                candidateRows.append(Int32((b + i) * length + p))
                candidateBlock.append(Int32(i))
            }
        }
        self.blocks = b
        self.length = length
        self.ids = ids
        self.lengths = lengths
        self.queryRows = (starts + ends).map { Int32($0.row) }
        self.queryBlock = (starts + ends).map { Int32($0.block) }
        self.positives = (starts + ends).map(\.positives)
        self.startQueries = starts.count
        self.candidateRows = candidateRows
        self.candidateBlock = candidateBlock
    }

    /// Tokens the encoder reads in this batch (both halves, without padding).
    public var tokens: Int { lengths.reduce(0, +) }
}
