/// A setting out of its range or in conflict with another, naming it both ways: as the command-line flag and
/// as the config-file key (`--learning-rate / optimizer.learning-rate: must be positive, got -1`).
public struct SettingsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The flag, without dashes (`learning-rate`).
    public let flag: String
    /// The config-file key path (`optimizer.learning-rate`).
    public let key: String
    public let reason: String

    public init(flag: String, key: String, _ reason: String) {
        self.flag = flag
        self.key = key
        self.reason = reason
    }

    public var description: String { "--\(flag) / \(key): \(reason)" }
}
