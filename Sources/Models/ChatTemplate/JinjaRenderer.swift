/// Renders parsed template nodes with a set of variables.
struct JinjaRenderer {
    /// Variable scopes, innermost last: the template's variables, then one per running `for` iteration.
    /// Jinja gives each iteration a fresh scope, so a `{% set %}` inside a loop body is gone in the next
    /// iteration and after the loop, while one inside an `if` stays in the enclosing scope.
    private var scopes: [[String: JinjaValue]]
    private(set) var output = ""
    /// Loop iterations (and loop-filter tests) so far, across all loops: a hostile template (it comes with a model
    /// file) must not run for hours.
    private var iterations = 0
    static let maximumIterations = 1_000_000

    init(variables: [String: JinjaValue]) {
        scopes = [variables]
    }

    mutating func render(_ nodes: [JinjaNode]) throws(ChatTemplateError) {
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
                try render(taken)
            case .loop(let variable, let iterable, let filter, let body, let otherwise):
                try renderLoop(variable: variable, iterable: iterable, filter: filter, body: body, otherwise: otherwise)
            case .assignment(let name, let value):
                scopes[scopes.count - 1][name] = try evaluate(value)
            }
        }
    }

    private mutating func renderLoop(variable: String, iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode],
                                     otherwise: [JinjaNode]) throws(ChatTemplateError) {
        let collection = try evaluate(iterable)
        var items = try at(iterable) { () throws(JinjaFailure) in try collection.iterated() }
        if let filter {
            // The filter sees the loop variable but not `loop`, whose counts are over the kept items.
            var kept: [JinjaValue] = []
            for item in items {
                try count(iterable)
                scopes.append([variable: item])
                defer { scopes.removeLast() }
                if try evaluate(filter).isTruthy { kept.append(item) }
            }
            items = kept
        }
        guard !items.isEmpty else {
            scopes.append([:])
            defer { scopes.removeLast() }
            try render(otherwise)
            return
        }
        for (index, item) in items.enumerated() {
            try count(iterable)
            let loop = JinjaDict([
                ("index", .int(index + 1)), ("index0", .int(index)),
                ("revindex", .int(items.count - index)), ("revindex0", .int(items.count - index - 1)),
                ("first", .bool(index == 0)), ("last", .bool(index == items.count - 1)),
                ("length", .int(items.count)),
            ])
            scopes.append([variable: item, "loop": .dict(loop)])
            defer { scopes.removeLast() }
            try render(body)
        }
    }

    private mutating func count(_ loop: JinjaExpr) throws(ChatTemplateError) {
        iterations += 1
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

    private func lookUp(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefined("'\(name)' is undefined")
    }

    /// Runs a value operation, reporting its failure at `expression`.
    private func at<T>(_ expression: JinjaExpr, _ operation: () throws(JinjaFailure) -> T) throws(ChatTemplateError) -> T {
        do {
            return try operation()
        } catch {
            throw ChatTemplateError(.render, error.message, at: expression.position)
        }
    }

    private func evaluate(_ expressions: [JinjaExpr]) throws(ChatTemplateError) -> [JinjaValue] {
        var values: [JinjaValue] = []
        for expression in expressions { values.append(try evaluate(expression)) }
        return values
    }

    /// An absent expression, like a slice's omitted bound, is `none`.
    private func evaluate(_ expression: JinjaExpr?) throws(ChatTemplateError) -> JinjaValue {
        guard let expression else { return .none }
        return try evaluate(expression)
    }

    private func evaluate(_ expression: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
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
        case .test(let value, let test, let negated):
            return .bool(test.matches(try evaluate(value)) != negated)
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
    private func evaluateReceiver(_ object: JinjaExpr) throws(ChatTemplateError) -> JinjaValue {
        let value = try evaluate(object)
        if case .undefined(let message) = value { throw ChatTemplateError(.render, message, at: object.position) }
        return value
    }

    /// Calls a method of a value (`text.strip()`) or the global `raise_exception(message)`, with which
    /// templates reject conversations they cannot format.
    private func call(_ callee: JinjaExpr, _ arguments: [JinjaValue], at expression: JinjaExpr)
        throws(ChatTemplateError) -> JinjaValue {
        switch callee.kind {
        case .attribute(let object, let name):
            let receiver = try evaluateReceiver(object)
            return try at(expression) { () throws(JinjaFailure) in try callMethod(name, on: receiver, arguments) }
        case .variable("raise_exception") where lookUp("raise_exception").isUndefined:
            guard arguments.count == 1 else {
                throw ChatTemplateError(.render, "raise_exception() takes 1 argument, \(arguments.count) given",
                                        at: expression.position)
            }
            throw ChatTemplateError(.raised, arguments[0].text, at: expression.position)
        default:
            let value = try evaluate(callee)
            if case .undefined(let message) = value { throw ChatTemplateError(.render, message, at: callee.position) }
            throw ChatTemplateError(.render, "'\(value.typeName)' object is not callable", at: callee.position)
        }
    }
}
