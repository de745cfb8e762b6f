import Foundation

/// A config file that cannot be used, with the file, the line where known, and the problem.
public struct ConfigFileError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    public let path: String
    /// 1-based line of the problem; nil for problems without one (JSON values, unreadable files).
    public let line: Int?
    public let reason: String

    public init(path: String, line: Int? = nil, _ reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var description: String { line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)" }
    public var errorDescription: String? { description }
}
