/// The WordPiece decoder's `cleanup`: spaces taken out before punctuation and English contractions. `tokenizers`
/// applies it to each token after the token's leading space is added, so "don ' t" stays as it is.
enum WordPieceCleanup {
    /// In order, each replaced everywhere before the next (byte-wise, as Rust's `str::replace`).
    private static let replacements: [(from: [UInt8], to: [UInt8])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.utf8), Array($1.utf8)) }

    static func apply(to token: [UInt8]) -> [UInt8] {
        replacements.reduce(token) { text, r in replacingAll(r.from, with: r.to, in: text) }
    }

    private static func replacingAll(_ pattern: [UInt8], with replacement: [UInt8], in text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if text[i...].starts(with: pattern) {
                out += replacement
                i += pattern.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }
}
