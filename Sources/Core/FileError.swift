import Foundation

/// A file or folder that cannot be read, written or used, with its path, the line where one is known, and the
/// reason: `data/train.jsonl:17: missing field "answer"`. Model files, data, configs, checkpoints and run folders
/// all report problems this way; files from the network are untrusted, and every problem their bytes can have
/// surfaces as this error, never as a crash.
public struct FileError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// The file or folder concerned.
    public var path: String
    /// 1-based line of the problem; nil for problems without one.
    public var line: Int?
    /// What is wrong, without the path.
    public var reason: String

    public init(path: String, line: Int? = nil, _ reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var description: String { line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)" }
    public var errorDescription: String? { description }

    /// The reason for the last failed system call (`strerror(errno)`).
    public static func systemReason() -> String { String(cString: strerror(errno)) }
}
