/// Hugging Face's `BertPreTokenizer`: words are cut at white space, which is dropped, and every punctuation
/// character is a word of its own.
enum BertPreTokenizer {
    /// The words of `scalars`, as index ranges into it, in order.
    static func words(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start = 0
        for (i, scalar) in scalars.enumerated() {
            let isSpace = scalar.properties.isWhitespace
            guard isSpace || isPunctuation(scalar) else { continue }
            if start < i { words.append(start..<i) }
            if !isSpace { words.append(i..<i + 1) }
            start = i + 1
        }
        if start < scalars.count { words.append(start..<scalars.count) }
        return words
    }

    /// The Unicode punctuation categories (Pc Pd Ps Pe Pi Pf Po, in `tokenizers`' tables) and every ASCII
    /// character that is neither a letter, a digit, a space nor a control character (so `$`, `+`, `<`, `^`, `|`
    /// and `~` too).
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return (0x21...0x2F).contains(scalar.value) || (0x3A...0x40).contains(scalar.value)
                || (0x5B...0x60).contains(scalar.value) || (0x7B...0x7E).contains(scalar.value)
        }
        switch BertCharacterCategory.of(scalar) {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }
}
