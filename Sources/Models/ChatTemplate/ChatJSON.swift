/// Arbitrary JSON, as tool definitions and tool-call arguments carry it into a chat template. Objects keep
/// their members in order, because templates print them with `tojson` and a model was trained on that order.
public indirect enum ChatJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ChatJSON])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: ChatJSON

        public init(_ key: String, _ value: ChatJSON) {
            self.key = key
            self.value = value
        }
    }

    /// The value of `key` in an object (the last one, as Python's `json.loads` keeps), nil otherwise.
    public subscript(key: String) -> ChatJSON? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The template's view: a dict keeps the last of repeated keys, at the place of the first, as Python's does.
    var jinjaValue: JinjaValue {
        switch self {
        case .null: .none
        case .bool(let value): .bool(value)
        case .int(let value): .int(value)
        case .double(let value): .float(value)
        case .string(let value): .string(value)
        case .array(let items): .list(items.map(\.jinjaValue))
        case .object(let members): .dict(JinjaDict(members.map { ($0.key, $0.value.jinjaValue) }))
        }
    }
}

/// Decoding keeps the order of object members only as far as the decoder reports them (Foundation's
/// `JSONDecoder` does not); `ChatJSON(parsing:)` always keeps the document's order.
extension ChatJSON: Codable {
    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: Key.self) {
            self = .object(try object.allKeys.map { Member($0.stringValue, try object.decode(ChatJSON.self, forKey: $0)) })
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [ChatJSON] = []
            while !array.isAtEnd { items.append(try array.decode(ChatJSON.self)) }
            self = .array(items)
            return
        }
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            self = .null
        } else if let bool = try? value.decode(Bool.self) {
            self = .bool(bool)
        } else if let int = try? value.decode(Int.self) {
            self = .int(int)
        } else if let double = try? value.decode(Double.self) {
            self = .double(double)
        } else {
            self = .string(try value.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for member in members { try container.encode(member.value, forKey: Key(stringValue: member.key)) }
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        default:
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .double(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .array, .object: break
            }
        }
    }
}
