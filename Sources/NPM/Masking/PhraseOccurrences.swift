/// Every phrase of a batch (a span of whole words of at most `maxLength` tokens, not made only of `functionWords`)
/// and where it occurs. NPM masks only phrases that also occur in another block of the batch: those occurrences
/// are the positives of its contrastive loss.
public struct PhraseOccurrences: Sendable {
    /// Where one phrase occurs: a block of the batch and the token position where the phrase starts there.
    public struct Occurrence: Sendable, Equatable, Hashable {
        public var block: Int
        public var start: Int
    }

    public let maxLength: Int
    public let functionWords: Set<Int32>
    private var byPhrase: [ArraySlice<Int32>: [Occurrence]] = [:]

    public init(blocks: [EncodedBlock], maxLength: Int, functionWords: Set<Int32> = []) {
        self.maxLength = maxLength
        self.functionWords = functionWords
        for (b, block) in blocks.enumerated() {
            for start in block.content where block.startsWord[start] {
                for length in 1...maxLength where isPhrase(block, start, length) {
                    byPhrase[block.ids[start..<start + length], default: []].append(Occurrence(block: b, start: start))
                }
            }
        }
    }

    /// The occurrences of `phrase`, in block order then position order.
    public func occurrences(of phrase: ArraySlice<Int32>) -> [Occurrence] { byPhrase[phrase] ?? [] }

    /// The occurrences of `phrase` in blocks other than `block`.
    public func occurrences(of phrase: ArraySlice<Int32>, outside block: Int) -> [Occurrence] {
        occurrences(of: phrase).filter { $0.block != block }
    }

    /// The spans of `blocks[b]` that may be masked: whole-word phrases that occur in another block, ascending.
    public func eligibleSpans(in blocks: [EncodedBlock], block b: Int) -> [Span] {
        let block = blocks[b]
        var spans: [Span] = []
        for start in block.content where block.startsWord[start] {
            for length in 1...maxLength where isPhrase(block, start, length) {
                if occurrences(of: block.ids[start..<start + length]).contains(where: { $0.block != b }) {
                    spans.append(Span(start: start, length: length))
                }
            }
        }
        return spans
    }

    /// Whole words, at least one of them not a function word or punctuation.
    func isPhrase(_ block: EncodedBlock, _ start: Int, _ length: Int) -> Bool {
        block.isWholeWords(start: start, length: length) && block.ids[start..<start + length].contains { !functionWords.contains($0) }
    }
}
