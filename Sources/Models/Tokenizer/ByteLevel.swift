/// GPT-2's byte-level alphabet (`bytes_to_unicode`): every byte is written as one visible character, so that
/// vocabularies and merge lists can be stored as text. Printable Latin-1 bytes stand for themselves; the other
/// 68 bytes (controls, space, NBSP, soft hyphen) map to U+0100 upward in byte order, which is why a space reads
/// "Ġ" (U+0120) and a newline "Ċ" (U+010A).
enum ByteLevel {
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// Inverse of `scalarForByte`, indexed by scalar value (all of which are below 324); -1 where unmapped.
    private static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, s) in scalarForByte.enumerated() { table[Int(s.value)] = Int16(b) }
        return table
    }()

    /// The byte-level spelling of raw bytes.
    static func string<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(scalarForByte[Int(b)]) }
        return String(s)
    }

    /// The raw bytes a vocabulary entry stands for. An entry with a character outside the alphabet (an added
    /// token written as plain text, such as "<|im_start|>\n") stands for its own UTF-8, which is what Hugging
    /// Face's ByteLevel decoder does.
    static func bytes(of token: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for s in token.unicodeScalars {
            guard s.value < 324, byteForScalar[Int(s.value)] >= 0 else { return Array(token.utf8) }
            out.append(UInt8(byteForScalar[Int(s.value)]))
        }
        return out
    }
}
