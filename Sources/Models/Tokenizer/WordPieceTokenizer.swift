/// BERT's tokenizer as Hugging Face `tokenizers` runs it (BertNormalizer, BertPreTokenizer, the WordPiece model,
/// TemplateProcessing, the WordPiece decoder). Special tokens are matched whole in the raw text; the text
/// between them is normalized and cut into words, and each word becomes its longest prefix in the vocabulary
/// followed by the longest continuations ("##" pieces), or one [UNK] when some part has no piece or the word is
/// longer than `maxInputCharsPerWord` scalars. Safe to share between threads.
public final class WordPieceTokenizer: Sendable {
    /// The special tokens of BERT vocabularies, matched in the text and skipped by `decode`.
    public static let bertSpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    public let vocabSize: Int
    public let unkID: Int32
    public let clsID: Int32
    public let sepID: Int32
    public let maskID: Int32
    public let padID: Int32
    public let normalizer: BertNormalizer
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int

    private let tokens: [String]
    /// Ids by exact spelling: Swift's `String` equality would merge canonically equivalent tokens.
    private let index: TokenBytesIndex
    /// The tokens that start with `continuingSubwordPrefix`, spelled without it, and their ids.
    private let continuations: TokenBytesIndex
    private let continuationIDs: [Int32]
    private let specialMatcher: SpecialTokenMatcher
    private let specialIDs: Set<Int32>
    /// What `addSpecialTokens` puts before and after the text.
    private let idsBefore: [Int32]
    private let idsAfter: [Int32]
    private let cleansUpDecodedText: Bool

    /// - Parameters:
    ///   - tokens: the vocabulary; a token's id is its index. When a spelling repeats, the first id is used.
    ///   - specialTokens: matched whole in the raw text and skipped by `decode(_:skipSpecial: true)`.
    ///   - addedBefore, addedAfter: the tokens `addSpecialTokens` puts around the text (the post-processor's
    ///     template).
    ///   - cleansUpDecodedText: the WordPiece decoder's `cleanup` (" ." → ".", " n't" → "n't", …, per token).
    /// Every token named here, and [CLS], [SEP], [MASK] and [PAD], must be in the vocabulary.
    public init(tokens: [String], normalizer: BertNormalizer = BertNormalizer(), specialTokens: [String] = bertSpecialTokens,
                unkToken: String = "[UNK]", continuingSubwordPrefix: String = "##", maxInputCharsPerWord: Int = 100,
                addedBefore: [String] = ["[CLS]"], addedAfter: [String] = ["[SEP]"], cleansUpDecodedText: Bool = true) throws {
        guard !tokens.isEmpty, tokens.count <= Int(Int32.max) else {
            throw TokenizerError(field: "tokens", "the vocabulary has \(tokens.count) tokens")
        }
        guard maxInputCharsPerWord >= 0 else {
            throw TokenizerError(field: "maxInputCharsPerWord", "\(maxInputCharsPerWord) is negative")
        }
        let index = TokenBytesIndex(tokens)
        func id(_ token: String) throws -> Int32 {
            guard let id = index.id(of: token) else { throw TokenizerError("the vocabulary has no \"\(token)\"") }
            return id
        }
        unkID = try id(unkToken)
        clsID = try id("[CLS]")
        sepID = try id("[SEP]")
        maskID = try id("[MASK]")
        padID = try id("[PAD]")
        idsBefore = try addedBefore.map(id)
        idsAfter = try addedAfter.map(id)
        let specials = try specialTokens.map { (text: $0, id: try id($0)) }
        specialMatcher = SpecialTokenMatcher(specials)
        specialIDs = Set(specials.map(\.id))

        let prefix = Array(continuingSubwordPrefix.utf8)
        var suffixes: [String] = [], suffixIDs: [Int32] = []
        for (i, token) in tokens.enumerated() where token.utf8.starts(with: prefix) {
            suffixes.append(String(decoding: token.utf8.dropFirst(prefix.count), as: UTF8.self))
            suffixIDs.append(Int32(i))
        }
        continuations = TokenBytesIndex(suffixes)
        continuationIDs = suffixIDs
        self.tokens = tokens
        self.index = index
        vocabSize = tokens.count
        self.normalizer = normalizer
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.cleansUpDecodedText = cleansUpDecodedText
    }

    /// The token with this id, or nil outside the vocabulary.
    public func token(for id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    /// The id of the token spelled exactly `token`.
    public func id(for token: String) -> Int32? {
        index.id(of: token)
    }

    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int32] {
        encoding(of: text, addSpecialTokens: addSpecialTokens).ids
    }

    /// The tokens of `text` with their word starts and offsets.
    public func encoding(of text: String, addSpecialTokens: Bool = true) -> WordPieceEncoding {
        var out = WordPieceEncoding()
        if addSpecialTokens { for id in idsBefore { out.append(id, startsWord: true, offsets: 0..<0) } }
        var text = text
        text.withUTF8 { bytes in
            var scalarsBefore = 0
            specialMatcher.split(bytes, plain: { range in
                let plain = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                appendWords(of: plain, firstOrigin: scalarsBefore, to: &out)
                scalarsBefore += plain.unicodeScalars.count
            }, special: { id in
                let length = tokens[Int(id)].unicodeScalars.count
                out.append(id, startsWord: true, offsets: scalarsBefore..<scalarsBefore + length)
                scalarsBefore += length
            })
        }
        if addSpecialTokens { for id in idsAfter { out.append(id, startsWord: true, offsets: 0..<0) } }
        return out
    }

    /// The tokens joined with spaces, continuation pieces glued to the one before without their prefix, as the
    /// WordPiece decoder does (with its cleanup when the tokenizer has it). Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int32], skipSpecial: Bool = true) -> String {
        let prefix = Array(continuingSubwordPrefix.utf8)
        var text: [UInt8] = []
        var first = true
        for id in ids {
            guard let token = token(for: id), !(skipSpecial && specialIDs.contains(id)) else { continue }
            var piece = Array(token.utf8)
            if !first {
                if piece.starts(with: prefix) { piece.removeFirst(prefix.count) } else { piece.insert(UInt8(ascii: " "), at: 0) }
            }
            text += cleansUpDecodedText ? WordPieceCleanup.apply(to: piece) : piece
            first = false
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Normalizes `text` (which starts at scalar `firstOrigin` of the whole text), cuts it into words and appends
    /// each word's pieces.
    private func appendWords(of text: String, firstOrigin: Int, to out: inout WordPieceEncoding) {
        let normalized = normalizer.normalize(text.unicodeScalars, firstOrigin: firstOrigin)
        let scalars = normalized.map(\.scalar)
        func offsets(_ range: Range<Int>) -> Range<Int> {
            normalized[range.lowerBound].origin..<normalized[range.upperBound - 1].origin + 1
        }
        for word in BertPreTokenizer.words(scalars) {
            guard let pieces = pieces(of: scalars[word]) else {
                out.append(unkID, startsWord: true, offsets: offsets(word))
                continue
            }
            var start = word.lowerBound
            for piece in pieces {
                out.append(piece.id, startsWord: start == word.lowerBound, offsets: offsets(start..<piece.end))
                start = piece.end
            }
        }
    }

    /// Greedy longest-match-first: the word's pieces (id, and the index in `word` where each ends), or nil when
    /// the word is one [UNK].
    private func pieces(of word: ArraySlice<Unicode.Scalar>) -> [(id: Int32, end: Int)]? {
        guard word.count <= maxInputCharsPerWord else { return nil }
        var bytes: [UInt8] = []
        var bounds = [0]  // bounds[k]: where scalar word.startIndex + k starts in `bytes`
        for scalar in word {
            UTF8.encode(scalar) { bytes.append($0) }
            bounds.append(bytes.count)
        }
        return bytes.withUnsafeBufferPointer { bytes in
            var pieces: [(id: Int32, end: Int)] = []
            var start = 0
            while start < word.count {
                var end = word.count
                var found: Int32?
                while end > start {
                    let key = UnsafeBufferPointer(rebasing: bytes[bounds[start]..<bounds[end]])
                    found = start == 0 ? index.id(of: key) : continuations.id(of: key).map { continuationIDs[Int($0)] }
                    if found != nil { break }
                    end -= 1
                }
                guard let id = found else { return nil }
                pieces.append((id, word.startIndex + end))
                start = end
            }
            return pieces
        }
    }
}
