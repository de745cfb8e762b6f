/// The tests a template may use (`value is name`, `value is name(argument)`, `select('name')`); unknown
/// names are rejected at parse time.
enum JinjaTest: String, Sendable {
    case defined, undefined, none, string, number, integer, float, boolean, mapping, iterable, sequence, callable
    case `true`, `false`, odd, even, lower, upper
    case divisibleby, equalto, ne, lessthan, greaterthan, le, ge, `in`, sameas

    init?(name: String) {
        switch name {
        case "eq", "==": self = .equalto
        case "!=": self = .ne
        case "lt", "<": self = .lessthan
        case "gt", ">": self = .greaterthan
        case "<=": self = .le
        case ">=": self = .ge
        default: self.init(rawValue: name)
        }
    }

    var takesArgument: Bool {
        switch self {
        case .divisibleby, .equalto, .ne, .lessthan, .greaterthan, .le, .ge, .in, .sameas: true
        default: false
        }
    }

    /// `value is test(argument)`, with the meaning of Python's `isinstance` checks in Jinja's tests; the
    /// parser has checked that `argument` is there exactly when the test takes one.
    func matches(_ value: JinjaValue, _ argument: JinjaValue?) throws(JinjaFailure) -> Bool {
        if let argument {
            switch self {
            case .divisibleby:
                guard let a = value.integer, let b = argument.integer else {
                    throw JinjaFailure("divisibleby needs integers, not \(value.typeName) and \(argument.typeName)")
                }
                // `Int.min % -1` overflows in Swift (it is 0 in Python).
                return b != 0 && a.remainderReportingOverflow(dividingBy: b).partialValue == 0
            case .equalto: return value.isEqual(to: argument)
            case .ne: return !value.isEqual(to: argument)
            case .lessthan: return try value.compare(.less, argument)
            case .greaterthan: return try value.compare(.greater, argument)
            case .le: return try value.compare(.lessOrEqual, argument)
            case .ge: return try value.compare(.greaterOrEqual, argument)
            case .in: return try argument.contains(value)
            case .sameas:
                // Python's `is`: only None, True and False are reliably the same object.
                switch (value, argument) {
                case (.none, .none): return true
                case (.bool(let a), .bool(let b)): return a == b
                default: return false
                }
            default: break
            }
        }
        switch (self, value) {
        case (.defined, _): return !value.isUndefined
        case (.undefined, _): return value.isUndefined
        case (.number, .float): return true
        case (.number, _): return value.integer != nil
        case (.none, .none), (.string, .string), (.integer, .int), (.float, .float), (.boolean, .bool), (.mapping, .dict),
             (.true, .bool(true)), (.false, .bool(false)), (.callable, .function):
            return true
        // Jinja's `Undefined` is iterable and has a length, so it passes these two.
        case (.iterable, .undefined), (.iterable, .string), (.iterable, .list), (.iterable, .dict),
             (.sequence, .undefined), (.sequence, .string), (.sequence, .list), (.sequence, .dict):
            return true
        case (.odd, _), (.even, _):
            guard let number = value.integer else { throw JinjaFailure("\(rawValue) needs an integer, not \(value.typeName)") }
            return (number % 2 != 0) == (self == .odd)
        // Python's `islower()` and `isupper()`: some cased character, and all cased ones in that case.
        case (.lower, .string(let text)): return text == text.lowercased() && text != text.uppercased()
        case (.upper, .string(let text)): return text == text.uppercased() && text != text.lowercased()
        default: return false
        }
    }
}
