/// Parses lexer tokens into template nodes. Statements are `if`/`elif`/`else`, `for` (with an optional
/// `if` filter and `else`), `break`, `continue`, `set` (of a name or a namespace attribute), `macro`, and
/// transformers' `generation` block (which only marks assistant text, so its body is kept as it is).
/// Expression precedence follows Jinja's parser, loosest first: inline `if`-`else`, `or`, `and`, `not`,
/// comparisons (`==`, `<`, `in`, `not in`, ...), `+ -`, `~`, `* // %`, unary `-` and `+`, then filters (`|`)
/// and tests (`is`), then `.name`, `.0`, `[]`, `[::]` and calls (with keyword arguments).
/// Literals are strings, integers, `true`/`false`/`none` (also capitalized), lists, tuples and dicts.
struct JinjaParser {
    /// Blocks and parenthesized expressions nested deeper than this are rejected, so that parsing (which
    /// recurses) cannot overflow the stack; real chat templates stay far below it.
    static let maximumNesting = 64

    private let tokens: [JinjaToken]
    private var index = 0
    private var nesting = 0
    /// How many `for` bodies enclose the current position (within the current macro), for `break` and `continue`.
    private var loopDepth = 0

    /// `tokens` ends with `.endOfInput`, as the lexer produces them.
    static func parse(_ tokens: [JinjaToken]) throws(ChatTemplateError) -> [JinjaNode] {
        var parser = JinjaParser(tokens: tokens)
        return try parser.parseNodes(until: []).nodes
    }

    private init(tokens: [JinjaToken]) {
        self.tokens = tokens
    }

    // MARK: Statements

    /// Parses nodes up to the end of the template or a `{% name %}` tag with a name in `closers`, which
    /// it returns having read the tag name but not the rest of the tag.
    private mutating func parseNodes(until closers: [String]) throws(ChatTemplateError)
        -> (nodes: [JinjaNode], closer: String?) {
        var nodes: [JinjaNode] = []
        while true {
            let token = current
            switch token.kind {
            case .text(let text):
                advance()
                nodes.append(.text(text))
            case .variableStart:
                advance()
                let expression = try parseExpression()
                try expect(.variableEnd)
                nodes.append(.output(expression))
            case .blockStart:
                advance()
                guard case .name(let tag) = current.kind else { throw unexpected("a tag name") }
                advance()
                if closers.contains(tag) { return (nodes, tag) }
                switch tag {
                case "if", "for":
                    try enter()
                    defer { nesting -= 1 }
                    nodes.append(try tag == "if" ? parseIf(openedAt: token.position) : parseFor(openedAt: token.position))
                case "set":
                    nodes.append(try parseSet())
                case "macro":
                    try enter()
                    defer { nesting -= 1 }
                    nodes.append(try parseMacro(openedAt: token.position))
                case "generation":
                    try enter()
                    defer { nesting -= 1 }
                    try expect(.blockEnd)
                    nodes += try parseBlockBody("generation", openedAt: token.position, until: ["endgeneration"]).nodes
                    try expect(.blockEnd)
                case "break", "continue":
                    guard loopDepth > 0 else {
                        throw ChatTemplateError(.syntax, "'\(tag)' outside of a loop", at: token.position)
                    }
                    try expect(.blockEnd)
                    nodes.append(.loopControl(tag == "break" ? .break : .continue))
                case "elif", "else", "endif", "endfor", "endmacro", "endgeneration":
                    let expected = closers.isEmpty ? ""
                        : " (expected " + closers.map { "'\($0)'" }.joined(separator: " or ") + ")"
                    throw ChatTemplateError(.syntax, "unexpected tag '\(tag)'\(expected)", at: token.position)
                default:
                    throw ChatTemplateError(.syntax, "unknown tag '\(tag)'", at: token.position)
                }
            case .endOfInput:
                return (nodes, nil)
            default:
                throw unexpected("text or a tag")
            }
        }
    }

    /// The body of a block opened at `start`, up to one of `closers`; a missing closer is an error there.
    private mutating func parseBlockBody(_ block: String, openedAt start: SourcePosition, until closers: [String])
        throws(ChatTemplateError) -> (nodes: [JinjaNode], closer: String) {
        let (nodes, closer) = try parseNodes(until: closers)
        guard let closer else {
            throw ChatTemplateError(.syntax, "unclosed '\(block)' block: missing '{% end\(block) %}'", at: start)
        }
        return (nodes, closer)
    }

    /// As in Jinja, conditions of `if` and `elif` cannot be inline `if`-`else` expressions (unless parenthesized).
    private mutating func parseIf(openedAt start: SourcePosition) throws(ChatTemplateError) -> JinjaNode {
        var condition = try parseExpression(allowingInlineIf: false)
        try expect(.blockEnd)
        var branches: [(condition: JinjaExpr, body: [JinjaNode])] = []
        while true {
            let (body, closer) = try parseBlockBody("if", openedAt: start, until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch closer {
            case "elif":
                condition = try parseExpression(allowingInlineIf: false)
                try expect(.blockEnd)
            case "else":
                try expect(.blockEnd)
                let otherwise = try parseBlockBody("if", openedAt: start, until: ["endif"]).nodes
                try expect(.blockEnd)
                return .conditional(branches: branches, otherwise: otherwise)
            default:
                try expect(.blockEnd)
                return .conditional(branches: branches, otherwise: [])
            }
        }
    }

    private mutating func parseFor(openedAt start: SourcePosition) throws(ChatTemplateError) -> JinjaNode {
        var variables: [String] = []
        repeat {
            guard case .name(let variable) = current.kind else { throw unexpected("a loop variable name") }
            advance()
            variables.append(variable)
        } while accept(symbol: ",") != nil
        guard accept(name: "in") != nil else { throw unexpected("'in'") }
        // As in Jinja, the iterable has no inline `if`: a trailing `if` filters the items instead.
        let iterable = try parseExpression(allowingInlineIf: false)
        let filter = try accept(name: "if") != nil ? parseExpression() : nil
        try expect(.blockEnd)
        loopDepth += 1
        let (body, closer) = try parseBlockBody("for", openedAt: start, until: ["else", "endfor"])
        loopDepth -= 1
        var otherwise: [JinjaNode] = []
        if closer == "else" {
            try expect(.blockEnd)
            otherwise = try parseBlockBody("for", openedAt: start, until: ["endfor"]).nodes
        }
        try expect(.blockEnd)
        return .loop(variables: variables, iterable: iterable, filter: filter, body: body, otherwise: otherwise)
    }

    private mutating func parseSet() throws(ChatTemplateError) -> JinjaNode {
        guard case .name(let name) = current.kind else { throw unexpected("a variable name") }
        advance()
        var attribute: String?
        if accept(symbol: ".") != nil {
            guard case .name(let attributeName) = current.kind else { throw unexpected("an attribute name") }
            advance()
            attribute = attributeName
        }
        guard accept(symbol: "=") != nil else {
            throw unexpected("'=' (only '{% set name = value %}' and '{% set name.attribute = value %}' are supported)")
        }
        let value = try parseExpression()
        try expect(.blockEnd)
        return .assignment(name: name, attribute: attribute, value: value)
    }

    /// `{% macro name(parameter, parameter=default) %}`, with the tag name read. A macro body is a new
    /// scope: `break` there does not reach a loop around the definition.
    private mutating func parseMacro(openedAt start: SourcePosition) throws(ChatTemplateError) -> JinjaNode {
        guard case .name(let name) = current.kind else { throw unexpected("a macro name") }
        advance()
        try expect(.symbol("("))
        var parameters: [(name: String, defaultValue: JinjaExpr?)] = []
        while accept(symbol: ")") == nil {
            if !parameters.isEmpty {
                try expect(.symbol(","))
                if accept(symbol: ")") != nil { break }
            }
            guard case .name(let parameter) = current.kind else { throw unexpected("a parameter name") }
            let position = current.position
            advance()
            guard !parameters.contains(where: { $0.name == parameter }) else {
                throw ChatTemplateError(.syntax, "duplicate parameter '\(parameter)' in macro '\(name)'", at: position)
            }
            let defaultValue = try accept(symbol: "=") != nil ? parseExpression() : nil
            if defaultValue == nil, parameters.last?.defaultValue != nil {
                throw ChatTemplateError(.syntax, "parameter '\(parameter)' without a default follows one with a default",
                                        at: position)
            }
            parameters.append((parameter, defaultValue))
        }
        try expect(.blockEnd)
        let enclosingLoops = loopDepth
        loopDepth = 0
        let body = try parseBlockBody("macro", openedAt: start, until: ["endmacro"]).nodes
        loopDepth = enclosingLoops
        try expect(.blockEnd)
        return .macro(JinjaMacro(name: name, parameters: parameters, body: body))
    }

    // MARK: Expressions

    private mutating func parseExpression(allowingInlineIf: Bool = true) throws(ChatTemplateError) -> JinjaExpr {
        try enter()
        defer { nesting -= 1 }
        var expression = try parseOr()
        while allowingInlineIf, let position = accept(name: "if") {
            let condition = try parseOr()
            let otherwise = try accept(name: "else") != nil ? parseExpression() : nil
            expression = try JinjaExpr(.conditional(value: expression, condition: condition, otherwise: otherwise),
                                       at: position)
        }
        return expression
    }

    private mutating func parseOr() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseAnd()
        while let position = accept(name: "or") {
            left = try JinjaExpr(.or(left, try parseAnd()), at: position)
        }
        return left
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseNot()
        while let position = accept(name: "and") {
            left = try JinjaExpr(.and(left, try parseNot()), at: position)
        }
        return left
    }

    private mutating func parseNot() throws(ChatTemplateError) -> JinjaExpr {
        guard let position = accept(name: "not") else { return try parseComparison() }
        try enter()
        defer { nesting -= 1 }
        return try JinjaExpr(.not(try parseNot()), at: position)
    }

    private mutating func parseComparison() throws(ChatTemplateError) -> JinjaExpr {
        let first = try parseSum()
        var rest: [(JinjaComparison, JinjaExpr)] = []
        var position = first.position
        while true {
            let operatorPosition = current.position
            let op: JinjaComparison
            if case .symbol(let symbol) = current.kind, let comparison = JinjaComparison(rawValue: symbol) {
                op = comparison
            } else if case .name("in") = current.kind {
                op = .in
            } else if case .name("not") = current.kind, case .name("in") = next.kind {
                op = .notIn
                advance()
            } else {
                break
            }
            if rest.isEmpty { position = operatorPosition }
            advance()
            rest.append((op, try parseSum()))
        }
        return try rest.isEmpty ? first : JinjaExpr(.comparison(first, rest), at: position)
    }

    private mutating func parseSum() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseConcat()
        while case .symbol(let symbol) = current.kind, symbol == "+" || symbol == "-" {
            let position = current.position
            advance()
            left = try JinjaExpr(.arithmetic(symbol == "+" ? .add : .subtract, left, try parseConcat()), at: position)
        }
        return left
    }

    private mutating func parseConcat() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseProduct()
        while let position = accept(symbol: "~") {
            left = try JinjaExpr(.concat(left, try parseProduct()), at: position)
        }
        return left
    }

    private mutating func parseProduct() throws(ChatTemplateError) -> JinjaExpr {
        var left = try parseUnary(withFilters: true)
        while case .symbol(let symbol) = current.kind, let op = JinjaArithmetic(rawValue: symbol),
              op == .multiply || op == .floorDivide || op == .modulo {
            let position = current.position
            advance()
            left = try JinjaExpr(.arithmetic(op, left, try parseUnary(withFilters: true)), at: position)
        }
        return left
    }

    /// As in Jinja, filters apply to the signed value: `-x | f` is `(-x) | f`.
    private mutating func parseUnary(withFilters: Bool) throws(ChatTemplateError) -> JinjaExpr {
        var expression: JinjaExpr
        if case .symbol(let symbol) = current.kind, symbol == "-" || symbol == "+" {
            let position = current.position
            advance()
            try enter()
            defer { nesting -= 1 }
            expression = try JinjaExpr(.sign(negative: symbol == "-", try parseUnary(withFilters: false)), at: position)
        } else {
            expression = try parsePostfix(try parsePrimary())
        }
        return try withFilters ? parseFiltersAndTests(expression) : expression
    }

    private mutating func parsePrimary() throws(ChatTemplateError) -> JinjaExpr {
        let token = current
        switch token.kind {
        case .name(let name):
            advance()
            let kind: JinjaExpr.Kind = switch name {
            case "true", "True": .literal(.bool(true))
            case "false", "False": .literal(.bool(false))
            case "none", "None": .literal(.none)
            default: .variable(name)
            }
            return try JinjaExpr(kind, at: token.position)
        case .string(var text):
            advance()
            // Adjacent string literals concatenate, as in Python.
            while case .string(let more) = current.kind {
                text += more
                advance()
            }
            return try JinjaExpr(.literal(.string(text)), at: token.position)
        case .integer(let value):
            advance()
            return try JinjaExpr(.literal(.int(value)), at: token.position)
        case .symbol("("):
            advance()
            // `(a, b)` and `()` are tuples, made lists here (they print as lists, which only `str()` shows).
            if accept(symbol: ")") != nil { return try JinjaExpr(.list([]), at: token.position) }
            let expression = try parseExpression()
            guard accept(symbol: ",") != nil else {
                try expect(.symbol(")"))
                return expression
            }
            return try JinjaExpr(.list([expression] + parseSequence(closedBy: ")")), at: token.position)
        case .symbol("["):
            advance()
            return try JinjaExpr(.list(try parseSequence(closedBy: "]")), at: token.position)
        case .symbol("{"):
            advance()
            return try JinjaExpr(.dict(try parseDictItems()), at: token.position)
        default:
            throw unexpected("an expression")
        }
    }

    /// Comma-separated expressions (a trailing comma is allowed) and the closing symbol.
    private mutating func parseSequence(closedBy closing: String) throws(ChatTemplateError) -> [JinjaExpr] {
        var items: [JinjaExpr] = []
        while accept(symbol: closing) == nil {
            if !items.isEmpty {
                try expect(.symbol(","))
                if accept(symbol: closing) != nil { break }
            }
            items.append(try parseExpression())
        }
        return items
    }

    /// Call arguments up to `)`: positional ones, then `name=value` keyword ones, as Python requires.
    private mutating func parseArguments() throws(ChatTemplateError) -> [JinjaArgument] {
        var arguments: [JinjaArgument] = []
        while accept(symbol: ")") == nil {
            if !arguments.isEmpty {
                try expect(.symbol(","))
                if accept(symbol: ")") != nil { break }
            }
            if case .name(let name) = current.kind, case .symbol("=") = next.kind {
                let position = current.position
                advance()
                advance()
                guard !arguments.contains(where: { $0.name == name }) else {
                    throw ChatTemplateError(.syntax, "keyword argument '\(name)' repeated", at: position)
                }
                arguments.append(JinjaArgument(name: name, value: try parseExpression()))
            } else {
                if arguments.last?.name != nil {
                    throw ChatTemplateError(.syntax, "positional argument follows keyword argument", at: current.position)
                }
                arguments.append(JinjaArgument(name: nil, value: try parseExpression()))
            }
        }
        return arguments
    }

    private mutating func parseDictItems() throws(ChatTemplateError) -> [(key: JinjaExpr, value: JinjaExpr)] {
        var items: [(key: JinjaExpr, value: JinjaExpr)] = []
        while accept(symbol: "}") == nil {
            if !items.isEmpty {
                try expect(.symbol(","))
                if accept(symbol: "}") != nil { break }
            }
            let key = try parseExpression()
            try expect(.symbol(":"))
            items.append((key, try parseExpression()))
        }
        return items
    }

    /// Attribute access, subscripts, slices and calls after a primary expression.
    private mutating func parsePostfix(_ primary: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
        var expression = primary
        while true {
            if accept(symbol: ".") != nil {
                let kind: JinjaExpr.Kind
                switch current.kind {
                case .name(let name): kind = .attribute(expression, name)
                case .integer(let index):
                    kind = .item(expression, try JinjaExpr(.literal(.int(index)), at: current.position))
                default: throw unexpected("an attribute name")
                }
                expression = try JinjaExpr(kind, at: current.position)
                advance()
            } else if let position = accept(symbol: "[") {
                expression = try parseSubscript(of: expression, at: position)
            } else if accept(symbol: "(") != nil {
                // Calls report errors where the callee's name is, e.g. at `raise_exception`.
                expression = try JinjaExpr(.call(expression, try parseArguments()), at: expression.position)
            } else {
                return expression
            }
        }
    }

    /// `[key]` or `[start:stop:step]`, with the `[` already read.
    private mutating func parseSubscript(of object: JinjaExpr, at position: SourcePosition) throws(ChatTemplateError)
        -> JinjaExpr {
        var start: JinjaExpr?
        if !isSymbol(":") {
            let key = try parseExpression()
            if accept(symbol: "]") != nil { return try JinjaExpr(.item(object, key), at: position) }
            start = key
        }
        try expect(.symbol(":"))
        let stop = try isSymbol(":") || isSymbol("]") ? nil : parseExpression()
        let step = try accept(symbol: ":") != nil && !isSymbol("]") ? parseExpression() : nil
        try expect(.symbol("]"))
        return try JinjaExpr(.slice(object, start: start, stop: stop, step: step), at: position)
    }

    private mutating func parseFiltersAndTests(_ value: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
        var expression = value
        while true {
            if accept(symbol: "|") != nil {
                guard case .name(let name) = current.kind else { throw unexpected("a filter name") }
                let position = current.position
                guard let filter = JinjaFilter(name: name) else {
                    throw ChatTemplateError(.syntax, "unknown filter '\(name)'", at: position)
                }
                advance()
                let arguments = try accept(symbol: "(") != nil ? parseArguments() : []
                try checkArguments(arguments, of: filter, named: name, at: position)
                expression = try JinjaExpr(.filter(expression, filter, arguments), at: position)
            } else if let position = accept(name: "is") {
                let negated = accept(name: "not") != nil
                guard case .name(let name) = current.kind else { throw unexpected("a test name") }
                guard let test = JinjaTest(name: name) else {
                    throw ChatTemplateError(.syntax, "unknown test '\(name)'", at: current.position)
                }
                advance()
                let argument = try parseTestArgument(of: test, named: name)
                expression = try JinjaExpr(.test(expression, test, argument: argument, negated: negated), at: position)
                if case .name("is") = current.kind {
                    throw ChatTemplateError(.syntax, "you cannot chain multiple tests with 'is'", at: current.position)
                }
            } else {
                return expression
            }
        }
    }

    /// Refuses at parse time the argument lists a filter cannot take: too many, or unknown keywords.
    private func checkArguments(_ arguments: [JinjaArgument], of filter: JinjaFilter, named name: String,
                                at position: SourcePosition) throws(ChatTemplateError) {
        let keywords = arguments.compactMap(\.name)
        let accepted = filter.parameters ?? filter.variadicKeywords
        if let unknown = keywords.first(where: { !accepted.contains($0) }) {
            throw ChatTemplateError(.syntax, "filter '\(name)' has no argument named '\(unknown)'", at: position)
        }
        guard let parameters = filter.parameters else { return }
        let positional = arguments.count - keywords.count
        guard positional <= parameters.count else {
            let most = parameters.isEmpty ? "no" : "at most \(parameters.count)"
            throw ChatTemplateError(.syntax, "filter '\(name)' takes \(most) argument(s), \(positional) given", at: position)
        }
    }

    /// The argument of a test that takes one, `is divisibleby 3` or `is divisibleby(3)`, as Jinja reads it.
    /// A test without one must not be followed by something Jinja would read as its argument.
    private mutating func parseTestArgument(of test: JinjaTest, named name: String) throws(ChatTemplateError) -> JinjaExpr? {
        let startsArgument: Bool = switch current.kind {
        case .name("else"), .name("and"), .name("or"), .name("if"), .name("not"), .name("in"), .name("is"): false
        case .name, .string, .integer, .symbol("("), .symbol("["), .symbol("{"): true
        default: false
        }
        guard test.takesArgument else {
            guard !startsArgument else {
                throw ChatTemplateError(.syntax, "unexpected \(Self.describe(current.kind)) after test '\(name)' (it takes no argument)",
                                        at: current.position)
            }
            return nil
        }
        guard startsArgument else { throw unexpected("an argument for test '\(name)'") }
        if let position = accept(symbol: "(") {
            let arguments = try parseSequence(closedBy: ")")
            guard arguments.count == 1 else {
                throw ChatTemplateError(.syntax, "test '\(name)' takes 1 argument, \(arguments.count) given", at: position)
            }
            return arguments[0]
        }
        return try parsePostfix(try parsePrimary())
    }

    // MARK: Tokens

    private var current: JinjaToken { tokens[index] }

    private var next: JinjaToken { tokens[min(index + 1, tokens.count - 1)] }

    /// Moves to the next token, staying on the final `.endOfInput`.
    private mutating func advance() {
        index = min(index + 1, tokens.count - 1)
    }

    private func isSymbol(_ symbol: String) -> Bool {
        current.kind == .symbol(symbol)
    }

    /// Reads the current token if it is `symbol`, returning where it was.
    private mutating func accept(symbol: String) -> SourcePosition? {
        guard isSymbol(symbol) else { return nil }
        defer { advance() }
        return current.position
    }

    /// Reads the current token if it is the name (or keyword) `name`, returning where it was.
    private mutating func accept(name: String) -> SourcePosition? {
        guard current.kind == .name(name) else { return nil }
        defer { advance() }
        return current.position
    }

    private mutating func expect(_ kind: JinjaToken.Kind) throws(ChatTemplateError) {
        guard current.kind == kind else { throw unexpected(Self.describe(kind)) }
        advance()
    }

    private mutating func enter() throws(ChatTemplateError) {
        guard nesting < Self.maximumNesting else {
            throw ChatTemplateError(.syntax, "template is nested too deeply", at: current.position)
        }
        nesting += 1
    }

    private func unexpected(_ expected: String) -> ChatTemplateError {
        ChatTemplateError(.syntax, "expected \(expected), found \(Self.describe(current.kind))", at: current.position)
    }

    private static func describe(_ kind: JinjaToken.Kind) -> String {
        switch kind {
        case .text: "text"
        case .variableStart: "'{{'"
        case .variableEnd: "'}}'"
        case .blockStart: "'{%'"
        case .blockEnd: "'%}'"
        case .name(let name): "'\(name)'"
        case .string: "a string"
        case .integer(let value): "'\(value)'"
        case .symbol(let symbol): "'\(symbol)'"
        case .endOfInput: "the end of the template"
        }
    }
}
