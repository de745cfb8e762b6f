/// Jinja's filters, tests and the Python string methods chat templates call.
extension JinjaFilter {
    /// `value | filter(arguments)`; the parser has checked the argument count against `arity`.
    func apply(to value: JinjaValue, _ arguments: [JinjaValue]) throws(JinjaFailure) -> JinjaValue {
        switch self {
        case .trim: return .string(try pythonStrip(value.text, arguments.first, leading: true, trailing: true))
        case .length: return .int(try value.length())
        case .upper: return .string(value.text.uppercased())
        case .lower: return .string(value.text.lowercased())
        case .tojson: return .string(try value.json())
        case .default:
            // `default(x, true)` also replaces falsy values, not just undefined ones.
            let replacesFalsy = arguments.count > 1 && arguments[1].isTruthy
            guard value.isUndefined || (replacesFalsy && !value.isTruthy) else { return value }
            return arguments.first ?? .string("")
        }
    }
}

extension JinjaTest {
    /// `value is test`, with the meaning of Python's `isinstance` checks in Jinja's tests.
    func matches(_ value: JinjaValue) -> Bool {
        switch (self, value) {
        case (.defined, _): return !value.isUndefined
        case (.undefined, _): return value.isUndefined
        case (.number, _): return value.integer != nil
        case (.none, .none), (.string, .string), (.integer, .int), (.boolean, .bool), (.mapping, .dict),
             (.true, .bool(true)), (.false, .bool(false)):
            return true
        // Jinja's `Undefined` is iterable and has a length, so it passes these two.
        case (.iterable, .undefined), (.iterable, .string), (.iterable, .list), (.iterable, .dict),
             (.sequence, .undefined), (.sequence, .string), (.sequence, .list), (.sequence, .dict):
            return true
        default: return false
        }
    }
}

/// `receiver.name(arguments)` for the string methods chat templates use.
func callMethod(_ name: String, on receiver: JinjaValue, _ arguments: [JinjaValue]) throws(JinjaFailure) -> JinjaValue {
    guard case .string(let text) = receiver else {
        throw JinjaFailure("'\(receiver.typeName) object' has no method '\(name)'")
    }
    func expect(_ counts: ClosedRange<Int>) throws(JinjaFailure) {
        guard counts.contains(arguments.count) else {
            let expected = counts.count == 1 ? "exactly \(counts.upperBound)" : "at most \(counts.upperBound)"
            throw JinjaFailure("str.\(name)() takes \(expected) argument(s), \(arguments.count) given")
        }
    }
    func stringArgument() throws(JinjaFailure) -> String {
        guard case .string(let argument) = arguments[0] else {
            throw JinjaFailure("str.\(name)() argument must be str, not \(arguments[0].typeName)")
        }
        return argument
    }
    switch name {
    case "strip", "lstrip", "rstrip":
        try expect(0...1)
        return .string(try pythonStrip(text, arguments.first, leading: name != "rstrip", trailing: name != "lstrip"))
    case "startswith":
        try expect(1...1)
        return .bool(text.unicodeScalars.starts(with: try stringArgument().unicodeScalars))
    case "endswith":
        try expect(1...1)
        return .bool(text.unicodeScalars.reversed().starts(with: try stringArgument().unicodeScalars.reversed()))
    case "upper":
        try expect(0...0)
        return .string(text.uppercased())
    case "lower":
        try expect(0...0)
        return .string(text.lowercased())
    case "split":
        try expect(0...1)
        if arguments.isEmpty || arguments[0].isNone { return .list(pythonSplit(text).map(JinjaValue.string)) }
        return .list(try pythonSplit(text, separator: try stringArgument()).map(JinjaValue.string))
    default:
        throw JinjaFailure("'str object' has no method '\(name)'")
    }
}

/// Python's `str.strip(chars)`: `chars` none (or absent) strips whitespace.
private func pythonStrip(_ text: String, _ chars: JinjaValue?, leading: Bool, trailing: Bool)
    throws(JinjaFailure) -> String {
    let strips: (Unicode.Scalar) -> Bool
    switch chars {
    case nil, .none?: strips = isPythonWhitespace
    case .string(let set)?: strips = { set.unicodeScalars.contains($0) }
    case let other?: throw JinjaFailure("strip arg must be None or str, not \(other.typeName)")
    }
    var scalars = text.unicodeScalars[...]
    if leading { scalars = scalars.drop(while: strips) }
    if trailing { while let last = scalars.last, strips(last) { scalars = scalars.dropLast() } }
    return String(String.UnicodeScalarView(scalars))
}

/// Python's `str.split()`: runs of whitespace separate, and there are no empty parts.
private func pythonSplit(_ text: String) -> [String] {
    text.unicodeScalars.split(whereSeparator: isPythonWhitespace).map { String(String.UnicodeScalarView($0)) }
}

/// Python's `str.split(separator)`: every occurrence separates, so parts may be empty.
private func pythonSplit(_ text: String, separator: String) throws(JinjaFailure) -> [String] {
    let needle = Array(separator.unicodeScalars)
    guard !needle.isEmpty else { throw JinjaFailure("empty separator") }
    let scalars = Array(text.unicodeScalars)
    var parts: [String] = []
    var start = 0
    while let match = scalarRange(of: needle, in: scalars, from: start) {
        parts.append(String(String.UnicodeScalarView(scalars[start..<match.lowerBound])))
        start = match.upperBound
    }
    parts.append(String(String.UnicodeScalarView(scalars[start...])))
    return parts
}
