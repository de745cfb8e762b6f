import Foundation

/// Hugging Face's `BertNormalizer`, step by step in its order: drop control characters and make every space
/// a plain one, put spaces around CJK ideographs, decompose (NFD) and drop nonspacing marks, lowercase. Each
/// output scalar keeps the index of the input scalar it came from, so that tokens can point back into the text.
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText: Bool
    public var handleChineseChars: Bool
    public var stripAccents: Bool
    public var lowercase: Bool

    /// `stripAccents` nil follows `lowercase`, as in `tokenizers`.
    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    /// One normalized scalar and the index of the text's scalar it came from.
    struct Piece {
        var scalar: Unicode.Scalar
        var origin: Int
    }

    /// `scalars` normalized; their origins count from `firstOrigin`.
    func normalize(_ scalars: some Sequence<Unicode.Scalar>, firstOrigin: Int) -> [Piece] {
        var pieces: [Piece] = []
        pieces.reserveCapacity(scalars.underestimatedCount)
        for (i, scalar) in scalars.enumerated() {
            let piece = Piece(scalar: scalar, origin: firstOrigin + i)
            if cleanText {
                if Self.isRemovedByCleaning(scalar) { continue }
                if scalar.properties.isWhitespace {
                    pieces.append(Piece(scalar: " ", origin: piece.origin))
                    continue
                }
            }
            if handleChineseChars && Self.isChineseCharacter(scalar) {
                pieces += [Piece(scalar: " ", origin: piece.origin), piece, Piece(scalar: " ", origin: piece.origin)]
            } else {
                pieces.append(piece)
            }
        }
        if stripAccents {
            pieces = Self.canonicallyDecomposed(pieces).filter { $0.scalar.isASCII || BertCharacterCategory.of($0.scalar) != .nonspacingMark }
        }
        if lowercase {
            pieces = pieces.flatMap { p in
                p.scalar.isASCII ? [Piece(scalar: Unicode.Scalar(UInt8(ascii: p.scalar).lowercasedASCII), origin: p.origin)]
                    : p.scalar.properties.lowercaseMapping.unicodeScalars.map { Piece(scalar: $0, origin: p.origin) }
            }
        }
        return pieces
    }

    /// NUL, U+FFFD and the control (Cc), format (Cf) and private-use (Co) characters (in `tokenizers`' tables),
    /// except tab, newline and carriage return, which count as spaces.
    private static func isRemovedByCleaning(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        case "\u{0}", "\u{FFFD}": return true
        default:
            if scalar.isASCII { return scalar.value < 0x20 || scalar.value == 0x7F }
            switch BertCharacterCategory.of(scalar) {
            case .control, .format, .privateUse: return true
            default: return false
            }
        }
    }

    /// The CJK ideograph blocks as `tokenizers` lists them (which leaves out U+2B820-U+2B91F).
    private static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: true
        default: false
        }
    }

    /// NFD: each scalar fully decomposed, then every run of combining marks stably sorted by combining class,
    /// with `tokenizers`' tables (the unicode-normalization-alignments crate's, Unicode 9.0): scalars assigned
    /// later neither decompose nor move. Origins are dealt out by position, as `tokenizers` aligns them: the first
    /// scalar of each decomposition takes the origin of the next input scalar, the others the origin dealt last.
    /// So a mark that sorting moves takes the origin of the scalar that was at its place.
    private static func canonicallyDecomposed(_ pieces: [Piece]) -> [Piece] {
        var scalars: [(scalar: Unicode.Scalar, takesOrigin: Bool)] = []
        scalars.reserveCapacity(pieces.count)
        for p in pieces {
            // Nothing below U+00C0 decomposes.
            guard p.scalar.value >= 0xC0, isInNFDTables(p.scalar) else { scalars.append((p.scalar, true)); continue }
            for (i, s) in String(p.scalar).decomposedStringWithCanonicalMapping.unicodeScalars.enumerated() {
                scalars.append((s, i == 0))
            }
        }
        func combiningClass(_ s: Unicode.Scalar) -> UInt8 {
            isInNFDTables(s) ? s.properties.canonicalCombiningClass.rawValue : 0
        }
        var start = 0
        while start < scalars.count {
            guard combiningClass(scalars[start].scalar) != 0 else { start += 1; continue }
            var end = start
            while end < scalars.count && combiningClass(scalars[end].scalar) != 0 { end += 1 }
            let run = scalars[start..<end].enumerated().sorted { a, b in
                let (ca, cb) = (combiningClass(a.element.scalar), combiningClass(b.element.scalar))
                return ca != cb ? ca < cb : a.offset < b.offset
            }
            scalars.replaceSubrange(start..<end, with: run.map(\.element))
            start = end
        }
        var next = 0, origin = 0  // the first scalar always takes an origin: sorting never moves one before it
        return scalars.map { s in
            if s.takesOrigin {
                origin = pieces[next].origin
                next += 1
            }
            return Piece(scalar: s.scalar, origin: origin)
        }
    }

    private static func isInNFDTables(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return (age.major, age.minor) <= (9, 0)
    }
}

private extension UInt8 {
    var lowercasedASCII: UInt8 { self >= 0x41 && self <= 0x5A ? self + 0x20 : self }
}
