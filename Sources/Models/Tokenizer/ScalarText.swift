/// The classes the pre-tokenizer patterns distinguish: `\p{L}` (general categories Lu Ll Lt Lm Lo), `\p{N}`
/// (Nd Nl No), `\s` (the Unicode White_Space property, which is what Oniguruma's `\s` matches in the Hugging
/// Face tokenizers), and everything else. Combining marks (Mn Mc Me) are "other", as in the regexes.
enum ScalarClass: UInt8, Sendable {
    case letter, number, space, other

    init(_ scalar: Unicode.Scalar) {
        let p = scalar.properties
        if p.isWhitespace { self = .space; return }
        // The Oniguruma in Hugging Face `tokenizers` (0.23) has Unicode 16.0 tables: scalars assigned later
        // (such as CJK Extension J) are unassigned there, so "other".
        if let age = p.age, age.major > 16 || (age.major == 16 && age.minor > 0) { self = .other; return }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
        case .decimalNumber, .letterNumber, .otherNumber: self = .number
        default: self = .other
        }
    }

    static let ascii: [ScalarClass] = (0..<128).map { ScalarClass(Unicode.Scalar(UInt8($0))) }
}

/// One run of UTF-8 text decoded to scalars, with each scalar's class and byte offset, so that the
/// pre-tokenizers can scan scalars and hand back byte ranges for byte-level BPE.
struct ScalarText {
    private(set) var values: [UInt32] = []
    private(set) var classes: [ScalarClass] = []
    /// `offsets[i]` is where scalar i starts; `offsets[count]` is the byte count.
    private(set) var offsets: [Int] = []

    var count: Int { values.count }

    /// `bytes` must be well-formed UTF-8 (it comes from a Swift string).
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        values.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        let ascii = ScalarClass.ascii
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            offsets.append(i)
            if b0 < 0x80 {
                values.append(b0)
                classes.append(ascii[Int(b0)])
                i += 1
                continue
            }
            var v: UInt32
            if b0 < 0xE0 {
                v = (b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
                i += 2
            } else if b0 < 0xF0 {
                v = (b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
                i += 3
            } else {
                v = (b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
                    | UInt32(bytes[i + 3] & 0x3F)
                i += 4
            }
            values.append(v)
            classes.append(ScalarClass(Unicode.Scalar(v)!))
        }
        offsets.append(bytes.count)
    }
}
