/// A text's WordPiece tokens and where each came from.
public struct WordPieceEncoding: Sendable, Equatable {
    public var ids: [Int32] = []
    /// Per token: false for a piece that continues a word ("##ing" after "play"), true for the first piece of a
    /// word, a whole-word [UNK] and special tokens. Words are what the pre-tokenizer cuts: runs between spaces
    /// and punctuation, and each punctuation character.
    public var startsWord: [Bool] = []
    /// Per token: the Unicode scalars of the text it was made from, as transformers' `offset_mapping` (which
    /// counts Python characters, that is scalars); empty at 0 for the special tokens put around the text.
    public var offsets: [Range<Int>] = []

    public init() {}

    mutating func append(_ id: Int32, startsWord: Bool, offsets: Range<Int>) {
        ids.append(id)
        self.startsWord.append(startsWord)
        self.offsets.append(offsets)
    }
}
