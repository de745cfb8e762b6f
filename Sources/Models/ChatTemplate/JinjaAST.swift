/// A statement of a parsed template.
enum JinjaNode: Sendable {
    case text(String)
    /// `{{ expression }}`
    case output(JinjaExpr)
    /// `{% if %}` with its `{% elif %}` branches, then the `{% else %}` body (empty when absent).
    case conditional(branches: [(condition: JinjaExpr, body: [JinjaNode])], otherwise: [JinjaNode])
    /// `{% for variable in iterable if filter %}`; `otherwise` is the `{% else %}` body, rendered when
    /// no item was selected.
    case loop(variable: String, iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode])
    /// `{% set name = value %}`
    case assignment(name: String, value: JinjaExpr)
}

/// An expression of a parsed template, with where it starts in the source.
struct JinjaExpr: Sendable {
    indirect enum Kind: Sendable {
        case literal(JinjaValue)
        case variable(String)
        case list([JinjaExpr])
        case dict([(key: JinjaExpr, value: JinjaExpr)])
        /// `object.name`
        case attribute(JinjaExpr, String)
        /// `object[key]`
        case item(JinjaExpr, JinjaExpr)
        /// `object[start:stop:step]`
        case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?)
        /// `name(arguments)` for a global function, `object.name(arguments)` for a method.
        case call(JinjaExpr, [JinjaExpr])
        /// `value | filter(arguments)`
        case filter(JinjaExpr, JinjaFilter, [JinjaExpr])
        /// `value is test`, `value is not test`
        case test(JinjaExpr, JinjaTest, negated: Bool)
        case not(JinjaExpr)
        /// Unary `-` (`negative`) or `+`.
        case sign(negative: Bool, JinjaExpr)
        case arithmetic(JinjaArithmetic, JinjaExpr, JinjaExpr)
        /// `a ~ b`: string concatenation of any two values.
        case concat(JinjaExpr, JinjaExpr)
        /// `a < b <= c`, `a in b`: Python-style chained comparisons.
        case comparison(JinjaExpr, [(JinjaComparison, JinjaExpr)])
        case and(JinjaExpr, JinjaExpr)
        case or(JinjaExpr, JinjaExpr)
        /// `value if condition else otherwise`; a missing `else` gives an undefined value.
        case conditional(value: JinjaExpr, condition: JinjaExpr, otherwise: JinjaExpr?)
    }

    /// Deeper expressions are rejected at parse time, so that evaluating them (which recurses) cannot
    /// overflow the stack; real chat templates stay far below this.
    static let maximumDepth = 100

    let kind: Kind
    let position: SourcePosition
    /// The height of this expression tree: 1 for a leaf.
    let depth: Int

    init(_ kind: Kind, at position: SourcePosition) throws(ChatTemplateError) {
        let children: [JinjaExpr] = switch kind {
        case .literal, .variable: []
        case .list(let items): items
        case .dict(let pairs): pairs.flatMap { [$0.key, $0.value] }
        case .attribute(let object, _): [object]
        case .item(let object, let key): [object, key]
        case .slice(let object, let start, let stop, let step): [object] + [start, stop, step].compactMap { $0 }
        case .call(let callee, let arguments): [callee] + arguments
        case .filter(let value, _, let arguments): [value] + arguments
        case .test(let value, _, _), .not(let value), .sign(_, let value): [value]
        case .arithmetic(_, let left, let right), .concat(let left, let right), .and(let left, let right),
             .or(let left, let right): [left, right]
        case .comparison(let first, let rest): [first] + rest.map(\.1)
        case .conditional(let value, let condition, let otherwise): [value, condition] + [otherwise].compactMap { $0 }
        }
        self.kind = kind
        self.position = position
        self.depth = 1 + (children.map(\.depth).max() ?? 0)
        guard depth <= Self.maximumDepth else {
            throw ChatTemplateError(.syntax, "expression is nested too deeply", at: position)
        }
    }
}

enum JinjaArithmetic: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", floorDivide = "//", modulo = "%"
}

enum JinjaComparison: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case `in` = "in", notIn = "not in"
}

/// The filters a template may use (`value | name`); unknown names are rejected at parse time.
enum JinjaFilter: Sendable {
    case trim, length, upper, lower, tojson, `default`

    init?(name: String) {
        switch name {
        case "trim": self = .trim
        case "length", "count": self = .length
        case "upper": self = .upper
        case "lower": self = .lower
        case "tojson": self = .tojson
        case "default", "d": self = .default
        default: return nil
        }
    }

    /// How many arguments the filter takes after the filtered value.
    var arity: ClosedRange<Int> {
        switch self {
        case .trim: 0...1
        case .length, .upper, .lower, .tojson: 0...0
        case .default: 0...2
        }
    }
}

/// The tests a template may use (`value is name`); unknown names are rejected at parse time.
enum JinjaTest: String, Sendable {
    case defined, undefined, none, string, number, integer, boolean, mapping, iterable, sequence
    case `true`, `false`
}
