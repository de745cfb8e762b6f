/// What makes a BPE tokenizer SentencePiece-style (Llama 2, Mistral, Gemma): spaces are spelled "▁" (U+2581),
/// a "▁" may be put in front of the text, the vocabulary spells raw bytes as `<0x0A>` tokens for characters it
/// has no token for (byte fallback), and decoding turns "▁" back into spaces.
public struct SentencePieceLayout: Sendable {
    /// Where a "▁" is put in front of the text between special tokens.
    public enum SpacePrefix: Sendable, Equatable {
        /// Never (Gemma).
        case never
        /// Before the text's first stretch only, unless it already starts with a space (Hugging Face's
        /// `Metaspace` with `prepend_scheme: "first"`, which transformers also builds from a GGUF's
        /// `add_space_prefix`). llama.cpp also prefixes each stretch after a special token.
        case first
        /// Before every stretch, unless it already starts with a space (`prepend_scheme: "always"`).
        case always
        /// Before every stretch, even one that starts with a space (the `Prepend("▁")` normalizer of
        /// Llama 2's tokenizer.json, which turns " hi" into "▁▁hi").
        case alwaysEvenAfterSpace
    }

    public var spacePrefix: SpacePrefix
    /// Each "▁" starts a new word that is merged on its own (`Metaspace` with `split: true`).
    public var splitsAtSpaces: Bool
    /// Decoding drops one space at the start of the text (the `Strip` decoder that undoes the prefix).
    public var stripsLeadingSpace: Bool
    /// Per-token scores, as GGUF stores them. With scores the merges come from the vocabulary, as llama.cpp
    /// does it: two adjacent pieces merge when together they are a token, the highest-scoring first. Without
    /// them (tokenizer.json) the ranked merge list decides.
    public var scores: [Float]?

    public init(spacePrefix: SpacePrefix, splitsAtSpaces: Bool = false, stripsLeadingSpace: Bool? = nil, scores: [Float]? = nil) {
        self.spacePrefix = spacePrefix
        self.splitsAtSpaces = splitsAtSpaces
        self.stripsLeadingSpace = stripsLeadingSpace ?? (spacePrefix != .never)
        self.scores = scores
    }

    /// "▁" in UTF-8.
    static let space: [UInt8] = [0xE2, 0x96, 0x81]

    /// Appends the UTF-8 of a (non-byte) token with each "▁" made a space.
    static func appendDecoded(_ token: String, to bytes: inout [UInt8]) {
        var utf8 = token.utf8[...]
        while let i = utf8.firstIndex(of: 0xE2) {
            bytes += utf8[..<i]
            if utf8[i...].starts(with: space) {
                bytes.append(0x20)
                utf8 = utf8[utf8.index(i, offsetBy: 3)...]
            } else {
                bytes.append(0xE2)
                utf8 = utf8[utf8.index(after: i)...]
            }
        }
        bytes += utf8
    }

    /// The spelling of the token for a raw byte: `<0x0A>`.
    static func byteTokenName(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x\(hex.count == 1 ? "0" + hex : hex)>"
    }

    /// The byte a `<0xXX>` token stands for, or nil for any other spelling.
    static func byte(ofTokenName name: String) -> UInt8? {
        let u = Array(name.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"),
              u[5] == UInt8(ascii: ">"), let high = hexDigit(u[3]), let low = hexDigit(u[4]) else { return nil }
        return high << 4 | low
    }

    /// Upper-case hex only, as SentencePiece writes byte pieces.
    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
