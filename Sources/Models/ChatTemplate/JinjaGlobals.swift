import Foundation

/// The attributes of a `namespace()`. A class, because a namespace is the one mutable value of a template:
/// `{% set ns.x = 1 %}` inside a loop changes it for every variable that holds it. It lives only while one
/// render runs on one thread.
final class JinjaNamespace: @unchecked Sendable {
    var attributes: JinjaDict

    init(_ attributes: JinjaDict) {
        self.attributes = attributes
    }
}

/// A callable value: a global function of transformers' chat template environment, or a template's macro.
enum JinjaFunction: Sendable {
    case global(JinjaGlobal)
    case macro(JinjaMacro)

    var typeName: String {
        switch self {
        case .global: "function"
        case .macro: "Macro"
        }
    }

    var repr: String {
        switch self {
        case .global(let global): "<function \(global.rawValue)>"
        case .macro(let macro): "<Macro '\(macro.name)'>"
        }
    }
}

/// The globals transformers gives chat templates (`raise_exception`, `strftime_now`, `namespace`, `dict`) and
/// Jinja's `range`.
enum JinjaGlobal: String, CaseIterable, Sendable {
    case raiseException = "raise_exception"
    case strftimeNow = "strftime_now"
    case namespace, dict, range

    /// Calls every global but `raise_exception`, which the renderer handles (it throws a different error).
    /// `now` is the time `strftime_now` formats.
    func call(_ arguments: JinjaArguments, now: Date) throws(JinjaFailure) -> JinjaValue {
        switch self {
        case .namespace:
            return .namespace(JinjaNamespace(try keywordDict(arguments)))
        case .dict:
            return .dict(try keywordDict(arguments))
        case .range:
            let bounds = try arguments.positionalOnly(function: rawValue).map { value throws(JinjaFailure) -> Int in
                guard let integer = value.integer else { throw JinjaFailure("'\(value.typeName)' object cannot be interpreted as an integer") }
                return integer
            }
            return try range(bounds)
        case .strftimeNow:
            let format = try arguments.positionalOnly(function: rawValue)
            guard format.count == 1, case .string(let pattern) = format[0] else {
                throw JinjaFailure("strftime_now() takes one format string")
            }
            return .string(try strftime(pattern, now))
        case .raiseException:
            throw JinjaFailure("raise_exception is handled by the renderer")
        }
    }

    /// `dict(mapping, key=value, ...)` and `namespace(...)`: an optional dict, then keyword arguments.
    private func keywordDict(_ arguments: JinjaArguments) throws(JinjaFailure) -> JinjaDict {
        var dict = JinjaDict([])
        switch arguments.positional.count {
        case 0: break
        case 1:
            guard case .dict(let initial) = arguments.positional[0] else {
                throw JinjaFailure("\(rawValue)() takes a dict, not \(arguments.positional[0].typeName)")
            }
            dict = initial
        default: throw JinjaFailure("\(rawValue)() takes at most 1 positional argument")
        }
        for (name, value) in arguments.keywords { dict[name] = value }
        return dict
    }

    /// Python's `range(stop)`, `range(start, stop)`, `range(start, stop, step)`, refused beyond the loop limit.
    private func range(_ bounds: [Int]) throws(JinjaFailure) -> JinjaValue {
        guard (1...3).contains(bounds.count) else { throw JinjaFailure("range expected 1 to 3 arguments, got \(bounds.count)") }
        let start = bounds.count > 1 ? bounds[0] : 0
        let stop = bounds.count > 1 ? bounds[1] : bounds[0]
        let step = bounds.count > 2 ? bounds[2] : 1
        guard step != 0 else { throw JinjaFailure("range() arg 3 must not be zero") }
        var values: [JinjaValue] = []
        var value = start
        while step > 0 ? value < stop : value > stop {
            guard values.count < JinjaRenderer.maximumIterations else { throw JinjaFailure("range() result is too large") }
            values.append(.int(value))
            let (next, overflow) = value.addingReportingOverflow(step)
            if overflow { break }
            value = next
        }
        return .list(values)
    }
}

/// Python's `datetime.strftime` in the local time zone and C locale, for the directives chat templates use.
private func strftime(_ pattern: String, _ date: Date) throws(JinjaFailure) -> String {
    let calendar = Calendar(identifier: .gregorian)
    let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
    let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
    let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December"]
    let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    let (year, month, day) = (parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    let (hour, minute, second, weekday) = (parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, parts.weekday ?? 1)
    func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    var result = ""
    var scalars = pattern.unicodeScalars.makeIterator()
    while let scalar = scalars.next() {
        guard scalar == "%" else { result.unicodeScalars.append(scalar); continue }
        guard let directive = scalars.next() else { throw JinjaFailure("strftime format ends with '%'") }
        switch directive {
        case "d": result += padded(day, 2)
        case "m": result += padded(month, 2)
        case "Y": result += String(year)
        case "y": result += padded(year % 100, 2)
        case "B": result += months[month - 1]
        case "b": result += String(months[month - 1].prefix(3))
        case "A": result += weekdays[weekday - 1]
        case "a": result += String(weekdays[weekday - 1].prefix(3))
        case "H": result += padded(hour, 2)
        case "I": result += padded(hour % 12 == 0 ? 12 : hour % 12, 2)
        case "p": result += hour < 12 ? "AM" : "PM"
        case "M": result += padded(minute, 2)
        case "S": result += padded(second, 2)
        case "j": result += padded(dayOfYear, 3)
        case "%": result += "%"
        default: throw JinjaFailure("strftime_now: unsupported directive '%\(directive)'")
        }
    }
    return result
}
