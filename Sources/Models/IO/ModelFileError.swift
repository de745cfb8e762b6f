import Foundation

/// A model file that cannot be read or written, with the file and the reason.
///
/// Model files come from the network and are untrusted: every problem their bytes can have (truncation,
/// hostile counts or offsets, unknown types) surfaces as this error, never as a crash.
public struct ModelFileError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// The file concerned.
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
