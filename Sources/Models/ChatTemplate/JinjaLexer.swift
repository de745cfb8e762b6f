/// One lexical token of a Jinja template: literal text between tags, tag delimiters, and the expression
/// tokens inside tags. Comments never become tokens.
struct JinjaToken: Sendable {
    enum Kind: Equatable, Sendable {
        case text(String)
        case variableStart, variableEnd  // {{ }}
        case blockStart, blockEnd  // {% %}
        case name(String)
        case string(String)
        case integer(Int)
        case symbol(String)
        case endOfInput
    }

    let kind: Kind
    let position: SourcePosition
}

/// Splits a template into tokens, applying whitespace control the way Hugging Face's Jinja environment
/// does (`trim_blocks=True, lstrip_blocks=True`, `keep_trailing_newline=False`):
/// - `trim_blocks`: the first newline after a `%}` or `#}` is dropped;
/// - `lstrip_blocks`: whitespace between the start of a line and a `{%` or `{#` is dropped;
/// - `{%-`, `{{-`, `{#-` strip all whitespace before the tag, `-%}`, `-}}`, `-#}` all whitespace after;
/// - `{%+` and `+%}` turn `lstrip_blocks` and `trim_blocks` off for that tag;
/// - `\r\n` and `\r` become `\n`, and one trailing newline of the template is dropped.
struct JinjaLexer {
    private let scalars: [Unicode.Scalar]
    /// Offsets of the first scalar of each line, for turning offsets into positions.
    private let lineStarts: [Int]
    private var index = 0
    private var tokens: [JinjaToken] = []

    static func tokenize(_ source: String) throws(ChatTemplateError) -> [JinjaToken] {
        var lexer = JinjaLexer(source)
        try lexer.run()
        lexer.emit(.endOfInput, at: lexer.scalars.count)
        return lexer.tokens
    }

    private init(_ source: String) {
        var normalized = Array(source.unicodeScalars)
        if normalized.contains("\r") {
            var previousWasCR = false
            normalized = normalized.compactMap { scalar in
                defer { previousWasCR = scalar == "\r" }
                if scalar == "\n" && previousWasCR { return nil }
                return scalar == "\r" ? "\n" : scalar
            }
        }
        if normalized.last == "\n" { normalized.removeLast() }
        scalars = normalized
        lineStarts = [0] + normalized.indices.filter { normalized[$0] == "\n" }.map { $0 + 1 }
    }

    private func position(_ offset: Int) -> SourcePosition {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return SourcePosition(line: low + 1, column: offset - lineStarts[low] + 1)
    }

    private func error(_ message: String, at offset: Int) -> ChatTemplateError {
        ChatTemplateError(.syntax, message, at: position(offset))
    }

    private static func isTagOpener(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "{" || scalar == "%" || scalar == "#"
    }

    /// Whether the two scalars at `offset` are `first` and `second`.
    private func has(_ first: Unicode.Scalar, _ second: Unicode.Scalar, at offset: Int) -> Bool {
        offset + 1 < scalars.count && scalars[offset] == first && scalars[offset + 1] == second
    }

    private mutating func emit(_ kind: JinjaToken.Kind, at offset: Int) {
        tokens.append(JinjaToken(kind: kind, position: position(offset)))
    }

    private mutating func run() throws(ChatTemplateError) {
        // Whether the previous tag ended at the start of a line: lstrip_blocks then also applies to a tag
        // whose preceding text has no newline.
        var lineStarting = true
        while index < scalars.count {
            let textStart = index
            var tagStart = index
            while tagStart + 1 < scalars.count && !(scalars[tagStart] == "{" && Self.isTagOpener(scalars[tagStart + 1])) {
                tagStart += 1
            }
            guard tagStart + 1 < scalars.count else {
                emitText(textStart..<scalars.count)
                return
            }
            let opener = scalars[tagStart + 1]
            let sign = tagStart + 2 < scalars.count && (scalars[tagStart + 2] == "-" || scalars[tagStart + 2] == "+")
                ? scalars[tagStart + 2] : nil
            var textEnd = tagStart
            if sign == "-" {
                while textEnd > textStart && isPythonWhitespace(scalars[textEnd - 1]) { textEnd -= 1 }
            } else if sign != "+" && opener != "{" {
                var lineStart = textEnd
                while lineStart > textStart && scalars[lineStart - 1] != "\n" { lineStart -= 1 }
                if (lineStart > textStart || lineStarting)
                    && scalars[lineStart..<textEnd].allSatisfy(isPythonWhitespace) {
                    textEnd = lineStart
                }
            }
            emitText(textStart..<textEnd)
            index = tagStart + 2 + (sign == nil ? 0 : 1)
            switch opener {
            case "#": try skipComment(openedAt: tagStart)
            case "%": try lexTag(openedAt: tagStart, isBlock: true)
            default: try lexTag(openedAt: tagStart, isBlock: false)
            }
            lineStarting = scalars[index - 1] == "\n"
        }
    }

    private mutating func emitText(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        emit(.text(text(range)), at: range.lowerBound)
    }

    /// Applies the whitespace control of a tag's closing delimiter, with `index` just past it.
    private mutating func trimAfterTag(sign: Unicode.Scalar?, isBlock: Bool) {
        if sign == "-" {
            while index < scalars.count && isPythonWhitespace(scalars[index]) { index += 1 }
        } else if sign != "+" && isBlock && index < scalars.count && scalars[index] == "\n" {
            index += 1
        }
    }

    private mutating func skipComment(openedAt start: Int) throws(ChatTemplateError) {
        var end = index
        while end + 1 < scalars.count && !(scalars[end] == "#" && scalars[end + 1] == "}") { end += 1 }
        guard end + 1 < scalars.count else { throw error("missing '#}' to close the comment", at: start) }
        let sign = end > index && (scalars[end - 1] == "-" || scalars[end - 1] == "+") ? scalars[end - 1] : nil
        index = end + 2
        trimAfterTag(sign: sign, isBlock: true)
    }

    /// Lexes the expression tokens of a `{{ }}` or `{% %}` tag up to its closing delimiter. A closing
    /// delimiter inside brackets is read as brackets, as Jinja does (`{{ {'a': {'b': 1}} }}`).
    private mutating func lexTag(openedAt start: Int, isBlock: Bool) throws(ChatTemplateError) {
        emit(isBlock ? .blockStart : .variableStart, at: start)
        let closer: (Unicode.Scalar, Unicode.Scalar) = isBlock ? ("%", "}") : ("}", "}")
        var openBrackets: [String] = []  // the closing symbols expected, innermost last
        while true {
            guard index < scalars.count else {
                throw error("missing '\(closer.0)\(closer.1)' to close '{\(isBlock ? "%" : "{")'", at: start)
            }
            if openBrackets.isEmpty {
                let sign = scalars[index] == "-" || (isBlock && scalars[index] == "+") ? scalars[index] : nil
                let closerStart = sign == nil ? index : index + 1
                if has(closer.0, closer.1, at: closerStart) {
                    emit(isBlock ? .blockEnd : .variableEnd, at: index)
                    index = closerStart + 2
                    trimAfterTag(sign: sign, isBlock: isBlock)
                    return
                }
            }
            let scalar = scalars[index]
            if isPythonWhitespace(scalar) {
                index += 1
            } else if ("0"..."9").contains(scalar) {
                try lexInteger()
            } else if scalar == "_" || scalar.properties.isXIDStart {
                let nameStart = index
                while index < scalars.count && (scalars[index] == "_" || scalars[index].properties.isXIDContinue) {
                    index += 1
                }
                emit(.name(text(nameStart..<index)), at: nameStart)
            } else if scalar == "'" || scalar == "\"" {
                try lexString()
            } else if let symbol = symbol(at: index) {
                switch symbol {
                case "(": openBrackets.append(")")
                case "[": openBrackets.append("]")
                case "{": openBrackets.append("}")
                case ")", "]", "}":
                    let expected = openBrackets.popLast()
                    guard expected == symbol else {
                        throw error("unexpected '\(symbol)'" + (expected.map { ", expected '\($0)'" } ?? ""), at: index)
                    }
                default: break
                }
                emit(.symbol(symbol), at: index)
                index += symbol.unicodeScalars.count
            } else {
                throw error("unexpected character '\(scalar)'", at: index)
            }
        }
    }

    private static let oneCharacterSymbols = Set("+-*%~[](){}<>=.:|,".unicodeScalars)

    /// The operator or punctuation at `offset`, preferring the two-character ones (`//`, `==`, `!=`, `<=`, `>=`).
    private func symbol(at offset: Int) -> String? {
        let scalar = scalars[offset]
        if has("/", "/", at: offset) || (["=", "!", "<", ">"].contains(scalar) && has(scalar, "=", at: offset)) {
            return String(scalar) + String(scalars[offset + 1])
        }
        return Self.oneCharacterSymbols.contains(scalar) ? String(scalar) : nil
    }

    private func text(_ range: Range<Int>) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(range.count)
        for scalar in scalars[range] { UTF8.encode(scalar) { utf8.append($0) } }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Decimal integers, with `_` allowed between digits as in Python.
    private mutating func lexInteger() throws(ChatTemplateError) {
        let start = index
        if scalars[index] == "0" && index + 1 < scalars.count && ("1"..."9").contains(scalars[index + 1]) {
            throw error("integers cannot have leading zeros", at: start)
        }
        var value = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if ("0"..."9").contains(scalar) {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int(scalar.value - 48))
                guard !overflow1 && !overflow2 else { throw error("integer literal is too large", at: start) }
                value = sum
            } else if !(scalar == "_" && index + 1 < scalars.count && ("0"..."9").contains(scalars[index + 1])) {
                break
            }
            index += 1
        }
        if isFloatContinuation(at: index) { throw error("floating-point numbers are not supported", at: start) }
        emit(.integer(value), at: start)
    }

    /// Whether an integer ending at `offset` continues as a float: `.5`, `e5`, `e+5`, `e-5`.
    private func isFloatContinuation(at offset: Int) -> Bool {
        func isDigit(_ offset: Int) -> Bool { offset < scalars.count && ("0"..."9").contains(scalars[offset]) }
        guard offset < scalars.count else { return false }
        switch scalars[offset] {
        case ".": return isDigit(offset + 1)
        case "e", "E":
            let hasSign = offset + 1 < scalars.count && (scalars[offset + 1] == "+" || scalars[offset + 1] == "-")
            return isDigit(offset + (hasSign ? 2 : 1))
        default: return false
        }
    }

    private mutating func lexString() throws(ChatTemplateError) {
        let start = index
        let quote = scalars[index]
        index += 1
        var value = String.UnicodeScalarView()
        while true {
            guard index < scalars.count else { throw error("unterminated string literal", at: start) }
            let scalar = scalars[index]
            index += 1
            if scalar == quote { break }
            if scalar != "\\" { value.append(scalar); continue }
            guard index < scalars.count else { throw error("unterminated string literal", at: start) }
            let escapeStart = index - 1
            let escaped = scalars[index]
            index += 1
            switch escaped {
            case "\n": break  // a backslash before a line break continues the line
            case "\\", "'", "\"": value.append(escaped)
            case "n": value.append("\n")
            case "t": value.append("\t")
            case "r": value.append("\r")
            case "a": value.append("\u{07}")
            case "b": value.append("\u{08}")
            case "f": value.append("\u{0C}")
            case "v": value.append("\u{0B}")
            case "0"..."7", "x", "u", "U":
                let code = try escapeCode(escaped, startingAt: escapeStart)
                guard let decoded = Unicode.Scalar(code) else {
                    throw error("invalid \\\(escaped) escape", at: escapeStart)
                }
                value.append(decoded)
            default:  // Python keeps unknown escapes as written
                value.append("\\")
                value.append(escaped)
            }
        }
        emit(.string(String(value)), at: start)
    }

    /// Reads the code of an octal (`\101`, up to three digits) or hex (`\x41`, `\u0041`, `\U00000041`) escape
    /// whose first character after the backslash is `escaped`, with `index` just past that character.
    private mutating func escapeCode(_ escaped: Unicode.Scalar, startingAt escapeStart: Int)
        throws(ChatTemplateError) -> UInt32 {
        if ("0"..."7").contains(escaped) {
            var code = escaped.value - 48
            var digits = 1
            while digits < 3 && index < scalars.count && ("0"..."7").contains(scalars[index]) {
                code = code * 8 + scalars[index].value - 48
                index += 1
                digits += 1
            }
            return code
        }
        var code: UInt32 = 0
        for _ in 0..<(escaped == "x" ? 2 : escaped == "u" ? 4 : 8) {
            guard index < scalars.count, let digit = hexValue(scalars[index]) else {
                throw error("truncated \\\(escaped) escape", at: escapeStart)
            }
            code = code << 4 | digit
            index += 1
        }
        return code
    }
}

private func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
    switch scalar {
    case "0"..."9": scalar.value - 48
    case "a"..."f": scalar.value - 87
    case "A"..."F": scalar.value - 55
    default: nil
    }
}

/// Python's `str.isspace()`, which is what `\s`, `strip()` and `split()` use in Jinja and in templates.
func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    guard scalar.isASCII else { return scalar.properties.isWhitespace }
    return scalar == " " || (0x09...0x0D).contains(scalar.value) || (0x1C...0x1F).contains(scalar.value)
}
