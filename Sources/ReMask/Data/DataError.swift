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

/// A problem with training data, naming the file, the line when there is one, and the reason:
/// `data/train.jsonl:17: missing field "answer"`.
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    /// 1-based; nil for problems with the whole file (unreadable, no examples).
    public var line: Int?
    public var reason: String

    public init(file: String, line: Int? = nil, _ reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public init(_ location: SourceLocation?, _ reason: String) {
        self.init(file: location?.file ?? "<memory>", line: location?.line, reason)
    }

    public var description: String {
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}
