import Foundation

/// The strings of a tokenizer.json's vocabulary and merges, spelled exactly as written. `JSONSerialization`
/// gives a dictionary keyed by `String`, where canonically equivalent keys are one key (Gemma's vocabulary has
/// 437 tokens canonically equivalent to others, such as "Å" precomposed and decomposed, and each must keep
/// its id); and swift-corelibs-foundation's drops a U+FEFF that starts a string (Gemma has a token "\u{FEFF}").
/// Both read the document the caller has already parsed with `JSONSerialization`, which reports any problem:
/// they give nil where the document does not have the expected shape.
enum ExactJSON {
    /// The entries of the object at `path` (keys from the root), each value as an integer when it is written
    /// as one.
    static func objectEntries(atPath path: [String], in data: Data) -> [(key: String, value: Int?)]? {
        var scanner = Scanner(bytes: [UInt8](data))
        guard scanner.seek(path[...]) else { return nil }
        return scanner.objectEntries()
    }

    /// The items of the array at `path`: each a `String`, a `[String]`, or nil for anything else.
    static func stringArrayItems(atPath path: [String], in data: Data) -> [Any?]? {
        var scanner = Scanner(bytes: [UInt8](data))
        guard scanner.seek(path[...]) else { return nil }
        return scanner.stringArrayItems()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0

        /// Moves to the value at `path`, descending through objects.
        mutating func seek(_ path: ArraySlice<String>) -> Bool {
            guard let key = path.first else { return true }
            skipSpace()
            guard peek == UInt8(ascii: "{") else { return false }
            i += 1
            while true {
                skipSpace()
                if peek == UInt8(ascii: "}") { return false }
                guard let name = string() else { return false }
                skipSpace()
                guard peek == UInt8(ascii: ":") else { return false }
                i += 1
                if name == key { return seek(path.dropFirst()) }
                guard skipValue() else { return false }
                skipSpace()
                guard peek == UInt8(ascii: ",") else { return false }
                i += 1
            }
        }

        mutating func objectEntries() -> [(key: String, value: Int?)]? {
            var found: [(key: String, value: Int?)] = []
            let done = list(open: "{", close: "}") { scanner in
                guard let key = scanner.string() else { return false }
                scanner.skipSpace()
                guard scanner.peek == UInt8(ascii: ":") else { return false }
                scanner.i += 1
                scanner.skipSpace()
                let start = scanner.i
                guard scanner.skipValue() else { return false }
                found.append((key, Int(String(decoding: scanner.bytes[start..<scanner.i], as: UTF8.self))))
                return true
            }
            return done ? found : nil
        }

        mutating func stringArrayItems() -> [Any?]? {
            var found: [Any?] = []
            let done = list(open: "[", close: "]") { scanner in
                let start = scanner.i
                if let s = scanner.string() {
                    found.append(s)
                    return true
                }
                var parts: [String] = []
                if scanner.list(open: "[", close: "]", { inner in
                    guard let s = inner.string() else { return false }
                    parts.append(s)
                    return true
                }) {
                    found.append(parts)
                    return true
                }
                scanner.i = start
                found.append(nil)
                return scanner.skipValue()
            }
            return done ? found : nil
        }

        /// A bracketed, comma-separated list whose elements `element` reads (false: malformed).
        mutating func list(open: Unicode.Scalar, close: Unicode.Scalar, _ element: (inout Scanner) -> Bool) -> Bool {
            skipSpace()
            guard peek == UInt8(ascii: open) else { return false }
            i += 1
            skipSpace()
            if peek == UInt8(ascii: close) {
                i += 1
                return true
            }
            while true {
                skipSpace()
                guard element(&self) else { return false }
                skipSpace()
                guard let next = peek else { return false }
                i += 1
                if next == UInt8(ascii: close) { return true }
                guard next == UInt8(ascii: ",") else { return false }
            }
        }

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func skipSpace() {
            while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 }
        }

        /// Skips one value of any kind; false on malformed input.
        mutating func skipValue() -> Bool {
            skipSpace()
            guard let c = peek else { return false }
            switch c {
            case UInt8(ascii: "\""):
                return string() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                // Brackets are counted outside strings only; the caller's own parse has validated nesting.
                var depth = 0
                while let d = peek {
                    if d == UInt8(ascii: "\"") {
                        guard string() != nil else { return false }
                        continue
                    }
                    i += 1
                    if d == UInt8(ascii: "{") || d == UInt8(ascii: "[") { depth += 1 }
                    if d == UInt8(ascii: "}") || d == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 { return true }
                    }
                }
                return false
            default:
                // A number or a literal: up to the next delimiter.
                let start = i
                while let d = peek, d != UInt8(ascii: ","), d != UInt8(ascii: "}"), d != UInt8(ascii: "]"),
                      d != 0x20, d != 0x0A, d != 0x0D, d != 0x09 { i += 1 }
                return i > start
            }
        }

        /// A string literal, unescaped; nil when malformed.
        mutating func string() -> String? {
            guard peek == UInt8(ascii: "\"") else { return nil }
            i += 1
            var out: [UInt8] = []
            while let c = peek {
                i += 1
                switch c {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let e = peek else { return nil }
                    i += 1
                    switch e {
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let unit = hex4() else { return nil }
                        var scalar = Unicode.Scalar(unit)
                        if (0xD800..<0xDC00).contains(unit), peek == UInt8(ascii: "\\"), i + 1 < bytes.count,
                           bytes[i + 1] == UInt8(ascii: "u") {
                            i += 2
                            guard let low = hex4() else { return nil }
                            if (0xDC00..<0xE000).contains(low) {
                                scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                            } else {
                                out += Array("\u{FFFD}".utf8)  // a lone high surrogate; the next escape stands alone
                                scalar = Unicode.Scalar(low)
                            }
                        }
                        out += Array(String(scalar ?? "\u{FFFD}").utf8)
                    default: out.append(e)
                    }
                default:
                    out.append(c)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else { return nil }
            i += 4
            return v
        }
    }
}
