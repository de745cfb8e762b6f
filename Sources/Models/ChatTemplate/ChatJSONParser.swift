/// A JSON text that `ChatJSON(parsing:)` cannot read, with the UTF-8 offset where it went wrong.
public struct ChatJSONError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public let offset: Int

    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension ChatJSON {
    /// Arrays and objects nested deeper than this are refused, so that parsing (which recurses) cannot
    /// overflow the stack on hostile input.
    public static let maximumDepth = 128

    /// Parses JSON text (RFC 8259), keeping the order of object members.
    public init(parsing text: String) throws(ChatJSONError) {
        var parser = ChatJSONParser(bytes: Array(text.utf8))
        self = try parser.parseDocument()
    }
}

private struct ChatJSONParser {
    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(ChatJSONError) -> ChatJSON {
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected text after the value") }
        return value
    }

    private func error(_ message: String) -> ChatJSONError {
        ChatJSONError(message: message, offset: index)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func consume(_ literal: String) -> Bool {
        let expected = Array(literal.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else { return false }
        index += expected.count
        return true
    }

    private mutating func parseValue() throws(ChatJSONError) -> ChatJSON {
        skipWhitespace()
        guard index < bytes.count else { throw error("expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseContainer(isObject: true)
        case UInt8(ascii: "["): return try parseContainer(isObject: false)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t") where consume("true"): return .bool(true)
        case UInt8(ascii: "f") where consume("false"): return .bool(false)
        case UInt8(ascii: "n") where consume("null"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("expected a value")
        }
    }

    private mutating func parseContainer(isObject: Bool) throws(ChatJSONError) -> ChatJSON {
        guard depth < ChatJSON.maximumDepth else { throw error("nested too deeply") }
        depth += 1
        defer { depth -= 1 }
        index += 1
        let closer = UInt8(ascii: isObject ? "}" : "]")
        var items: [ChatJSON] = []
        var members: [ChatJSON.Member] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == closer {
            index += 1
            return isObject ? .object([]) : .array([])
        }
        while true {
            if isObject {
                skipWhitespace()
                guard index < bytes.count && bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try parseString()
                skipWhitespace()
                guard consume(":") else { throw error("expected ':'") }
                members.append(ChatJSON.Member(key, try parseValue()))
            } else {
                items.append(try parseValue())
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated \(isObject ? "object" : "array")") }
            if bytes[index] == closer {
                index += 1
                return isObject ? .object(members) : .array(items)
            }
            guard consume(",") else { throw error("expected ',' or '\(Character(Unicode.Scalar(closer)))'") }
        }
    }

    private mutating func parseString() throws(ChatJSONError) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flushRun() {
            scalars.append(contentsOf: String(decoding: bytes[runStart..<index], as: UTF8.self).unicodeScalars)
        }
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flushRun()
                index += 1
                return String(scalars)
            }
            guard byte >= 0x20 else { throw error("control character in string") }
            guard byte == UInt8(ascii: "\\") else { index += 1; continue }
            flushRun()
            index += 1
            guard index < bytes.count else { throw error("unterminated string") }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"): scalars.append(try parseUnicodeEscape())
            default: throw error("invalid escape")
            }
            runStart = index
        }
    }

    /// `\uXXXX`, with the `u` read; a surrogate pair makes one scalar, a lone surrogate becomes U+FFFD.
    private mutating func parseUnicodeEscape() throws(ChatJSONError) -> Unicode.Scalar {
        let first = try hexQuad()
        if (0xD800..<0xDC00).contains(first), consume("\\u") {
            let second = try hexQuad()
            if (0xDC00..<0xE000).contains(second) {
                return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)) ?? "\u{FFFD}"
            }
            index -= 6  // not a low surrogate: read it again as its own escape
            return "\u{FFFD}"
        }
        return Unicode.Scalar(first) ?? "\u{FFFD}"
    }

    private mutating func hexQuad() throws(ChatJSONError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte) - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte) - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte) - 55
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Integers that fit an Int stay integers, as in Python; anything with a fraction or exponent is a double.
    private mutating func parseNumber() throws(ChatJSONError) -> ChatJSON {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        guard digits() > 0 else { throw error("expected digits") }
        if bytes[integerStart] == UInt8(ascii: "0") && index - integerStart > 1 { throw error("leading zero in number") }
        var isInteger = true
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            isInteger = false
            guard digits() > 0 else { throw error("expected digits after '.'") }
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            isInteger = false
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard digits() > 0 else { throw error("expected exponent digits") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let value = Int(text) { return .int(value) }
        guard let value = Double(text) else { throw error("invalid number") }
        return .double(value)
    }
}
