import Core

/// A value while rendering a template. Jinja runs templates on Python objects, so values follow Python:
/// `str()` of a list shows its `repr`, `True` prints capitalized, `1 == true`, strings index by code point.
enum JinjaValue: Sendable {
    /// A missing variable, attribute or item, as Jinja's default `Undefined`: it renders as "", is false,
    /// iterates as empty and has length 0, but arithmetic, attribute access or ordering on it is an error,
    /// reported with the message carried here (e.g. `'x' is undefined`).
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    /// Only from JSON data (tool definitions, tool-call arguments): templates have no float literals.
    case float(Double)
    case string(String)
    case list([JinjaValue])
    case dict(JinjaDict)
    /// What `namespace()` makes: the one mutable value, shared by every variable that holds it.
    case namespace(JinjaNamespace)
    /// A global function or a macro.
    case function(JinjaFunction)

    var isUndefined: Bool {
        if case .undefined = self { true } else { false }
    }

    var isNone: Bool {
        if case .none = self { true } else { false }
    }

    /// Python's truth value.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let value): value
        case .int(let value): value != 0
        case .float(let value): value != 0
        case .string(let value): !value.isEmpty
        case .list(let items): !items.isEmpty
        case .dict(let dict): !dict.entries.isEmpty
        case .namespace, .function: true
        }
    }

    /// The value of an int or bool (Python's bool is an int).
    var integer: Int? {
        switch self {
        case .int(let value): value
        case .bool(let value): value ? 1 : 0
        default: nil
        }
    }

    /// The value of an int, float or bool as a Double, for comparing with floats.
    var number: Double? {
        if case .float(let value) = self { return value }
        return integer.map(Double.init)
    }

    /// The Python type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .list: "list"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .function(let function): function.typeName
        }
    }

    /// Python's `str()`, which is how `{{ }}` and `~` turn values into text.
    var text: String {
        switch self {
        case .undefined: ""
        case .string(let value): value
        default: repr
        }
    }

    /// Python's `repr()`, used for the items of lists and dicts in `str()`. A namespace met again inside itself
    /// prints as `<Namespace {...}>`, as Python prints a dict that contains itself. Hostile values (namespaces
    /// make them buildable in loops) cannot run away: writing stops once the text is longer than
    /// `maximumValueLength` (every user of the text then refuses it), and values nested deeper than
    /// `maximumNesting` print as `...` where Python would raise a RecursionError.
    var repr: String {
        var out = ""
        writeRepr(into: &out, depth: 0, enclosingNamespaces: [])
        return out
    }

    /// Lists, dicts and namespaces nested deeper than this are not followed by `repr`, `==` and `tojson`, so
    /// that a value built in a loop cannot overflow the stack.
    static let maximumNesting = 200

    private func writeRepr(into out: inout String, depth: Int, enclosingNamespaces: [ObjectIdentifier]) {
        guard out.utf8.count <= Self.maximumValueLength else { return }
        guard depth <= Self.maximumNesting else { return out += "..." }
        func writeItems<Item>(_ items: [Item], _ open: String, _ close: String, _ write: (inout String, Item) -> Void) {
            out += open
            for (index, item) in items.enumerated() {
                guard out.utf8.count <= Self.maximumValueLength else { return }
                if index > 0 { out += ", " }
                write(&out, item)
            }
            out += close
        }
        switch self {
        case .undefined: out += "Undefined"
        case .none: out += "None"
        case .bool(let value): out += value ? "True" : "False"
        case .int(let value): out += String(value)
        case .float(let value): out += pythonFloatRepr(value)
        case .string(let value): out += pythonRepr(value)
        case .list(let items):
            writeItems(items, "[", "]") { out, item in
                item.writeRepr(into: &out, depth: depth + 1, enclosingNamespaces: enclosingNamespaces)
            }
        case .dict(let dict):
            writeItems(dict.entries, "{", "}") { out, entry in
                out += pythonRepr(entry.key) + ": "
                entry.value.writeRepr(into: &out, depth: depth + 1, enclosingNamespaces: enclosingNamespaces)
            }
        case .namespace(let namespace):
            let id = ObjectIdentifier(namespace)
            guard !enclosingNamespaces.contains(id) else { return out += "<Namespace {...}>" }
            out += "<Namespace "
            JinjaValue.dict(namespace.attributes).writeRepr(into: &out, depth: depth + 1,
                                                            enclosingNamespaces: enclosingNamespaces + [id])
            out += ">"
        case .function(let function): out += function.repr
        }
    }

    /// Whether lists and dicts nest deeper than `limit` in this value, not looking into namespaces (the renderer
    /// checks each value stored in one). `visits` counts the containers looked at, for the renderer's budget.
    func nestsDeeper(than limit: Int, visits: inout Int) -> Bool {
        var pending: [(value: JinjaValue, depth: Int)] = [(self, 0)]
        while let (value, depth) = pending.popLast() {
            let children: [JinjaValue]
            switch value {
            case .list(let items): children = items
            case .dict(let dict): children = dict.entries.map(\.value)
            default: continue
            }
            visits += 1
            guard depth < limit else { return true }
            for child in children {
                if case .list = child { pending.append((child, depth + 1)) }
                if case .dict = child { pending.append((child, depth + 1)) }
            }
        }
        return false
    }

    /// Python's `==`; values nested deeper than `maximumNesting` are unequal (Python raises a RecursionError).
    func isEqual(to other: JinjaValue) -> Bool {
        isEqual(to: other, depth: 0)
    }

    private func isEqual(to other: JinjaValue, depth: Int) -> Bool {
        guard depth <= Self.maximumNesting else { return false }
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isEqual(to: $1, depth: depth + 1) }
        case (.dict(let a), .dict(let b)):
            return a.entries.count == b.entries.count && a.entries.allSatisfy { entry in
                b[entry.key].map { $0.isEqual(to: entry.value, depth: depth + 1) } ?? false
            }
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.function(let a), .function(let b)): return a.repr == b.repr
        case (.float(let a), _): return other.number == a
        case (_, .float(let b)): return number == b
        default:
            guard let a = integer, let b = other.integer else { return false }
            return a == b
        }
    }

    /// What `for` iterates over: list items, dict keys, or the characters of a string.
    func iterated() throws(JinjaFailure) -> [JinjaValue] {
        switch self {
        case .undefined: return []
        case .list(let items): return items
        case .dict(let dict): return dict.entries.map { .string($0.key) }
        case .string(let value): return value.unicodeScalars.map { .string(String($0)) }
        default: throw JinjaFailure("'\(typeName)' object is not iterable")
        }
    }

    /// Python's `len()`; an undefined value has length 0.
    func length() throws(JinjaFailure) -> Int {
        switch self {
        case .undefined: return 0
        case .string(let value): return value.unicodeScalars.count
        case .list(let items): return items.count
        case .dict(let dict): return dict.entries.count
        default: throw JinjaFailure("object of type '\(typeName)' has no len()")
        }
    }
}

/// A Python dict with string keys, in insertion order (which `str()` and `tojson` show).
struct JinjaDict: Sendable {
    private(set) var entries: [(key: String, value: JinjaValue)] = []

    init(_ pairs: [(String, JinjaValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// Keys compare by code point, as Python's do; dicts here are small, so a scan is enough.
    subscript(key: String) -> JinjaValue? {
        get { entries.first { $0.key.unicodeScalars.elementsEqual(key.unicodeScalars) }?.value }
        set {
            let index = entries.firstIndex { $0.key.unicodeScalars.elementsEqual(key.unicodeScalars) }
            switch (index, newValue) {
            case (let index?, let value?): entries[index].value = value
            case (let index?, nil): entries.remove(at: index)
            case (nil, let value?): entries.append((key, value))
            case (nil, nil): break
            }
        }
    }
}

/// Python's `repr()` of a float, which `str()` and `json.dumps` also use: the shortest digits that read back
/// as the same number, in positional notation for exponents from -4 to 15 and scientific notation outside.
func pythonFloatRepr(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : value < 0 ? "-inf" : "inf" }
    if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description has the same shortest digits; only the notation differs.
    var text = Swift.abs(value).description
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(text[text.index(after: e)...]) ?? 0
        text = String(text[..<e])
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let integerPart = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
    var digits = integerPart + fraction
    var pointPosition = integerPart.count + exponent  // the decimal point sits after this many digits
    let leadingZeros = digits.prefix { $0 == "0" }.count
    digits.removeFirst(leadingZeros)
    pointPosition -= leadingZeros
    while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
    let sign = value < 0 ? "-" : ""
    if pointPosition > 16 || pointPosition < -3 {
        let mantissa = digits.count == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
        let power = pointPosition - 1
        let powerDigits = String(Swift.abs(power))
        return sign + mantissa + "e" + (power < 0 ? "-" : "+") + (powerDigits.count < 2 ? "0" : "") + powerDigits
    }
    if pointPosition <= 0 { return sign + "0." + String(repeating: "0", count: -pointPosition) + digits }
    if pointPosition >= digits.count { return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0" }
    return sign + String(digits.prefix(pointPosition)) + "." + String(digits.dropFirst(pointPosition))
}

/// Python's `repr()` of a string: single quotes unless the text has a single quote and no double quote,
/// and escapes for backslashes, that quote and non-printable characters.
private func pythonRepr(_ text: String) -> String {
    let quote: Unicode.Scalar = text.contains("'") && !text.contains("\"") ? "\"" : "'"
    var result = String(quote)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\", quote: result += "\\" + String(scalar)
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if isPythonPrintable(scalar) {
                result.unicodeScalars.append(scalar)
            } else {
                let (prefix, width) = scalar.value < 0x100 ? ("\\x", 2) : scalar.value < 0x10000 ? ("\\u", 4) : ("\\U", 8)
                let hex = String(scalar.value, radix: 16)
                result += prefix + String(repeating: "0", count: width - hex.count) + hex
            }
        }
    }
    result.unicodeScalars.append(quote)
    return result
}

/// Python's `str.isprintable()` for one character: everything but controls, format characters,
/// separators other than the space, private-use and unassigned code points.
private func isPythonPrintable(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == " " { return true }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default:
        return true
    }
}
