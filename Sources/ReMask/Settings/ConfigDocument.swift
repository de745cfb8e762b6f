import Foundation
import Yams
import Core

/// A config file (YAML, or JSON, which YAML reads too), parsed by Yams into a tree that keeps every value's
/// line, and decoded into settings types with errors that name the file, the line and the key.
///
/// Keys nest (`optimizer: {learning-rate: 3e-4}`); a dotted key is the same (`optimizer.learning-rate: 3e-4`),
/// and `_` in a key reads as `-`. A key set twice, in either spelling, is an error. Shorthands give a group
/// by one name (`objective: sft` for `objective: {name: sft}`, with `["objective": "name"]`).
public struct ConfigDocument {
    public let path: String
    /// The root mapping, keys normalized and dotted keys nested.
    public let root: Node

    /// The largest config file read, and the most values it may hold: a config is a page of settings, and
    /// YAML aliases could otherwise expand a small file into an enormous tree.
    static let maxBytes = 1 << 20, maxNodes = 100_000

    /// Reads and parses the file at `path`.
    public init(path: String, shorthands: [String: String] = [:]) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FileError(path: path, "cannot read the config file: \(error.localizedDescription)")
        }
        guard data.count <= Self.maxBytes else {
            throw FileError(path: path, "is \(data.count) bytes; a config file may hold at most \(Self.maxBytes)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw FileError(path: path, "is not UTF-8 text") }
        try self.init(text: text, path: path, shorthands: shorthands)
    }

    /// Parses config text; `path` names it in errors.
    public init(text: String, path: String, shorthands: [String: String] = [:]) throws {
        self.path = path
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.syntaxError(error, path: path)
        }
        guard let node else {
            root = .mapping(Node.Mapping([]))
            return
        }
        guard case .mapping = node else {
            throw FileError(path: path, line: node.mark?.line, "must be a mapping of settings (key: value), not a single value or list")
        }
        var budget = Self.maxNodes
        root = try Self.normalize(node, path: path, shorthands: shorthands, depth: 0, budget: &budget)
    }

    /// The node at `keys` under `node` (default: the root), or nil.
    public func node(at keys: [String], in node: Node? = nil) -> Node? {
        var current = node ?? root
        for key in keys {
            guard let next = current.mapping?[key] else { return nil }
            current = next
        }
        return current
    }

    /// The line of the value at `keys` (dotted or nested), or of its deepest ancestor that exists.
    public func line(of keys: [String], in node: Node? = nil) -> Int? {
        var current = node ?? root
        var line = current.mark?.line
        for key in keys {
            guard let mapping = current.mapping, let (k, v) = mapping.first(where: { $0.key.string == key }) else { break }
            line = k.mark?.line ?? v.mark?.line
            current = v
        }
        return line
    }

    /// Decodes `node` (default: the root) as `T`; a bad value is an error naming the file, line and key
    /// (`prefix` is the key path of `node` in the file, for messages).
    public func decode<T: Decodable>(_ type: T.Type, from node: Node? = nil, prefix: [String] = []) throws -> T {
        let node = node ?? root
        do {
            return try YAMLDecoder().decode(type, from: node)
        } catch let error as DecodingError {
            throw describe(error, in: node, prefix: prefix)
        }
    }

    /// An error at `keys` under `node`, with its line.
    public func error(at keys: [String], in node: Node? = nil, _ reason: String) -> FileError {
        FileError(path: path, line: line(of: keys, in: node), reason)
    }

    /// Every value as a `key.path=value` line in file order (a list of values on one line, comma-separated):
    /// two files with the same lines hold the same settings.
    public func flattened() -> [String] {
        var lines: [String] = []
        func walk(_ node: Node, _ path: String) {
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping { walk(value, path.isEmpty ? key.string ?? "" : path + "." + (key.string ?? "")) }
            case .sequence(let sequence) where sequence.allSatisfy({ $0.scalar != nil }):
                lines.append(path + "=" + sequence.compactMap { $0.scalar?.string }.joined(separator: ","))
            case .sequence(let sequence):
                for (i, item) in sequence.enumerated() { walk(item, "\(path).\(i)") }
            case .scalar(let scalar):
                lines.append(path + "=" + scalar.string)
            case .alias:
                break
            }
        }
        walk(root, "")
        return lines
    }

    /// `layers` merged, later ones winning: mappings merge key by key, anything else is replaced.
    public static func merge(_ layers: [Node]) -> Node {
        layers.dropFirst().reduce(layers.first ?? .mapping(Node.Mapping([]))) { merge($0, $1) }
    }

    private static func merge(_ base: Node, _ top: Node) -> Node {
        guard var merged = base.mapping, let overlay = top.mapping else { return top }
        for (key, value) in overlay {
            guard let name = key.string else { continue }
            merged[name] = merged[name].map { merge($0, value) } ?? value
        }
        return .mapping(merged)
    }

    // MARK: - Normalizing

    private static func normalize(_ node: Node, path: String, shorthands: [String: String], depth: Int, budget: inout Int) throws -> Node {
        budget -= 1
        guard budget >= 0, depth < 32 else {
            throw FileError(path: path, line: node.mark?.line, "holds more than \(maxNodes) values or nests deeper than 32 levels")
        }
        switch node {
        case .scalar, .alias:
            return node
        case .sequence(var sequence):
            for i in sequence.indices {
                sequence[i] = try normalize(sequence[i], path: path, shorthands: shorthands, depth: depth + 1, budget: &budget)
            }
            return .sequence(sequence)
        case .mapping(let mapping):
            var result = Node.Mapping([], mapping.tag, mapping.style, mapping.mark)
            for (key, value) in mapping {
                guard let text = key.scalar?.string, !text.isEmpty else {
                    throw FileError(path: path, line: key.mark?.line, "setting names must be plain text")
                }
                let parts = text.replacingOccurrences(of: "_", with: "-").split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard !parts.contains(where: \.isEmpty) else {
                    throw FileError(path: path, line: key.mark?.line, "'\(text)' is not a setting name")
                }
                var nested = try normalize(value, path: path, shorthands: shorthands, depth: depth + 1, budget: &budget)
                if let nameKey = shorthands[parts[parts.count - 1]], case .scalar = nested {
                    nested = .mapping(Node.Mapping([(Self.key(nameKey, key.mark), nested)], .implicit, .any, key.mark))
                }
                for part in parts.dropFirst().reversed() {
                    nested = .mapping(Node.Mapping([(Self.key(part, key.mark), nested)], .implicit, .any, key.mark))
                }
                try insert(nested, at: [parts[0]], keyMark: key.mark, into: &result, path: path)
            }
            return .mapping(result)
        }
    }

    /// Adds `value` at `key`, merging with a mapping already there (`a.b: 1` beside `a: {c: 2}`); a key set
    /// twice is an error naming both lines.
    private static func insert(_ value: Node, at keyPath: [String], keyMark: Mark?, into mapping: inout Node.Mapping, path: String) throws {
        let key = keyPath[keyPath.count - 1]
        guard let existing = mapping[key] else {
            mapping[Self.key(key, keyMark)] = value
            return
        }
        guard var inner = existing.mapping, let added = value.mapping else {
            let first = (mapping.first { $0.key.string == key }?.key.mark?.line).map { " (first set on line \($0))" } ?? ""
            throw FileError(path: path, line: keyMark?.line, "'\(keyPath.joined(separator: "."))' is set twice\(first)")
        }
        for (k, v) in added {
            guard let name = k.string else { continue }
            try insert(v, at: keyPath + [name], keyMark: k.mark ?? keyMark, into: &inner, path: path)
        }
        mapping[key] = .mapping(inner)
    }

    /// A key node that remembers its line.
    private static func key(_ text: String, _ mark: Mark?) -> Node { .scalar(Node.Scalar(text, .implicit, .any, mark)) }

    // MARK: - Errors

    private static func syntaxError(_ error: YamlError, path: String) -> FileError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            return FileError(path: path, line: mark.line, "not valid YAML: \(context.map { "\($0.text) " } ?? "")\(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return FileError(path: path, line: context.mark.line,
                                   "\(duplicates.map { "'\($0)'" }.joined(separator: ", ")) is set twice in one mapping")
        default:
            return FileError(path: path, "not valid YAML: \(error)")
        }
    }

    private func describe(_ error: DecodingError, in node: Node, prefix: [String]) -> FileError {
        let (codingPath, reason): ([CodingKey], String) = switch error {
        case let .typeMismatch(type, context): (context.codingPath, "must be \(Self.expectation(type))")
        case let .valueNotFound(type, context): (context.codingPath, "must be \(Self.expectation(type))")
        case let .dataCorrupted(context): (context.codingPath, context.debugDescription)
        case let .keyNotFound(key, context): (context.codingPath + [key], "is required")
        @unknown default: ([], "\(error)")
        }
        var keys: [String] = []
        var current: Node? = node
        for key in codingPath {
            if let index = key.intValue, let sequence = current?.sequence, index < sequence.count {
                keys.append("\(index)")
                current = sequence[index]
            } else {
                keys.append(key.stringValue)
                current = current?.mapping?[key.stringValue]
            }
        }
        let name = (prefix + keys).joined(separator: ".")
        let got = reason.hasPrefix("must be") && !reason.contains(", got") ? current?.scalar.map { ", got '\($0.string)'" } ?? "" : ""
        let line = current?.mark?.line ?? self.line(of: keys.filter { Int($0) == nil }, in: node)
        return FileError(path: path, line: line, "'\(name)' \(reason)\(got)")
    }

    private static func expectation(_ type: Any.Type) -> String {
        switch type {
        case is Float.Type, is Double.Type, is Float?.Type, is Double?.Type: "a number"
        case is Int.Type, is UInt64.Type, is Int?.Type, is UInt64?.Type: "an integer"
        case is Bool.Type, is Bool?.Type: "true or false"
        case is String.Type, is String?.Type: "text"
        case is Node.Scalar.Type: "a single value, not a list or mapping"
        case is Node.Mapping.Type: "a mapping (key: value)"
        case is Node.Sequence.Type: "a list"
        default: "a \(type)"
        }
    }
}
