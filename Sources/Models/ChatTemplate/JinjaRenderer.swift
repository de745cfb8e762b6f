import Foundation

/// Renders parsed template nodes with a set of variables.
struct JinjaRenderer {
    /// Variable scopes, innermost last: the template's variables, then one per running `for` iteration.
    /// Jinja gives each iteration a fresh scope, so a `{% set %}` inside a loop body is gone in the next
    /// iteration and after the loop, while one inside an `if` stays in the enclosing scope.
    var scopes: [[String: JinjaValue]]
    var output = ""
    /// Loop iterations, loop-filter tests and macro calls so far: a hostile template (it comes with a model
    /// file) must not run for hours.
    private var iterations = 0
    static let maximumIterations = 1_000_000
    /// Macros calling macros deeper than this stop with an error.
    static let maximumMacroDepth = 32
    var macroDepth = 0
    /// Nested blocks and expressions being rendered, across macro calls. The parser bounds them within one
    /// template body, but macros stack bodies, and the stack must not overflow: real templates stay far below.
    static let maximumDepth = 256
    private var depth = 0
    /// The time `strftime_now` formats.
    let now: Date
    /// Every namespace the template made. Namespaces can hold each other in chains and cycles, which Swift would
    /// release recursively or never; `releaseNamespaces` unlinks them all once rendering is done.
    var namespaces: [JinjaNamespace] = []

    /// `variables` override the globals (`raise_exception`, `strftime_now`, `namespace`, `dict`, `range`), as
    /// render arguments do in Jinja.
    init(variables: [String: JinjaValue], now: Date = Date()) {
        var globals = Dictionary(uniqueKeysWithValues: JinjaGlobal.allCases.map { ($0.rawValue, JinjaValue.function(.global($0))) })
        globals.merge(variables) { $1 }
        scopes = [globals]
        self.now = now
    }

    /// What a `{% break %}` or `{% continue %}` asks of the loops around it.
    enum Flow {
        case normal, breakLoop, continueLoop
    }

    mutating func render(_ nodes: [JinjaNode]) throws(ChatTemplateError) {
        _ = try renderFlow(nodes)
    }

    /// Empties every namespace, so that what they hold is released one namespace at a time.
    func releaseNamespaces() {
        for namespace in namespaces { namespace.attributes = JinjaDict([]) }
    }

    private mutating func renderFlow(_ nodes: [JinjaNode]) throws(ChatTemplateError) -> Flow {
        // Counted here, checked in `evaluate`: every nested block evaluates something before going deeper.
        depth += 1
        defer { depth -= 1 }
        for node in nodes {
            switch node {
            case .text(let text):
                try append(text, at: nil)
            case .output(let expression):
                try append(try evaluate(expression).text, at: expression)
            case .conditional(let branches, let otherwise):
                var taken = otherwise
                for branch in branches {
                    if try evaluate(branch.condition).isTruthy {
                        taken = branch.body
                        break
                    }
                }
                let flow = try renderFlow(taken)
                if flow != .normal { return flow }
            case .loop(let variables, let iterable, let filter, let body, let otherwise):
                let flow = try renderLoop(variables: variables, iterable: iterable, filter: filter, body: body,
                                          otherwise: otherwise)
                if flow != .normal { return flow }
            case .assignment(let name, nil, let valueExpression):
                let value = try storable(try evaluate(valueExpression), at: valueExpression)
                scopes[scopes.count - 1][name] = value
            case .assignment(let name, let attribute?, let valueExpression):
                let value = try storable(try evaluate(valueExpression), at: valueExpression)
                guard case .namespace(let namespace) = lookUp(name) else {
                    throw ChatTemplateError(.render, "can only set attributes on a namespace, and '\(name)' is not one",
                                            at: valueExpression.position)
                }
                namespace.attributes[attribute] = value
            case .macro(let macro):
                scopes[scopes.count - 1][macro.name] = .function(.macro(macro))
            case .loopControl(.break):
                return .breakLoop
            case .loopControl(.continue):
                return .continueLoop
            }
        }
        return .normal
    }

    /// Renders a `for` loop. Its `break` and `continue` stay inside; those in its `else` body (rendered when
    /// nothing was selected) belong to an enclosing loop, so their flow is returned.
    private mutating func renderLoop(variables: [String], iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode],
                                     otherwise: [JinjaNode]) throws(ChatTemplateError) -> Flow {
        let collection = try evaluate(iterable)
        var items = try at(iterable) { () throws(JinjaFailure) in try collection.iterated() }
        if let filter {
            // The filter sees the loop variables but not `loop`, whose counts are over the kept items.
            var kept: [JinjaValue] = []
            for item in items {
                try count(iterable)
                scopes.append(try bind(variables, to: item, at: iterable))
                defer { scopes.removeLast() }
                if try evaluate(filter).isTruthy { kept.append(item) }
            }
            items = kept
        }
        guard !items.isEmpty else {
            scopes.append([:])
            defer { scopes.removeLast() }
            return try renderFlow(otherwise)
        }
        for (index, item) in items.enumerated() {
            try count(iterable)
            let loop = JinjaDict([
                ("index", .int(index + 1)), ("index0", .int(index)),
                ("revindex", .int(items.count - index)), ("revindex0", .int(items.count - index - 1)),
                ("first", .bool(index == 0)), ("last", .bool(index == items.count - 1)),
                ("length", .int(items.count)),
                ("previtem", index > 0 ? items[index - 1] : .undefined("there is no previous item")),
                ("nextitem", index + 1 < items.count ? items[index + 1] : .undefined("there is no next item")),
            ])
            var scope = try bind(variables, to: item, at: iterable)
            scope["loop"] = .dict(loop)
            scopes.append(scope)
            defer { scopes.removeLast() }
            if try renderFlow(body) == .breakLoop { break }
        }
        return .normal
    }

    /// The loop variables for one item: the item itself, or its parts for `for a, b in ...`.
    private func bind(_ variables: [String], to item: JinjaValue, at iterable: JinjaExpr) throws(ChatTemplateError)
        -> [String: JinjaValue] {
        guard variables.count > 1 else { return [variables[0]: item] }
        let parts = try at(iterable) { () throws(JinjaFailure) in try item.iterated() }
        guard parts.count == variables.count else {
            throw ChatTemplateError(.render, "cannot unpack \(parts.count) value(s) into \(variables.count) loop variables",
                                    at: iterable.position)
        }
        return Dictionary(zip(variables, parts), uniquingKeysWith: { $1 })
    }

    /// A value about to be kept in a variable or namespace. Expressions nest values only as deep as the parser
    /// and `maximumDepth` let them, but an assignment in a loop could wrap a value a million times, which
    /// Swift could not even release without overflowing the stack. The check is paid from the iteration budget.
    private mutating func storable(_ value: JinjaValue, at expression: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
        var visits = 0
        let tooDeep = value.nestsDeeper(than: JinjaValue.maximumNesting, visits: &visits)
        try count(expression, visits)
        guard !tooDeep else {
            throw ChatTemplateError(.render, "value nested deeper than \(JinjaValue.maximumNesting)", at: expression.position)
        }
        return value
    }

    mutating func count(_ loop: JinjaExpr, _ steps: Int = 1) throws(ChatTemplateError) {
        iterations += steps
        guard iterations <= Self.maximumIterations else {
            throw ChatTemplateError(.render, "the template ran more than \(Self.maximumIterations) loop iterations", at: loop.position)
        }
    }

    private mutating func append(_ text: String, at expression: JinjaExpr?) throws(ChatTemplateError) {
        guard output.utf8.count + text.utf8.count <= JinjaValue.maximumValueLength else {
            throw ChatTemplateError(.render, "the output grew past \(JinjaValue.maximumValueLength) bytes",
                                    at: expression?.position ?? SourcePosition(line: 1, column: 1))
        }
        output += text
    }

    func lookUp(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefined("'\(name)' is undefined")
    }

    /// Runs a value operation, reporting its failure at `expression`.
    func at<T>(_ expression: JinjaExpr, _ operation: () throws(JinjaFailure) -> T) throws(ChatTemplateError) -> T {
        do {
            return try operation()
        } catch {
            throw ChatTemplateError(.render, error.message, at: expression.position)
        }
    }

    private mutating func evaluate(_ expressions: [JinjaExpr]) throws(ChatTemplateError) -> [JinjaValue] {
        var values: [JinjaValue] = []
        for expression in expressions { values.append(try evaluate(expression)) }
        return values
    }

    private mutating func evaluate(_ arguments: [JinjaArgument]) throws(ChatTemplateError) -> JinjaArguments {
        var evaluated = JinjaArguments()
        for argument in arguments {
            let value = try evaluate(argument.value)
            if let name = argument.name { evaluated.keywords.append((name, value)) } else { evaluated.positional.append(value) }
        }
        return evaluated
    }

    /// An absent expression, like a slice's omitted bound, is `none`.
    private mutating func evaluate(_ expression: JinjaExpr?) throws(ChatTemplateError) -> JinjaValue {
        guard let expression else { return .none }
        return try evaluate(expression)
    }

    mutating func evaluate(_ expression: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else {
            throw ChatTemplateError(.render, "blocks, expressions and macro calls nested deeper than \(Self.maximumDepth)",
                                    at: expression.position)
        }
        switch expression.kind {
        case .literal(let value):
            return value
        case .variable(let name):
            return lookUp(name)
        case .list(let items):
            return .list(try evaluate(items))
        case .dict(let pairs):
            var dict = JinjaDict([])
            for pair in pairs {
                guard case .string(let key) = try evaluate(pair.key) else {
                    throw ChatTemplateError(.render, "dict keys must be strings", at: pair.key.position)
                }
                dict[key] = try evaluate(pair.value)
            }
            return .dict(dict)
        case .attribute(let object, let name):
            return try evaluateReceiver(object).attribute(name)
        case .item(let object, let key):
            return try evaluateReceiver(object).item(evaluate(key))
        case .slice(let object, let start, let stop, let step):
            let value = try evaluateReceiver(object)
            let bounds = (try evaluate(start), try evaluate(stop), try evaluate(step))
            return try at(expression) { () throws(JinjaFailure) in
                try value.slice(start: bounds.0, stop: bounds.1, step: bounds.2)
            }
        case .call(let callee, let argumentExpressions):
            return try call(callee, try evaluate(argumentExpressions), at: expression)
        case .filter(let valueExpression, let filter, let argumentExpressions):
            let (value, arguments) = (try evaluate(valueExpression), try evaluate(argumentExpressions))
            return try at(expression) { () throws(JinjaFailure) in try filter.apply(to: value, arguments) }
        case .test(let valueExpression, let test, let argumentExpression, let negated):
            let value = try evaluate(valueExpression)
            var argument: JinjaValue?
            if let argumentExpression { argument = try evaluate(argumentExpression) }
            return .bool(try at(expression) { () throws(JinjaFailure) in try test.matches(value, argument) } != negated)
        case .not(let operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case .sign(let negative, let operand):
            let value = try evaluate(operand)
            return try at(expression) { () throws(JinjaFailure) in try value.signed(negative: negative) }
        case .arithmetic(let op, let left, let right):
            let (a, b) = (try evaluate(left), try evaluate(right))
            return try at(expression) { () throws(JinjaFailure) in try a.applying(op, b) }
        case .concat(let left, let right):
            let (a, b) = (try evaluate(left).text, try evaluate(right).text)
            guard a.utf8.count + b.utf8.count <= JinjaValue.maximumValueLength else {
                throw ChatTemplateError(.render, "string result is too large", at: expression.position)
            }
            return .string(a + b)
        case .comparison(let first, let rest):
            var left = try evaluate(first)
            for (op, rightExpression) in rest {
                let right = try evaluate(rightExpression)
                guard try at(expression, { () throws(JinjaFailure) in try left.compare(op, right) }) else {
                    return .bool(false)
                }
                left = right
            }
            return .bool(true)
        case .and(let left, let right):
            // Like Python, `and` and `or` give one of their operands, not a bool.
            let value = try evaluate(left)
            return try value.isTruthy ? evaluate(right) : value
        case .or(let left, let right):
            let value = try evaluate(left)
            return try value.isTruthy ? value : evaluate(right)
        case .conditional(let value, let condition, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(value) }
            guard let otherwise else {
                return .undefined("the inline if-expression evaluated to false and no else section was defined")
            }
            return try evaluate(otherwise)
        }
    }

    /// Evaluates an expression whose attribute, item or method is wanted: an undefined value has none,
    /// which is an error reported where that value is written.
    mutating func evaluateReceiver(_ object: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
        let value = try evaluate(object)
        if case .undefined(let message) = value { throw ChatTemplateError(.render, message, at: object.position) }
        return value
    }
}
