import Foundation

/// A file or folder of a training run (output folder, metrics, plot) that cannot be created, read or
/// written, with the path and the reason.
public struct TrainingFileError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
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

    /// The reason for the last failed system call (`strerror(errno)`).
    static func systemReason() -> String { String(cString: strerror(errno)) }
}
