/// The Python methods chat templates call on strings and dicts, and the Python string operations behind them.

/// `receiver.name(arguments)` for the string and dict methods chat templates use.
func callMethod(_ name: String, on receiver: JinjaValue, _ keywordArguments: JinjaArguments) throws(JinjaFailure)
    -> JinjaValue {
    let arguments = try keywordArguments.positionalOnly(function: name)
    if case .dict(let dict) = receiver { return try callDictMethod(name, on: dict, arguments) }
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
    case "replace":
        try expect(2...3)
        guard case .string(let new) = arguments[1] else { throw JinjaFailure("replace() argument 2 must be str") }
        return .string(try pythonReplace(text, try stringArgument(), new, count: arguments.count > 2 ? arguments[2].integer ?? -1 : -1))
    case "capitalize":
        try expect(0...0)
        return .string(pythonCapitalize(text))
    case "title":
        try expect(0...0)
        return .string(pythonTitle(text))
    case "find":
        try expect(1...1)
        let haystack = Array(text.unicodeScalars)
        return .int(scalarRange(of: Array(try stringArgument().unicodeScalars), in: haystack, from: 0)?.lowerBound ?? -1)
    case "join":
        try expect(1...1)
        var joined = ""
        for (index, item) in try arguments[0].iterated().enumerated() {
            guard case .string(let part) = item else { throw JinjaFailure("sequence item \(index): expected str instance, \(item.typeName) found") }
            if index > 0 { joined += text }
            joined += part
            guard joined.utf8.count <= JinjaValue.maximumValueLength else { throw JinjaFailure("join result is too large") }
        }
        return .string(joined)
    default:
        throw JinjaFailure("'str object' has no method '\(name)'")
    }
}

/// `dict.get(key, default)`, `dict.items()`, `dict.keys()`, `dict.values()`.
private func callDictMethod(_ name: String, on dict: JinjaDict, _ arguments: [JinjaValue]) throws(JinjaFailure) -> JinjaValue {
    let counts: ClosedRange<Int> = name == "get" ? 1...2 : 0...0
    guard counts.contains(arguments.count) else {
        throw JinjaFailure("dict.\(name)() takes \(counts.upperBound == 0 ? "no" : "1 or 2") argument(s), \(arguments.count) given")
    }
    switch name {
    case "get":
        guard case .string(let key) = arguments[0] else { return arguments.count > 1 ? arguments[1] : .none }
        return dict[key] ?? (arguments.count > 1 ? arguments[1] : .none)
    case "items": return .list(dict.entries.map { .list([.string($0.key), $0.value]) })
    case "keys": return .list(dict.entries.map { .string($0.key) })
    case "values": return .list(dict.entries.map(\.value))
    default: throw JinjaFailure("'dict object' has no method '\(name)'")
    }
}

/// Python's `str.title()`: a letter after a letter is lower-case, any other letter upper-case.
private func pythonTitle(_ text: String) -> String {
    var result = ""
    var previousIsLetter = false
    for scalar in text.unicodeScalars {
        let isLetter = scalar.properties.isAlphabetic
        result += isLetter ? (previousIsLetter ? String(scalar).lowercased() : String(scalar).uppercased()) : String(scalar)
        previousIsLetter = isLetter
    }
    return result
}

/// Python's `str.replace(old, new, count)`: a negative count replaces all; an empty `old` matches between
/// every two characters.
func pythonReplace(_ text: String, _ old: String, _ new: String, count: Int) throws(JinjaFailure) -> String {
    let haystack = Array(text.unicodeScalars), needle = Array(old.unicodeScalars), replacement = Array(new.unicodeScalars)
    // Checked as it grows: an empty `old` could make it huge.
    var result: [Unicode.Scalar] = []
    var replaced = 0
    func append<S: Collection<Unicode.Scalar>>(_ scalars: S) throws(JinjaFailure) {
        guard result.count + scalars.count <= JinjaValue.maximumValueLength else { throw JinjaFailure("replace result is too large") }
        result.append(contentsOf: scalars)
    }
    func replaces() -> Bool { count < 0 || replaced < count }
    var start = 0
    if needle.isEmpty {
        for scalar in haystack {
            if replaces() { try append(replacement); replaced += 1 }
            try append(CollectionOfOne(scalar))
        }
        if replaces() { try append(replacement) }
    } else {
        while replaces(), let match = scalarRange(of: needle, in: haystack, from: start) {
            try append(haystack[start..<match.lowerBound])
            try append(replacement)
            start = match.upperBound
            replaced += 1
        }
        try append(haystack[start...])
    }
    let replacedText = String(String.UnicodeScalarView(result))
    guard replacedText.utf8.count <= JinjaValue.maximumValueLength else { throw JinjaFailure("replace result is too large") }
    return replacedText
}

/// Python's `str.strip(chars)`: `chars` none (or absent) strips whitespace.
func pythonStrip(_ text: String, _ chars: JinjaValue?, leading: Bool, trailing: Bool)
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
