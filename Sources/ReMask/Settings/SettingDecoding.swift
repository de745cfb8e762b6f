import Foundation

/// A setting whose value is one of a fixed set of names (`objective: remask`). Decoding a name outside the set
/// fails with the names it could have been.
public protocol SettingChoice: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension SettingChoice {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let value = Self(rawValue: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be one of \(Self.names), got '\(name)'")
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The names, comma-separated, for messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// A coding key that takes any name: lists the keys a mapping really has.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws for the first key of this mapping that `Keys` does not name, listing the ones it does: settings
    /// groups decode on top of their defaults, so a misspelt key would otherwise be ignored without a word.
    func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_: Keys.Type) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        let known = Keys.allCases.map(\.stringValue)
        guard let unknown = container.allKeys.first(where: { !known.contains($0.stringValue) }) else { return }
        throw DecodingError.dataCorrupted(DecodingError.Context(
            codingPath: codingPath + [unknown],
            debugDescription: "is not a setting (here: \(known.joined(separator: ", ")))"))
    }
}

extension KeyedDecodingContainer {
    /// Replaces `value` with the setting at `key` when the mapping has one (a group decodes on top of its defaults).
    func fill<T: Decodable>(_ value: inout T, _ key: Key) throws {
        if let decoded = try decodeIfPresent(T.self, forKey: key) { value = decoded }
    }
}
