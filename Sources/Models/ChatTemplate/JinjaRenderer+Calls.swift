/// Calls: methods of values, the globals, and macros.
extension JinjaRenderer {
    /// Calls a method of a value (`text.strip()`), a global function (`raise_exception(message)`, with which
    /// templates reject conversations they cannot format) or a macro.
    mutating func call(_ callee: JinjaExpr, _ arguments: JinjaArguments, at expression: JinjaExpr)
        throws(ChatTemplateError) -> JinjaValue {
        if case .attribute(let object, let name) = callee.kind {
            let receiver = try evaluateReceiver(object)
            // A namespace attribute or dict item holding a function is called, not looked up as a method.
            if case .function(let function) = receiver.attribute(name) {
                return try call(function, arguments, at: expression)
            }
            return try at(expression) { () throws(JinjaFailure) in try callMethod(name, on: receiver, arguments) }
        }
        let value = try evaluate(callee)
        switch value {
        case .function(let function): return try call(function, arguments, at: expression)
        case .undefined(let message): throw ChatTemplateError(.render, message, at: callee.position)
        default: throw ChatTemplateError(.render, "'\(value.typeName)' object is not callable", at: callee.position)
        }
    }

    private mutating func call(_ function: JinjaFunction, _ arguments: JinjaArguments, at expression: JinjaExpr)
        throws(ChatTemplateError) -> JinjaValue {
        switch function {
        case .global(.raiseException):
            guard arguments.positional.count == 1 && arguments.keywords.isEmpty else {
                let given = arguments.positional.count + arguments.keywords.count
                throw ChatTemplateError(.render, "raise_exception() takes 1 argument, \(given) given", at: expression.position)
            }
            throw ChatTemplateError(.raised, arguments.positional[0].text, at: expression.position)
        case .global(let global):
            let now = self.now
            let value = try at(expression) { () throws(JinjaFailure) in try global.call(arguments, now: now) }
            if case .namespace(let namespace) = value { namespaces.append(namespace) }
            return value
        case .macro(let macro):
            return try callMacro(macro, arguments, at: expression)
        }
    }

    /// Renders a macro's body with its parameters bound, in a scope that sees the template's top-level
    /// variables but not the caller's loop variables, and returns the text.
    private mutating func callMacro(_ macro: JinjaMacro, _ arguments: JinjaArguments, at expression: JinjaExpr)
        throws(ChatTemplateError) -> JinjaValue {
        guard macroDepth < Self.maximumMacroDepth else {
            throw ChatTemplateError(.render, "macro calls nested deeper than \(Self.maximumMacroDepth)", at: expression.position)
        }
        try count(expression)
        let names = macro.parameters.map(\.name)
        let bound = try at(expression) { () throws(JinjaFailure) in try arguments.bind(names, function: macro.name) }
        // Defaults are evaluated at call time, seeing the parameters bound before them.
        scopes.append([:])
        for (parameter, value) in zip(macro.parameters, bound) {
            var resolved = value ?? .undefined("parameter '\(parameter.name)' was not provided")
            if value == nil, let defaultValue = parameter.defaultValue { resolved = try evaluate(defaultValue) }
            scopes[scopes.count - 1][parameter.name] = resolved
        }
        let callerScopes = scopes
        let callerOutput = output
        scopes = [scopes[0], scopes[scopes.count - 1]]
        output = ""
        macroDepth += 1
        defer {
            macroDepth -= 1
            scopes = callerScopes.dropLast()
            output = callerOutput
        }
        try render(macro.body)
        let result = output
        return .string(result)
    }
}
