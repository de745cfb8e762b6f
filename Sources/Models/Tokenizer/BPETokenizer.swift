import Foundation
import Synchronization

/// A BPE tokenizer in one of two styles. Byte-level, as GPT-2 (SmolLM2, StableLM, Llama 3 and others): text
/// is cut into words by a pre-tokenizer, each word's UTF-8 bytes start as one token per byte, and ranked
/// merges join adjacent tokens. SentencePiece-style (Llama 2, Mistral, Gemma; see `SentencePieceLayout`):
/// spaces are spelled "▁", words start as one token per character with `<0xXX>` byte tokens as the fallback,
/// and merges join them likewise. In both, control, user-defined and unknown tokens (`<|im_start|>`, `<unk>`) are
/// matched whole in the text first. It is built from neutral inputs so that GGUF metadata and Hugging Face
/// `tokenizer.json` files can both feed it. Safe to share between threads.
public final class BPETokenizer: Sendable {
    /// GGUF token types (`tokenizer.ggml.token_type`).
    public enum TokenType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public let vocabSize: Int
    public let bosID: Int32?
    public let eosID: Int32?
    public let unkID: Int32?
    public let padID: Int32?
    /// Whether `encode(_:addSpecial: true)` puts BOS first / EOS last.
    public let addBOS: Bool
    public let addEOS: Bool
    public let preTokenizer: PreTokenizer
    /// Text between special tokens is put in Unicode normalization form C first (Hugging Face's `NFC`
    /// normalizer, which Qwen's tokenizers use).
    public let normalizesNFC: Bool
    /// Set for a SentencePiece-style tokenizer; `preTokenizer`, `ignoreMerges` and `normalizesNFC` then do
    /// not apply.
    public let sentencePiece: SentencePieceLayout?

    private let tokens: [String]
    private let types: [Int]
    /// The ranked merges as given (kept for export); empty when scores imply them.
    public let mergeRules: [(left: String, right: String)]
    /// Ids by exact spelling: a `[String: Int32]` would merge canonically equivalent tokens (Gemma has 437
    /// pairs such as "Å" written precomposed and decomposed).
    private let index: TokenBytesIndex
    /// With `ignoreMerges` (Llama 3), a word that is itself in the vocabulary is taken whole.
    private let ignoreMerges: Bool
    /// The token for each single byte (byte-level spelling, or `<0xXX>`), -1 where the vocabulary has none.
    private let byteIDs: [Int32]
    private let sentencePieceText: SentencePieceText?
    private let merges: BPEMerges
    /// Set when SentencePiece scores imply the merges; `merges` is then empty.
    private let scoredMerges: ScoredMerges?
    private let specials: SpecialTokenMatcher
    /// The bytes each token decodes to, concatenated; token i's are `decodeBytes[decodeOffsets[i]..<decodeOffsets[i+1]]`.
    private let decodeBytes: [UInt8]
    private let decodeOffsets: [Int]
    private let cache = Mutex(WordCache())

    /// - Parameters:
    ///   - tokens: the vocabulary in byte-level spelling ("Ġ" is a space); a token's id is its index. When a
    ///     string appears twice, `id(of:)` and the encoder use the first.
    ///   - merges: ranked merges (rank = index); both sides and their concatenation must be tokens.
    ///   - tokenTypes: GGUF token types per token (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
    ///     6 byte), or nil for all normal. Control, user-defined and unknown tokens are matched whole in the text.
    ///   - unkID: reported as `unkID` only: a byte without a token is dropped, as in Hugging Face and llama.cpp.
    ///   - preTokenizer: how text is cut into words before BPE.
    ///   - ignoreMerges: take a word whole when it is a token (Hugging Face's `ignore_merges`, used by Llama 3).
    ///   - normalizesNFC: put the text between special tokens in normalization form C before pre-tokenizing.
    ///   - sentencePiece: makes the tokenizer SentencePiece-style. Tokens are then spelled as such ("▁the",
    ///     `<0x0A>`), all 256 byte tokens must be present, and without `tokenTypes` a token spelled `<0xXX>` is
    ///     a byte token. With `sentencePiece.scores`, `merges` must be empty: the scores imply them.
    public init(tokens: [String], merges: [(String, String)], tokenTypes: [Int]? = nil,
                bosID: Int32? = nil, eosID: Int32? = nil, unkID: Int32? = nil, padID: Int32? = nil,
                addBOS: Bool = false, addEOS: Bool = false, preTokenizer: PreTokenizer = .gpt2,
                ignoreMerges: Bool = false, normalizesNFC: Bool = false, sentencePiece: SentencePieceLayout? = nil) throws {
        guard !tokens.isEmpty, tokens.count <= Int(Int32.max) else {
            throw TokenizerError(field: "tokens", "the vocabulary has \(tokens.count) tokens")
        }
        let types = tokenTypes ?? tokens.map { t in
            sentencePiece != nil && SentencePieceLayout.byte(ofTokenName: t) != nil ? TokenType.byte.rawValue : TokenType.normal.rawValue
        }
        guard types.count == tokens.count else {
            throw TokenizerError(field: "tokenTypes", "\(types.count) types for \(tokens.count) tokens")
        }
        if let bad = types.firstIndex(where: { TokenType(rawValue: $0) == nil }) {
            throw TokenizerError(field: "tokenTypes[\(bad)]", "\(types[bad]) is not a token type (1 to 6)")
        }
        for (name, id) in [("bosID", bosID), ("eosID", eosID), ("unkID", unkID), ("padID", padID)] {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw TokenizerError(field: name, "id \(id) is outside the vocabulary of \(tokens.count) tokens")
            }
        }
        if addBOS && bosID == nil { throw TokenizerError(field: "addBOS", "BOS is to be added but there is no BOS id") }
        if addEOS && eosID == nil { throw TokenizerError(field: "addEOS", "EOS is to be added but there is no EOS id") }

        let index = TokenBytesIndex(tokens)

        var scoredMerges: ScoredMerges?
        if let scores = sentencePiece?.scores {
            try Self.checkScores(scores, tokenCount: tokens.count, merges: merges.count)
            scoredMerges = ScoredMerges(index: index, scores: scores, types: types)
        }
        var mergeIDs: [(left: Int32, right: Int32, merged: Int32)] = []
        mergeIDs.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let l = index.id(of: left), let r = index.id(of: right), let m = index.id(of: left + right) else {
                let missing = index.id(of: left) == nil ? left : index.id(of: right) == nil ? right : left + right
                throw TokenizerError(field: "merges[\(rank)]", "\"\(left) \(right)\": \"\(missing)\" is not in the vocabulary")
            }
            mergeIDs.append((l, r, m))
        }

        let byteIDs = sentencePiece == nil
            ? ByteLevel.scalarForByte.map { index.id(of: String(Character($0))) ?? -1 }
            : try Self.byteTokenIDs(tokens: tokens, types: types)
        var decodeBytes: [UInt8] = [], decodeOffsets = [0]
        decodeOffsets.reserveCapacity(tokens.count + 1)
        for (i, t) in tokens.enumerated() {
            if sentencePiece == nil {
                decodeBytes += ByteLevel.bytes(of: t)
            } else if types[i] == TokenType.byte.rawValue, let byte = SentencePieceLayout.byte(ofTokenName: t) {
                decodeBytes.append(byte)
            } else {
                SentencePieceLayout.appendDecoded(t, to: &decodeBytes)
            }
            decodeOffsets.append(decodeBytes.count)
        }

        self.vocabSize = tokens.count
        self.bosID = bosID
        self.eosID = eosID
        self.unkID = unkID
        self.padID = padID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.types = types
        self.index = index
        self.ignoreMerges = ignoreMerges
        self.normalizesNFC = normalizesNFC
        self.sentencePiece = sentencePiece
        self.sentencePieceText = sentencePiece.map { SentencePieceText(layout: $0, tokens: tokens) }
        self.byteIDs = byteIDs
        self.merges = BPEMerges(mergeIDs)
        self.scoredMerges = scoredMerges
        mergeRules = merges.map { (left: $0.0, right: $0.1) }
        // The unknown token too, as llama.cpp and transformers (for which it is a special token) match it.
        let matched: Set = [TokenType.control.rawValue, TokenType.userDefined.rawValue, TokenType.unknown.rawValue]
        self.specials = SpecialTokenMatcher(types.indices.compactMap { i in matched.contains(types[i]) ? (tokens[i], Int32(i)) : nil })
        self.decodeBytes = decodeBytes
        self.decodeOffsets = decodeOffsets
    }

    /// Merges written as GGUF and `merges.txt` write them: "left right", split at the first space after the
    /// first character (byte-level tokens never contain a plain space).
    public convenience init(tokens: [String], merges: [String], tokenTypes: [Int]? = nil,
                            bosID: Int32? = nil, eosID: Int32? = nil, unkID: Int32? = nil, padID: Int32? = nil,
                            addBOS: Bool = false, addEOS: Bool = false, preTokenizer: PreTokenizer = .gpt2,
                            ignoreMerges: Bool = false) throws {
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(merges.count)
        for (rank, line) in merges.enumerated() {
            guard let pair = Self.splitMerge(line) else {
                throw TokenizerError(field: "merges[\(rank)]", "expected \"left right\", got \"\(line)\"")
            }
            pairs.append(pair)
        }
        try self.init(tokens: tokens, merges: pairs, tokenTypes: tokenTypes, bosID: bosID, eosID: eosID,
                      unkID: unkID, padID: padID, addBOS: addBOS, addEOS: addEOS, preTokenizer: preTokenizer,
                      ignoreMerges: ignoreMerges)
    }

    static func splitMerge(_ line: String) -> (String, String)? {
        // Searched as bytes: as a Character, a space followed by a combining mark is not " ".
        guard let space = line.utf8.dropFirst().firstIndex(of: 0x20) else { return nil }
        let right = line[line.utf8.index(after: space)...]
        return right.isEmpty ? nil : (String(line[..<space]), String(right))
    }

    /// The vocabulary entry for `id` in byte-level spelling, or nil outside the vocabulary.
    /// The vocabulary in byte-level spelling; a token's id is its index.
    public var vocabulary: [String] { tokens }
    /// GGUF token types per token.
    public var tokenTypes: [Int] { types }

    public func tokenString(_ id: Int32) -> String? {
        id >= 0 && Int(id) < vocabSize ? tokens[Int(id)] : nil
    }

    /// The id of a vocabulary entry in byte-level or SentencePiece spelling ("Ġthe", "▁the", "<|im_end|>"),
    /// matched exactly (not up to canonical equivalence).
    public func id(of token: String) -> Int32? { index.id(of: token) }

    /// The GGUF type of `id` (raw value; see `TokenType`), or nil outside the vocabulary.
    public func tokenType(_ id: Int32) -> Int? {
        id >= 0 && Int(id) < vocabSize ? types[Int(id)] : nil
    }

    /// Control and unknown tokens: what `decode(_:skipSpecial: true)` leaves out.
    public func isSpecial(_ id: Int32) -> Bool {
        let t = tokenType(id)
        return t == TokenType.control.rawValue || t == TokenType.unknown.rawValue
    }

    // MARK: Encoding

    /// The ids for `text`. Special tokens in the text are always recognised; `addSpecial` adds BOS/EOS as
    /// `addBOS`/`addEOS` say.
    public func encode(_ text: String, addSpecial: Bool = false) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecial, addBOS, let bosID { out.append(bosID) }
        var text = text
        text.withUTF8 { bytes in
            specials.split(bytes, plain: { range in
                let plain = UnsafeBufferPointer(rebasing: bytes[range])
                if let sentencePieceText {
                    return encodeSentencePiece(plain, atTextStart: range.lowerBound == 0, with: sentencePieceText, into: &out)
                }
                // ASCII is its own normal form: only other text goes through Foundation.
                guard normalizesNFC, plain.contains(where: { $0 >= 0x80 }) else { return encodePlain(plain, into: &out) }
                var normalized = String(decoding: plain, as: UTF8.self).precomposedStringWithCanonicalMapping
                normalized.withUTF8 { encodePlain($0, into: &out) }
            }, special: { out.append($0) })
        }
        if addSpecial, addEOS, let eosID { out.append(eosID) }
        return out
    }

    private func encodePlain(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        let scalars = ScalarText(text)
        var start = 0
        for end in preTokenizer.wordEnds(scalars) {
            appendWord(UnsafeBufferPointer(rebasing: text[scalars.offsets[start]..<scalars.offsets[end]]), to: &out)
            start = end
        }
    }

    private func encodeSentencePiece(_ text: UnsafeBufferPointer<UInt8>, atTextStart: Bool, with pieces: SentencePieceText,
                                     into out: inout [Int32]) {
        let normalized = pieces.normalize(text, atTextStart: atTextStart)
        let starts = pieces.wordStarts(normalized)
        normalized.withUnsafeBufferPointer { all in
            for (k, start) in starts.enumerated() {
                let end = k + 1 < starts.count ? starts[k + 1] : all.count
                appendWord(UnsafeBufferPointer(rebasing: all[start..<end]), to: &out)
            }
        }
    }

    private func appendWord(_ word: UnsafeBufferPointer<UInt8>, to out: inout [Int32]) {
        if word.isEmpty { return }
        if word.count == 1 && sentencePieceText == nil {
            let id = byteIDs[Int(word[0])]
            if id >= 0 { out.append(id) }
            return
        }
        if ignoreMerges, sentencePieceText == nil, let id = index.id(of: ByteLevel.string(word)) {
            out.append(id)
            return
        }
        let key = Array(word)
        if let hit = cache.withLock({ $0.words[key] }) {
            out += hit
            return
        }
        var symbols: [Int32] = []
        if let sentencePieceText {
            symbols = sentencePieceText.symbols(word, byteIDs: byteIDs)
        } else {
            // A byte without a token is dropped, as both Hugging Face (with no `model.unk_token`, the byte-level
            // norm) and llama.cpp do: SmolLM2 has no token for 0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, nor for the
            // lead bytes of planes 4 to 11.
            symbols.reserveCapacity(word.count)
            for b in word where byteIDs[Int(b)] >= 0 { symbols.append(byteIDs[Int(b)]) }
        }
        let result = scoredMerges?.apply(symbols) ?? merges.apply(symbols)
        cache.withLock { $0.insert(key, result) }
        out += result
    }

    // MARK: Decoding

    /// The text for `ids`: their bytes concatenated and read as UTF-8, with ill-formed sequences (from a cut
    /// through a character) replaced by U+FFFD, one per maximal ill-formed subpart as in Python's
    /// `errors="replace"`. Ids outside the vocabulary are ignored. A SentencePiece tokenizer whose layout
    /// strips the leading space drops one space at the start of the text.
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids { appendBytes(of: id, skipSpecial: skipSpecial, to: &bytes) }
        let skip = stripsLeadingSpace && bytes.first == 0x20 ? 1 : 0
        return String(decoding: bytes[skip...], as: UTF8.self)
    }

    /// Whether decoding drops one space at the start of the text.
    var stripsLeadingSpace: Bool { sentencePiece?.stripsLeadingSpace ?? false }

    func appendBytes(of id: Int32, skipSpecial: Bool, to bytes: inout [UInt8]) {
        guard id >= 0, Int(id) < vocabSize, !(skipSpecial && isSpecial(id)) else { return }
        bytes += decodeBytes[decodeOffsets[Int(id)]..<decodeOffsets[Int(id) + 1]]
    }
}

/// BPE results per word, bounded: it is emptied when full, which keeps memory flat on long, varied inputs.
private struct WordCache {
    static let capacity = 10_000
    /// Longer words are not worth keeping.
    static let maxWordBytes = 256

    var words: [[UInt8]: [Int32]] = [:]

    mutating func insert(_ word: [UInt8], _ ids: [Int32]) {
        guard word.count <= Self.maxWordBytes else { return }
        if words.count >= Self.capacity { words.removeAll(keepingCapacity: true) }
        words[word] = ids
    }
}
