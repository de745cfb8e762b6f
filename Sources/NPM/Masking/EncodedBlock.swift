/// One block of text as the encoder sees it, `[CLS] tokens [SEP]`, and which of its tokens start a word
/// (WordPiece's non-`##` pieces; the specials count as word starts).
public struct EncodedBlock: Sendable, Equatable {
    public var ids: [Int32]
    public var startsWord: [Bool]

    public init(ids: [Int32], startsWord: [Bool]) {
        precondition(ids.count == startsWord.count && ids.count >= 2, "EncodedBlock: \(ids.count) ids, \(startsWord.count) word flags")
        self.ids = ids
        self.startsWord = startsWord
    }

    /// The text tokens, between `[CLS]` and `[SEP]`.
    public var content: Range<Int> { 1..<(ids.count - 1) }

    /// Whether tokens `start..<start+length` are whole words inside the content: the first starts a word and the
    /// token after the last starts a word or is `[SEP]`.
    public func isWholeWords(start: Int, length: Int) -> Bool {
        let end = start + length
        return length >= 1 && start >= content.lowerBound && end <= content.upperBound
            && startsWord[start] && (end == content.upperBound || startsWord[end])
    }
}

/// A span of a block, `start..<start+length` in its token positions.
public struct Span: Sendable, Equatable, Hashable, Comparable {
    public var start: Int
    public var length: Int
    public init(start: Int, length: Int) { self.start = start; self.length = length }
    public var end: Int { start + length }
    public static func < (a: Span, b: Span) -> Bool { (a.start, a.length) < (b.start, b.length) }
}
