import Core

/// Where a training example came from: a file and a 1-based line.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

extension FileError {
    /// A problem with the example at `location` (in memory when nil).
    public init(_ location: SourceLocation?, _ reason: String) {
        self.init(path: location?.file ?? "<memory>", line: location?.line, reason)
    }
}
