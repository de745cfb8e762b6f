/// The filters a template may use (`value | name`); unknown names are rejected at parse time.
enum JinjaFilter: String, Sendable {
    case trim, length, upper, lower, capitalize, title, tojson, `default`, items, join, first, last, string, list
    case reverse, select, reject, selectattr, rejectattr, map, replace, int, safe, indent

    init?(name: String) {
        switch name {
        case "count": self = .length
        case "d": self = .default
        default: self.init(rawValue: name)
        }
    }

    /// The parameter names, for binding positional and keyword arguments; nil for the filters that take a
    /// test or filter name and then any arguments for it.
    var parameters: [String]? {
        switch self {
        case .trim: ["chars"]
        case .length, .upper, .lower, .capitalize, .title, .items, .first, .last, .string, .list, .reverse, .safe: []
        case .tojson: ["ensure_ascii", "indent", "separators", "sort_keys"]
        case .default: ["default_value", "boolean"]
        case .join: ["d", "attribute"]
        case .replace: ["old", "new", "count"]
        case .int: ["default", "base"]
        case .indent: ["width", "first", "blank"]
        case .select, .reject, .selectattr, .rejectattr, .map: nil
        }
    }

    /// The keyword arguments a filter without fixed `parameters` accepts.
    var variadicKeywords: [String] {
        self == .map ? ["attribute", "default"] : []
    }
}

extension JinjaFilter {
    /// `value | filter(arguments)`.
    func apply(to value: JinjaValue, _ arguments: JinjaArguments) throws(JinjaFailure) -> JinjaValue {
        guard let parameters else { return try applyVariadic(to: value, arguments) }
        let bound = try arguments.bind(parameters, function: rawValue)
        switch self {
        case .trim: return .string(try pythonStrip(value.text, bound[0], leading: true, trailing: true))
        case .length: return .int(try value.length())
        case .upper: return .string(value.text.uppercased())
        case .lower: return .string(value.text.lowercased())
        case .capitalize: return .string(pythonCapitalize(value.text))
        case .title: return .string(jinjaTitle(value.text))
        case .tojson: return .string(try value.json(try jsonStyle(bound)))
        case .default:
            // `default(x, true)` also replaces falsy values, not just undefined ones.
            let replacesFalsy = bound[1]?.isTruthy ?? false
            guard value.isUndefined || (replacesFalsy && !value.isTruthy) else { return value }
            return bound[0] ?? .string("")
        case .items:
            switch value {
            case .undefined: return .list([])
            case .dict(let dict): return .list(dict.entries.map { .list([.string($0.key), $0.value]) })
            default: throw JinjaFailure("Can only get item pairs from a mapping.")
            }
        case .join:
            let separator = bound[0]?.text ?? ""
            var joined = ""
            for (index, item) in try value.iterated().enumerated() {
                if index > 0 { joined += separator }
                joined += (bound[1].map { item.attributePath($0.text) } ?? item).text
                // Checked as it grows: a list may repeat one long string a million times.
                guard joined.utf8.count <= JinjaValue.maximumValueLength else { throw JinjaFailure("join result is too large") }
            }
            return .string(joined)
        case .first: return try value.iterated().first ?? .undefined("No first item, sequence was empty.")
        case .last: return try value.iterated().last ?? .undefined("No last item, sequence was empty.")
        case .string: return .string(value.text)
        case .list: return .list(try value.iterated())
        case .reverse:
            if case .string(let text) = value { return .string(String(String.UnicodeScalarView(text.unicodeScalars.reversed()))) }
            return .list(try value.iterated().reversed())
        case .replace:
            guard case .string(let old)? = bound[0], case .string(let new)? = bound[1] else {
                throw JinjaFailure("replace() takes two strings")
            }
            return .string(try pythonReplace(value.text, old, new, count: bound[2]?.integer ?? -1))
        case .int: return pythonInt(value, base: bound[1]?.integer ?? 10) ?? bound[0] ?? .int(0)
        case .safe: return value
        case .indent:
            let width = bound[0] ?? .int(4)
            let indentation = width.integer.map { String(repeating: " ", count: max(0, min($0, 1000))) } ?? width.text
            return .string(try jinjaIndent(value.text, indentation, first: bound[1]?.isTruthy ?? false,
                                           blank: bound[2]?.isTruthy ?? false))
        case .select, .reject, .selectattr, .rejectattr, .map: return value  // variadic: handled above
        }
    }

    private func jsonStyle(_ bound: [JinjaValue?]) throws(JinjaFailure) -> JinjaJSONStyle {
        if bound[0]?.isTruthy == true { throw JinjaFailure("tojson(ensure_ascii=true) is not supported") }
        var indent: Int?
        switch bound[1] {
        case nil, .none?: break
        case let value?:
            guard let spaces = value.integer else { throw JinjaFailure("tojson indent must be an integer") }
            indent = max(0, spaces)
        }
        var style = JinjaJSONStyle(indent: indent)
        switch bound[2] {
        case nil, .none?: break
        case .list(let pair)? where pair.count == 2:
            guard case .string(let item) = pair[0], case .string(let key) = pair[1] else {
                throw JinjaFailure("tojson separators must be two strings")
            }
            (style.itemSeparator, style.keySeparator) = (item, key)
        default: throw JinjaFailure("tojson separators must be two strings")
        }
        style.sortKeys = bound[3]?.isTruthy ?? false
        return style
    }

    /// `select(test, argument)`, `selectattr(attribute, test, argument)`, their `reject` forms, and
    /// `map(filter, arguments)` or `map(attribute=name, default=value)`.
    private func applyVariadic(to value: JinjaValue, _ arguments: JinjaArguments) throws(JinjaFailure) -> JinjaValue {
        let items = try value.iterated()
        let positional = arguments.positional
        if self == .map {
            let named = try JinjaArguments(keywords: arguments.keywords).bind(["attribute", "default"], function: "map")
            if let attribute = named[0] {
                guard positional.isEmpty else { throw JinjaFailure("map() takes no positional arguments with attribute=") }
                return .list(items.map { item in
                    let found = item.attributePath(attribute.text)
                    return found.isUndefined ? named[1] ?? found : found
                })
            }
            guard case .string(let name)? = positional.first, let filter = JinjaFilter(name: name), filter != .map else {
                throw JinjaFailure("map() needs a filter name or attribute=")
            }
            let rest = JinjaArguments(positional: Array(positional.dropFirst()))
            var mapped: [JinjaValue] = []
            for item in items { mapped.append(try filter.apply(to: item, rest)) }
            return .list(mapped)
        }
        _ = try arguments.positionalOnly(function: rawValue)
        let byAttribute = self == .selectattr || self == .rejectattr
        var remaining = positional[...]
        var attribute: String?
        if byAttribute {
            guard case .string(let name)? = remaining.popFirst() else { throw JinjaFailure("\(rawValue)() needs an attribute name") }
            attribute = name
        }
        var test: JinjaTest?
        if let testName = remaining.popFirst() {
            guard case .string(let name) = testName, let found = JinjaTest(name: name) else {
                throw JinjaFailure("no test named \(testName.repr)")
            }
            test = found
        }
        let testArgument = remaining.popFirst()
        guard remaining.isEmpty else { throw JinjaFailure("\(rawValue)() got too many arguments") }
        let keeps = self == .select || self == .selectattr
        var kept: [JinjaValue] = []
        for item in items {
            let subject = attribute.map { item.attributePath($0) } ?? item
            let passes = try test.map { test throws(JinjaFailure) in try test.matches(subject, testArgument) } ?? subject.isTruthy
            if passes == keeps { kept.append(item) }
        }
        return .list(kept)
    }
}

extension JinjaValue {
    /// `attribute` of this value, where dots go deeper (`map(attribute='function.name')`), as Jinja's filters do.
    func attributePath(_ path: String) -> JinjaValue {
        var value = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            if value.isUndefined { return value }
            value = Int(part).map { value.item(.int($0)) } ?? value.attribute(String(part))
        }
        return value
    }
}

/// Python's `str.capitalize()`: the first character upper-case, the rest lower-case.
func pythonCapitalize(_ text: String) -> String {
    guard let first = text.unicodeScalars.first else { return text }
    return String(first).uppercased() + String(String.UnicodeScalarView(text.unicodeScalars.dropFirst())).lowercased()
}

/// Jinja's `title` filter: each word capitalized, where words start after whitespace, `-`, `(`, `{`, `[` or `<`.
private func jinjaTitle(_ text: String) -> String {
    var result = ""
    var word = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        if isPythonWhitespace(scalar) || "-({[<".unicodeScalars.contains(scalar) {
            result += pythonCapitalize(String(word))
            result.unicodeScalars.append(scalar)
            word = String.UnicodeScalarView()
        } else {
            word.append(scalar)
        }
    }
    return result + pythonCapitalize(String(word))
}

/// Jinja's `indent` filter: every line after the first (and the first too with `first`) gets `indentation`,
/// except empty lines unless `blank`. Lines end as Python's `str.splitlines()` ends them.
private func jinjaIndent(_ text: String, _ indentation: String, first: Bool, blank: Bool) throws(JinjaFailure) -> String {
    let lines = pythonSplitLines(text + "\n")
    var result = first ? indentation : ""
    for (index, line) in lines.enumerated() {
        if index > 0 { result += "\n" + (blank || !line.isEmpty ? indentation : "") }
        result += line
        guard result.utf8.count <= JinjaValue.maximumValueLength else { throw JinjaFailure("indent result is too large") }
    }
    return result
}

/// Python's `str.splitlines()`: the parts between line boundaries (`\r\n` counts as one), without a last
/// empty part.
private func pythonSplitLines(_ text: String) -> [String] {
    let boundaries: Set<Unicode.Scalar> = ["\n", "\r", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}", "\u{2028}", "\u{2029}"]
    var lines: [String] = []
    var line = String.UnicodeScalarView()
    var previousWasCR = false
    for scalar in text.unicodeScalars {
        defer { previousWasCR = scalar == "\r" }
        if scalar == "\n" && previousWasCR { continue }
        if boundaries.contains(scalar) {
            lines.append(String(line))
            line = String.UnicodeScalarView()
        } else {
            line.append(scalar)
        }
    }
    if !line.isEmpty { lines.append(String(line)) }
    return lines
}

/// Jinja's `int` filter: ints and bools as they are, floats truncated, strings parsed (in `base`, or as a
/// float); nil when the value is not a number, for the filter's default.
private func pythonInt(_ value: JinjaValue, base: Int) -> JinjaValue? {
    switch value {
    case .int, .bool: return value.integer.map(JinjaValue.int)
    case .float(let number): return number.isFinite && Swift.abs(number) < 9.2e18 ? .int(Int(number)) : nil
    case .string(let text):
        guard let stripped = try? pythonStrip(text, nil, leading: true, trailing: true) else { return nil }
        let trimmed = String(stripped.filter { $0 != "_" })
        if (2...36).contains(base), let parsed = Int(trimmed, radix: base) { return .int(parsed) }
        if let number = Double(trimmed), number.isFinite, Swift.abs(number) < 9.2e18 { return .int(Int(number)) }
        return nil
    default: return nil
    }
}
