/// Feeds a `--config FILE` to a command-line parser as flags.
///
/// Precedence, highest first: flags written on the command line, then the config file's settings, then
/// the command's defaults. `expand` puts the file's settings, spelled as flags, in front of the command
/// line and leaves out every setting the command line gives itself, so the parser sees each setting once
/// (list settings are replaced, not merged).
///
/// How settings are spelled (what the command's declarations must accept):
/// - `key: value` → `--key=value` (the `=` form, so negative numbers are not taken for flags);
/// - `key: true` → `--key`; `key: false` → `--no-key` (declare boolean flags with a `--no-` inversion,
///   `inversion: .prefixedNo` in swift-argument-parser);
/// - `key: [a, b]` → `--key=a --key=b` (an empty list adds nothing).
public enum ConfigArguments {
    /// `arguments` (a command's arguments, without the program and subcommand names) with the settings of
    /// the config file named by `--config FILE` or `--config=FILE` inserted in front; unchanged without
    /// one. `--config` stays in the result, so the command can declare it (and `--help` can list it).
    /// When `allowedKeys` is given, a setting outside it is an error naming the file and line.
    public static func expand(_ arguments: [String], allowedKeys: Set<String>? = nil) throws -> [String] {
        guard let path = try configPath(in: arguments) else { return arguments }
        let file = try ConfigFile(path: path)
        if let allowedKeys { try file.checkKeys(allowed: allowedKeys) }
        let explicit = explicitKeys(in: arguments)
        return flags(for: file.entries.filter { !explicit.contains($0.key) }) + arguments
    }

    /// The settings as flags, in order.
    public static func flags(for entries: [ConfigFile.Entry]) -> [String] {
        entries.flatMap { entry -> [String] in
            switch entry.value {
            case .bool(true): ["--\(entry.key)"]
            case .bool(false): ["--no-\(entry.key)"]
            case .list(let items): items.map { "--\(entry.key)=\($0)" }
            default: ["--\(entry.key)=\(entry.value)"]
            }
        }
    }

    /// The settings a command line gives: `--key`, `--key value`, `--key=value`, and for `--no-key` both
    /// `no-key` and `key`. Underscores count as hyphens; scanning stops at a `--` terminator.
    static func explicitKeys(in arguments: [String]) -> Set<String> {
        var keys: Set<String> = []
        for argument in arguments {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            let name = argument.dropFirst(2).prefix { $0 != "=" }.replacingOccurrences(of: "_", with: "-")
            keys.insert(name)
            if name.hasPrefix("no-") { keys.insert(String(name.dropFirst(3))) }
        }
        return keys
    }

    /// The value of `--config` (given at most once), if any.
    private static func configPath(in arguments: [String]) throws -> String? {
        var found: String?
        var i = 0
        while i < arguments.count, arguments[i] != "--" {
            let argument = arguments[i]
            var value: String?
            if argument == "--config" {
                guard i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") else {
                    throw ConfigFileError(path: "--config", "needs the path of a YAML or JSON config file")
                }
                value = arguments[i + 1]
                i += 1
            } else if argument.hasPrefix("--config=") {
                value = String(argument.dropFirst("--config=".count))
            }
            if let value {
                guard found == nil else { throw ConfigFileError(path: "--config", "is given more than once") }
                guard !value.isEmpty else { throw ConfigFileError(path: "--config", "needs the path of a YAML or JSON config file") }
                found = value
            }
            i += 1
        }
        return found
    }
}
