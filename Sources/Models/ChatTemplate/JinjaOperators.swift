/// Python's operators, item access and slicing on template values. An undefined operand is an error
/// (Jinja's `Undefined` raises on arithmetic, ordering and access), except for `==`, `!=` and `in`.
extension JinjaValue {
    /// `self <op> other`: numbers (bools count as 0 and 1), `+` joining two strings or two lists, and `*`
    /// repeating a string or list.
    func applying(_ op: JinjaArithmetic, _ other: JinjaValue) throws(JinjaFailure) -> JinjaValue {
        if case .undefined(let message) = self { throw JinjaFailure(message) }
        if case .undefined(let message) = other { throw JinjaFailure(message) }
        switch (op, self, other) {
        case (.add, .string(let a), .string(let b)):
            guard a.utf8.count + b.utf8.count <= Self.maximumValueLength else { throw JinjaFailure("string result is too large") }
            return .string(a + b)
        case (.add, .list(let a), .list(let b)):
            guard a.count + b.count <= Self.maximumValueLength else { throw JinjaFailure("list result is too large") }
            return .list(a + b)
        case (.multiply, .string, _), (.multiply, .list, _): if let count = other.integer { return try repeated(count) }
        case (.multiply, _, .string), (.multiply, _, .list): if let count = integer { return try other.repeated(count) }
        default: break
        }
        guard let a = integer, let b = other.integer else {
            throw JinjaFailure("unsupported operand type(s) for \(op.rawValue): '\(typeName)' and '\(other.typeName)'")
        }
        if (op == .floorDivide || op == .modulo) && b == 0 {
            throw JinjaFailure("integer division or modulo by zero")
        }
        let (result, overflow) = integerArithmetic(op, a, b)
        guard !overflow else { throw JinjaFailure("integer overflow") }
        return .int(result)
    }

    /// Strings (in UTF-8 bytes) and lists (in items) that `*`, `+`, `~`, `tojson` or the output would make longer
    /// than this are refused, so that a hostile template (it comes with a model file) cannot exhaust memory.
    static let maximumValueLength = 10_000_000

    /// This string or list repeated `count` times (empty when `count` is negative).
    private func repeated(_ count: Int) throws(JinjaFailure) -> JinjaValue {
        let times = max(0, count)
        let (length, overflow) = (try length()).multipliedReportingOverflow(by: times)
        guard !overflow && length <= Self.maximumValueLength else {
            throw JinjaFailure("repetition result is too large")
        }
        if case .list(let items) = self { return .list(Array(repeatElement(items, count: times).joined())) }
        return .string(String(repeating: text, count: times))
    }

    /// Unary `-` (`negative`) or `+`, on numbers only.
    func signed(negative: Bool) throws(JinjaFailure) -> JinjaValue {
        if case .undefined(let message) = self { throw JinjaFailure(message) }
        guard let value = integer else {
            throw JinjaFailure("bad operand type for unary \(negative ? "-" : "+"): '\(typeName)'")
        }
        guard !negative || value != .min else { throw JinjaFailure("integer overflow") }
        return .int(negative ? -value : value)
    }

    /// `self <op> other`.
    func compare(_ op: JinjaComparison, _ other: JinjaValue) throws(JinjaFailure) -> Bool {
        try compare(op, other, depth: 0)
    }

    private func compare(_ op: JinjaComparison, _ other: JinjaValue, depth: Int) throws(JinjaFailure) -> Bool {
        guard depth <= Self.maximumNesting else { throw JinjaFailure("comparison of values nested too deeply") }
        switch op {
        case .equal: return isEqual(to: other)
        case .notEqual: return !isEqual(to: other)
        case .in: return try other.contains(self)
        case .notIn: return !(try other.contains(self))
        default: break
        }
        if case .undefined(let message) = self { throw JinjaFailure(message) }
        if case .undefined(let message) = other { throw JinjaFailure(message) }
        if case .list(let a) = self, case .list(let b) = other {
            // Lists order by their first differing items, else by length.
            for (x, y) in zip(a, b) where !x.isEqual(to: y) { return try x.compare(op, y, depth: depth + 1) }
            return try JinjaValue.int(a.count).compare(op, .int(b.count), depth: depth + 1)
        }
        let ascending: Bool, equal: Bool
        if case .string(let a) = self, case .string(let b) = other {
            ascending = a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
            equal = a.unicodeScalars.elementsEqual(b.unicodeScalars)
        } else if let a = integer, let b = other.integer {
            ascending = a < b
            equal = a == b
        } else if let a = number, let b = other.number {
            ascending = a < b
            equal = a == b
        } else {
            throw JinjaFailure("'\(op.rawValue)' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
        switch op {
        case .less: return ascending
        case .lessOrEqual: return ascending || equal
        case .greater: return !ascending && !equal
        default: return !ascending  // >=
        }
    }

    /// Python's `needle in self`; nothing is in an undefined value.
    func contains(_ needle: JinjaValue) throws(JinjaFailure) -> Bool {
        switch self {
        case .undefined: return false
        case .list(let items): return items.contains { $0.isEqual(to: needle) }
        case .dict(let dict):
            switch needle {
            case .string(let key): return dict[key] != nil
            case .list, .dict: throw JinjaFailure("unhashable type: '\(needle.typeName)'")
            default: return false
            }
        case .string(let haystack):
            guard case .string(let substring) = needle else {
                throw JinjaFailure("'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return scalarRange(of: Array(substring.unicodeScalars), in: Array(haystack.unicodeScalars), from: 0) != nil
        default: throw JinjaFailure("argument of type '\(typeName)' is not iterable")
        }
    }

    /// `self.name`: a dict's item (Jinja falls back from attributes to items), otherwise undefined.
    /// The receiver is not undefined (that is an error the evaluator reports at the receiver).
    func attribute(_ name: String) -> JinjaValue {
        switch self {
        case .dict(let dict): return dict[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case .namespace(let namespace):
            return namespace.attributes[name] ?? .undefined("'Namespace object' has no attribute '\(name)'")
        default: return .undefined("'\(typeName) object' has no attribute '\(name)'")
        }
    }

    /// `self[key]`: list and string indices may be negative; a missing item is undefined, not an error.
    /// The receiver is not undefined.
    func item(_ key: JinjaValue) -> JinjaValue {
        switch (self, key) {
        case (.dict, .string(let name)), (.namespace, .string(let name)):
            return attribute(name)
        case (.list(let items), _):
            if let index = key.integer.flatMap({ pythonIndex($0, count: items.count) }) { return items[index] }
        case (.string(let text), _):
            let scalars = Array(text.unicodeScalars)
            if let index = key.integer.flatMap({ pythonIndex($0, count: scalars.count) }) {
                return .string(String(scalars[index]))
            }
        default: break
        }
        if case .string(let name) = key { return .undefined("'\(typeName) object' has no attribute '\(name)'") }
        return .undefined("\(typeName) object has no element \(key.repr)")
    }

    /// `self[start:stop:step]` on a list or string, with Python's clamping of out-of-range bounds.
    /// The receiver is not undefined.
    func slice(start: JinjaValue, stop: JinjaValue, step: JinjaValue) throws(JinjaFailure) -> JinjaValue {
        func bound(_ value: JinjaValue) throws(JinjaFailure) -> Int? {
            if value.isNone { return nil }
            guard let integer = value.integer else { throw JinjaFailure("slice indices must be integers or None") }
            return integer
        }
        let (first, last, stride) = (try bound(start), try bound(stop), try bound(step) ?? 1)
        guard stride != 0 else { throw JinjaFailure("slice step cannot be zero") }
        switch self {
        case .list(let items):
            return .list(sliceIndices(first, last, stride, count: items.count).map { items[$0] })
        case .string(let text):
            let scalars = Array(text.unicodeScalars)
            var result = String.UnicodeScalarView()
            for index in sliceIndices(first, last, stride, count: scalars.count) { result.append(scalars[index]) }
            return .string(String(result))
        default:
            throw JinjaFailure("'\(typeName)' object cannot be sliced")
        }
    }
}

/// Python's integer `+ - * // %` (`b` is nonzero for `//` and `%`), and whether the result overflowed.
private func integerArithmetic(_ op: JinjaArithmetic, _ a: Int, _ b: Int) -> (Int, overflow: Bool) {
    switch op {
    case .add: return a.addingReportingOverflow(b)
    case .subtract: return a.subtractingReportingOverflow(b)
    case .multiply: return a.multipliedReportingOverflow(by: b)
    case .floorDivide:
        // Python rounds toward negative infinity; Swift truncates toward zero.
        let (quotient, overflow) = a.dividedReportingOverflow(by: b)
        let remainder = a.remainderReportingOverflow(dividingBy: b).partialValue
        return (remainder != 0 && (remainder < 0) != (b < 0) ? quotient - 1 : quotient, overflow)
    case .modulo:
        // Python's remainder takes the divisor's sign. `Int.min % -1` is 0, reported as an overflow by Swift.
        let remainder = a.remainderReportingOverflow(dividingBy: b).partialValue
        return (remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder, false)
    }
}

/// The array index of Python index `index` (negative counts from the end), nil when out of range.
private func pythonIndex(_ index: Int, count: Int) -> Int? {
    let resolved = index < 0 ? index + count : index
    return (0..<count).contains(resolved) ? resolved : nil
}

/// The indices Python's `slice(start, stop, step).indices(count)` visits.
private func sliceIndices(_ start: Int?, _ stop: Int?, _ step: Int, count: Int) -> [Int] {
    let (lower, upper) = step > 0 ? (0, count) : (-1, count - 1)
    func clamp(_ value: Int?, default defaultValue: Int) -> Int {
        guard let value else { return defaultValue }
        if value < 0 { return max(value + count, lower) }
        return min(value, upper)
    }
    var index = clamp(start, default: step > 0 ? lower : upper)
    let end = clamp(stop, default: step > 0 ? upper : lower)
    var indices: [Int] = []
    while step > 0 ? index < end : index > end {
        indices.append(index)
        let (next, overflow) = index.addingReportingOverflow(step)
        if overflow { break }
        index = next
    }
    return indices
}

/// Where `needle` first occurs in `haystack` at or after `from`, comparing code points as Python does.
func scalarRange(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar], from: Int) -> Range<Int>? {
    guard needle.count <= haystack.count else { return nil }
    var start = from
    while start + needle.count <= haystack.count {
        if haystack[start..<start + needle.count].elementsEqual(needle) { return start..<start + needle.count }
        start += 1
    }
    return nil
}
