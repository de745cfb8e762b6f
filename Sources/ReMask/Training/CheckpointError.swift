import Foundation

/// A checkpoint that cannot be written or used, naming the file (or folder) and what is wrong.
public struct CheckpointError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// The file or folder concerned.
    public let path: String
    /// What is wrong, without the path.
    public let reason: String

    public init(path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
    public var errorDescription: String? { description }
}
