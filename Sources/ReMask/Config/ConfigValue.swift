import Foundation

/// One setting from a config file: a string, an integer, a floating-point number, a boolean or a list of
/// strings. Encodes to (and decodes from) the plain JSON value.
public enum ConfigValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([String])

    /// The value as a command-line argument would spell it (`1e-05`, `true`, `a,b`).
    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): String(b)
        case .list(let items): items.joined(separator: ",")
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let items = try? c.decode([ListItem].self) {
            self = .list(items.map(\.text))
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription:
                "expected a string, number, boolean or list of scalars (nested objects, nested lists and null are not supported)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .bool(let b): try c.encode(b)
        case .list(let items): try c.encode(items)
        }
    }

    /// A list element: any JSON scalar, kept as its text (`[1, "a", true]` → `["1", "a", "true"]`).
    private struct ListItem: Decodable {
        let text: String
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) {
                text = String(b)
            } else if let i = try? c.decode(Int.self) {
                text = String(i)
            } else if let d = try? c.decode(Double.self) {
                text = String(d)
            } else {
                text = try c.decode(String.self)
            }
        }
    }
}
