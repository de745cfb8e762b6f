/// The YAML that config files may use, and nothing more:
///
/// ```yaml
/// # comments, on their own line or after a value
/// learning-rate: 1e-5          # numbers: integers and decimals (YAML 1.2 core schema)
/// objective: remask            # plain strings
/// chat-template: "<|user|>"    # quoted strings: "double" (with \ escapes) or 'single' ('' for ')
/// shuffle: true                # booleans: true / false
/// datasets: [a.jsonl, b.jsonl] # inline lists of scalars
/// extra:                       # block lists of scalars
///   - c.jsonl
///   - d.jsonl
/// ```
///
/// A mapping of keys to scalars or lists of scalars, one key per line, starting in the first column.
/// Everything else YAML allows — nested mappings, inline maps, nested lists, anchors and aliases, tags,
/// multi-line scalars, several documents, null values — is rejected with the line and the reason.
enum YAMLSubset {
    /// One `key: value` setting with the line of its key.
    struct Entry: Equatable {
        let key: String
        let value: ConfigValue
        let line: Int
    }

    /// Parses `text`; `path` names the file in errors.
    static func parse(_ text: String, path: String) throws -> [Entry] {
        var entries: [Entry] = []
        var pendingList: (key: String, line: Int, items: [String])?
        var sawContent = false

        func finishList() throws {
            guard let list = pendingList else { return }
            guard !list.items.isEmpty else {
                throw ConfigFileError(path: path, line: list.line,
                                      "'\(list.key)' has no value (write it after the colon, or list items below it as '- item')")
            }
            entries.append(Entry(key: list.key, value: .list(list.items), line: list.line))
            pendingList = nil
        }

        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            func fail(_ reason: String) -> ConfigFileError { ConfigFileError(path: path, line: lineNumber, reason) }
            var line = Array(rawLine)
            if line.last == "\r" { line.removeLast() }
            let indent = line.prefix(while: { $0 == " " || $0 == "\t" })
            if indent.contains("\t") { throw fail("tabs cannot indent YAML; use spaces") }
            let body = Array(line.dropFirst(indent.count))
            if body.isEmpty || body.first == "#" { continue }
            let trimmed = String(body).trimmingTrailingSpaces()
            if trimmed == "---" && !sawContent { continue }
            if trimmed == "---" || trimmed == "..." { throw fail("several YAML documents in one file are not supported") }
            sawContent = true

            if body.first == "-" && (body.count == 1 || body[1] == " ") {
                guard pendingList != nil else {
                    throw fail("a list item must follow a 'key:' line with no value (top-level lists are not supported)")
                }
                var scanner = ValueScanner(Array(body.dropFirst()), fail: fail)
                pendingList!.items.append(try scanner.listItem())
                continue
            }
            if !indent.isEmpty {
                throw fail("unexpected indentation: nested mappings and multi-line values are not supported (keys start in the first column)")
            }
            try finishList()
            guard let colon = keyColon(in: body) else {
                throw fail("expected 'key: value', got '\(trimmed)'")
            }
            let key = String(body[..<colon])
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw fail("'\(key)' is not a setting name (letters, digits, '-', '_' and '.' only)")
            }
            var scanner = ValueScanner(Array(body.dropFirst(colon + 1)), fail: fail)
            if let value = try scanner.mappingValue() {
                entries.append(Entry(key: key, value: value, line: lineNumber))
            } else {
                pendingList = (key, lineNumber, [])
            }
        }
        try finishList()
        return entries
    }

    /// The colon that ends a key: the first one followed by a space or the end of the line.
    private static func keyColon(in body: [Character]) -> Int? {
        body.indices.first { body[$0] == ":" && ($0 + 1 == body.count || body[$0 + 1] == " ") }
    }
}

/// Reads the value part of one line: a scalar, an inline list, or nothing, then an optional comment.
private struct ValueScanner {
    private let chars: [Character]
    private var i = 0
    private let fail: (String) -> ConfigFileError

    init(_ chars: [Character], fail: @escaping (String) -> ConfigFileError) {
        self.chars = chars
        self.fail = fail
    }

    /// The value after `key:`; nil when the line ends (a block list follows).
    mutating func mappingValue() throws -> ConfigValue? {
        skipSpaces()
        guard let c = peek, c != "#" else { return nil }
        let value: ConfigValue
        switch c {
        case "[": value = .list(try inlineList())
        case "\"", "'": value = .string(try quoted())
        default: value = try resolve(try plain(stopAt: []))
        }
        try expectEnd()
        return value
    }

    /// The scalar after `- ` in a block list, as text.
    mutating func listItem() throws -> String {
        skipSpaces()
        guard let c = peek, c != "#" else { throw fail("empty list item") }
        if c == "-" && (i + 1 == chars.count || chars[i + 1] == " ") {
            throw fail("nested lists are not supported")
        }
        let item = try scalarText(stopAt: [])
        try expectEnd()
        return item
    }

    private var peek: Character? { i < chars.count ? chars[i] : nil }

    private mutating func skipSpaces() { while peek == " " { i += 1 } }

    /// Nothing but spaces and an optional comment may follow a value.
    private mutating func expectEnd() throws {
        skipSpaces()
        if let c = peek, c != "#" { throw fail("unexpected '\(String(chars[i...]))' after the value") }
    }

    /// `[a, "b", 3]`: scalars only.
    private mutating func inlineList() throws -> [String] {
        i += 1
        var items: [String] = []
        skipSpaces()
        if peek == "]" { i += 1; return items }
        while true {
            skipSpaces()
            guard let c = peek else { throw fail("inline list is missing its closing ']' (lists cannot span lines)") }
            if c == "[" || c == "{" { throw fail("inline lists may hold only scalars (nested lists and maps are not supported)") }
            if c == "," || c == "]" { throw fail("empty item in inline list") }
            items.append(try scalarText(stopAt: [",", "]"]))
            skipSpaces()
            switch peek {
            case ",": i += 1
            case "]": i += 1; return items
            default: throw fail("inline list is missing its closing ']' (lists cannot span lines)")
            }
        }
    }

    /// A quoted or plain scalar's text.
    private mutating func scalarText(stopAt stops: Set<Character>) throws -> String {
        if peek == "\"" || peek == "'" { return try quoted() }
        return try plain(stopAt: stops)
    }

    /// A plain (unquoted) scalar up to a comment, the end of the line or a stop character.
    private mutating func plain(stopAt stops: Set<Character>) throws -> String {
        let first = chars[i]
        switch first {
        case "&": throw fail("anchors (&) are not supported")
        case "*": throw fail("aliases (*) are not supported")
        case "!": throw fail("tags (!) are not supported")
        case "|", ">": throw fail("multi-line (block) scalars ('\(first)') are not supported; write the value on one line")
        case "{": throw fail("inline maps ({...}) are not supported")
        case "@", "`", "%": throw fail("'\(first)' cannot start a plain value; quote it")
        default: break
        }
        let start = i
        while let c = peek, !stops.contains(c), !(c == "#" && i > 0 && chars[i - 1] == " ") { i += 1 }
        let text = String(chars[start..<i]).trimmingTrailingSpaces()
        if stops.isEmpty, text.contains(": ") {
            throw fail("'\(text)' contains ': ' (nested mappings are not supported; quote the value if it is text)")
        }
        return text
    }

    /// A double-quoted (with escapes) or single-quoted string.
    private mutating func quoted() throws -> String {
        let quote = chars[i]
        i += 1
        var out = ""
        while let c = peek {
            i += 1
            if quote == "'" {
                if c == "'" {
                    if peek == "'" { out.append("'"); i += 1; continue }
                    return out
                }
                out.append(c)
            } else if c == "\"" {
                return out
            } else if c == "\\" {
                out.append(try escape())
            } else {
                out.append(c)
            }
        }
        throw fail("unterminated \(quote == "'" ? "single" : "double")-quoted string (strings cannot span lines)")
    }

    /// The character after a backslash in a double-quoted string.
    private mutating func escape() throws -> Character {
        guard let c = peek else { throw fail("unterminated escape at the end of the line") }
        i += 1
        switch c {
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "0": return "\0"
        case "\"", "\\", "/", " ": return c
        case "u":
            let hex = String(chars[i..<min(i + 4, chars.count)])
            guard hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                throw fail("'\\u' needs four hex digits of a valid character")
            }
            i += 4
            return Character(scalar)
        default: throw fail("unknown escape '\\\(c)' in a double-quoted string")
        }
    }

    /// A plain scalar's type by the YAML 1.2 core schema: booleans, integers, decimals, else a string.
    private func resolve(_ text: String) throws -> ConfigValue {
        switch text {
        case "null", "Null", "NULL", "~": throw fail("null values are not supported; leave the setting out to use its default")
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let i = Int(text) { return .int(i) }
        if text.wholeMatch(of: /[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?/) != nil, let d = Double(text) {
            return .double(d)
        }
        return .string(text)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
