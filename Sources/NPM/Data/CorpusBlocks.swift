import Models

/// A block of a corpus with where its tokens came from: the document and each token's span of characters
/// (Unicode scalars) in it.
public struct CorpusBlock: Sendable, Equatable {
    public var block: EncodedBlock
    public var document: Int
    /// Character range of each token in the document; empty for `[CLS]` and `[SEP]`.
    public var offsets: [Range<Int>]
}

extension CorpusBlock {
    /// The documents cut into blocks of at most `length` tokens (with `[CLS]` and `[SEP]`), in order. A cut falls
    /// before a word start when one is in reach, so words are rarely split between blocks.
    public static func blocks(of documents: [CorpusDocument], tokenizer: WordPieceTokenizer, length: Int) -> [CorpusBlock] {
        precondition(length >= 3, "CorpusBlock: blocks of \(length) tokens")
        let room = length - 2
        var out: [CorpusBlock] = []
        for (d, document) in documents.enumerated() {
            let e = tokenizer.encoding(of: document.text, addSpecialTokens: false)
            var start = 0
            while start < e.ids.count {
                var end = min(start + room, e.ids.count)
                if end < e.ids.count, let cut = (start + 1...end).last(where: { e.startsWord[$0] }) { end = cut }
                out.append(CorpusBlock(block: EncodedBlock(ids: [tokenizer.clsID] + e.ids[start..<end] + [tokenizer.sepID],
                                                           startsWord: [true] + e.startsWord[start..<end] + [true]),
                                       document: d, offsets: [0..<0] + e.offsets[start..<end] + [0..<0]))
                start = end
            }
        }
        return out
    }
}
