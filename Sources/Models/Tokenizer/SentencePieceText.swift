/// The SentencePiece steps before merging: text between special tokens gets its spaces spelled "▁" and the
/// prefix the layout asks for, is cut into words (one, unless the layout splits at spaces), and each word
/// starts as one token per character, with `<0xXX>` byte tokens for characters the vocabulary lacks.
struct SentencePieceText: Sendable {
    let layout: SentencePieceLayout
    /// The token for each character that is a token on its own.
    private let characterIDs: [UInt32: Int32]

    init(layout: SentencePieceLayout, tokens: [String]) {
        self.layout = layout
        var ids: [UInt32: Int32] = [:]
        for (i, t) in tokens.enumerated() {
            let scalars = t.unicodeScalars
            if scalars.count == 1, let s = scalars.first, ids[s.value] == nil { ids[s.value] = Int32(i) }
        }
        characterIDs = ids
    }

    /// `text` with spaces spelled "▁" and the prefix added. `atTextStart`: the stretch begins the whole text
    /// rather than following a special token.
    func normalize(_ text: UnsafeBufferPointer<UInt8>, atTextStart: Bool) -> [UInt8] {
        var out: [UInt8] = []
        guard !text.isEmpty else { return out }
        out.reserveCapacity(text.count + 3)
        let startsWithSpace = text[0] == 0x20 || text.starts(with: SentencePieceLayout.space)
        let prefixed = switch layout.spacePrefix {
        case .never: false
        case .first: atTextStart && !startsWithSpace
        case .always: !startsWithSpace
        case .alwaysEvenAfterSpace: true
        }
        if prefixed { out += SentencePieceLayout.space }
        for b in text {
            if b == 0x20 { out += SentencePieceLayout.space } else { out.append(b) }
        }
        return out
    }

    /// Where the words of normalized text start: only at 0, or also before each "▁" when the layout splits.
    func wordStarts(_ text: [UInt8]) -> [Int] {
        guard layout.splitsAtSpaces else { return [0] }
        var starts = [0]
        var i = 1
        while i + 2 < text.count {
            if text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                starts.append(i)
                i += 3
            } else {
                i += 1
            }
        }
        return starts
    }

    /// One token per character of `word` (well-formed UTF-8), or its bytes' tokens where the character has
    /// none.
    func symbols(_ word: UnsafeBufferPointer<UInt8>, byteIDs: [Int32]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(word.count)
        var i = 0
        while i < word.count {
            let lead = word[i]
            let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            let end = min(i + length, word.count)
            var value = length == 1 ? UInt32(lead) : UInt32(lead) & (0x7F >> length)
            for j in (i + 1)..<max(end, i + 1) { value = value << 6 | UInt32(word[j] & 0x3F) }
            if let id = characterIDs[value] {
                out.append(id)
            } else {
                for j in i..<end { out.append(byteIDs[Int(word[j])]) }
            }
            i = end
        }
        return out
    }
}
