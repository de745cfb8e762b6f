import Foundation

/// A training config file: settings whose keys mirror the command-line flags (`learning-rate: 1e-5` for
/// `--learning-rate 1e-5`), in YAML (the subset `YAMLSubset` documents) or JSON (one flat object).
///
/// Keys are normalized to the flag spelling: `learning_rate` and `learning-rate` are the same setting
/// (giving both is an error). The format follows the extension (`.json`, `.yaml`, `.yml`); other files are
/// JSON when they start with `{`, else YAML.
public struct ConfigFile: Sendable {
    /// One setting: the normalized key, its value, and its line (YAML only).
    public struct Entry: Sendable, Equatable {
        public let key: String
        public let value: ConfigValue
        public let line: Int?

        public init(key: String, value: ConfigValue, line: Int?) {
            self.key = key
            self.value = value
            self.line = line
        }
    }

    public enum Format: Sendable { case yaml, json }

    public let path: String
    /// The settings in file order (JSON: sorted by key).
    public let entries: [Entry]

    /// Reads and parses the file at `path`.
    public init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigFileError(path: path, "cannot read the config file: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigFileError(path: path, "the config file is not UTF-8 text")
        }
        try self.init(text: text, format: Self.format(of: path, text: text), path: path)
    }

    /// Parses config text; `path` names it in errors.
    public init(text: String, format: Format, path: String) throws {
        let raw: [Entry]
        switch format {
        case .yaml: raw = try YAMLSubset.parse(text, path: path).map { Entry(key: $0.key, value: $0.value, line: $0.line) }
        case .json: raw = try Self.parseJSON(text, path: path)
        }
        var seen: [String: Entry] = [:]
        var entries: [Entry] = []
        for entry in raw {
            let normalized = Entry(key: entry.key.replacingOccurrences(of: "_", with: "-"), value: entry.value, line: entry.line)
            if let first = seen[normalized.key] {
                let firstLine = first.line.map { " (first set on line \($0))" } ?? ""
                throw ConfigFileError(path: path, line: entry.line, "'\(normalized.key)' is set twice\(firstLine)")
            }
            seen[normalized.key] = normalized
            entries.append(normalized)
        }
        self.path = path
        self.entries = entries
    }

    /// The value of a setting, by its flag spelling.
    public subscript(key: String) -> ConfigValue? {
        entries.first { $0.key == key }?.value
    }

    /// The settings whose keys are not in `allowed` (flag names without `--`).
    public func unknownKeys(allowed: Set<String>) -> [Entry] {
        entries.filter { !allowed.contains($0.key) }
    }

    /// Throws for the first setting whose key is not in `allowed`, naming the file, line and key.
    public func checkKeys(allowed: Set<String>) throws {
        guard let unknown = unknownKeys(allowed: allowed).first else { return }
        throw ConfigFileError(path: path, line: unknown.line,
                              "unknown setting '\(unknown.key)' (settings are the command's flags without '--'; see --help)")
    }

    private static func format(of path: String, text: String) -> Format {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "json": return .json
        case "yaml", "yml": return .yaml
        default: return text.drop(while: \.isWhitespace).first == "{" ? .json : .yaml
        }
    }

    private static func parseJSON(_ text: String, path: String) throws -> [Entry] {
        let data = Data(text.utf8)
        do {
            _ = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw jsonSyntaxError(error, text: text, path: path)
        }
        do {
            return try JSONDecoder().decode(JSONSettings.self, from: data).entries
        } catch let problem as ConfigFileError {
            throw ConfigFileError(path: path, problem.reason)
        } catch {
            throw ConfigFileError(path: path, "must be a JSON object mapping setting names to values")
        }
    }

    /// Foundation reports JSON syntax errors "around character N"; this gives the line instead.
    private static func jsonSyntaxError(_ error: Error, text: String, path: String) -> ConfigFileError {
        let detail = (error as NSError).userInfo["NSDebugDescription"] as? String ?? "\(error)"
        guard let match = detail.firstMatch(of: /(.*) around character (\d+)\.?/),
              let offset = Int(match.2) else {
            return ConfigFileError(path: path, "not valid JSON: \(detail)")
        }
        let line = text.utf8.prefix(offset).count(where: { $0 == UInt8(ascii: "\n") }) + 1
        return ConfigFileError(path: path, line: line, "not valid JSON: \(match.1)")
    }
}

/// A flat JSON object of settings, sorted by key; a bad value names its key.
private struct JSONSettings: Decodable {
    let entries: [ConfigFile.Entry]

    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let object = try decoder.container(keyedBy: Key.self)
        entries = try object.allKeys.sorted { $0.stringValue < $1.stringValue }.map { key in
            guard let value = try? object.decode(ConfigValue.self, forKey: key) else {
                throw ConfigFileError(path: "", "'\(key.stringValue)' must be a string, number, boolean or list of scalars (nested objects and null are not supported)")
            }
            return ConfigFile.Entry(key: key.stringValue, value: value, line: nil)
        }
    }
}
