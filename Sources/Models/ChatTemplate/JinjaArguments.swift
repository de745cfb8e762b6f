/// The evaluated arguments of a call or filter: positional ones, then keyword ones in the order written.
struct JinjaArguments {
    var positional: [JinjaValue] = []
    var keywords: [(name: String, value: JinjaValue)] = []

    /// Binds the arguments to `parameters` the way Python does, positional first, then by name: one value per
    /// parameter, nil for those not passed. `function` names the callee in error messages.
    func bind(_ parameters: [String], function: String) throws(JinjaFailure) -> [JinjaValue?] {
        guard positional.count <= parameters.count else {
            throw JinjaFailure("\(function)() takes at most \(parameters.count) argument(s), \(positional.count) given")
        }
        var bound: [JinjaValue?] = positional + Array(repeating: nil, count: parameters.count - positional.count)
        for (name, value) in keywords {
            guard let index = parameters.firstIndex(of: name) else {
                throw JinjaFailure("\(function)() got an unexpected keyword argument '\(name)'")
            }
            guard bound[index] == nil else { throw JinjaFailure("\(function)() got multiple values for argument '\(name)'") }
            bound[index] = value
        }
        return bound
    }

    /// The positional arguments of a callee that takes no keyword arguments.
    func positionalOnly(function: String) throws(JinjaFailure) -> [JinjaValue] {
        if let keyword = keywords.first { throw JinjaFailure("\(function)() got an unexpected keyword argument '\(keyword.name)'") }
        return positional
    }
}
