/// A statement of a parsed template.
enum JinjaNode: Sendable {
    case text(String)
    /// `{{ expression }}`
    case output(JinjaExpr)
    /// `{% if %}` with its `{% elif %}` branches, then the `{% else %}` body (empty when absent).
    case conditional(branches: [(condition: JinjaExpr, body: [JinjaNode])], otherwise: [JinjaNode])
    /// `{% for a, b in iterable if filter %}`: one variable, or several that unpack each item; `otherwise` is
    /// the `{% else %}` body, rendered when no item was selected.
    case loop(variables: [String], iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode])
    /// `{% set name = value %}`, or `{% set name.attribute = value %}` on a namespace.
    case assignment(name: String, attribute: String?, value: JinjaExpr)
    /// `{% macro name(parameters) %}body{% endmacro %}`
    case macro(JinjaMacro)
    /// `{% break %}` and `{% continue %}` (Jinja's loopcontrols extension, which transformers turns on).
    case loopControl(JinjaLoopControl)
}

enum JinjaLoopControl: Sendable {
    case `break`, `continue`
}

/// A macro: called like a function, it renders its body with the arguments bound and returns the text.
struct JinjaMacro: Sendable {
    let name: String
    /// Parameter names with their default values; a parameter without a default that the call does not
    /// pass is undefined, as in Jinja.
    let parameters: [(name: String, defaultValue: JinjaExpr?)]
    let body: [JinjaNode]
}

/// An argument of a call or filter: positional when `name` is nil, else a keyword argument.
struct JinjaArgument: Sendable {
    let name: String?
    let value: JinjaExpr
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
        /// `name(arguments)` for a global function or macro, `object.name(arguments)` for a method.
        case call(JinjaExpr, [JinjaArgument])
        /// `value | filter(arguments)`
        case filter(JinjaExpr, JinjaFilter, [JinjaArgument])
        /// `value is test`, `value is not test`, `value is test(argument)`
        case test(JinjaExpr, JinjaTest, argument: JinjaExpr?, negated: Bool)
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
        case .call(let callee, let arguments): [callee] + arguments.map(\.value)
        case .filter(let value, _, let arguments): [value] + arguments.map(\.value)
        case .test(let value, _, let argument, _): [value] + [argument].compactMap { $0 }
        case .not(let value), .sign(_, let value): [value]
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
