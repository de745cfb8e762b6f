/// A tokenizer definition that cannot be used, saying where the problem is: the file (when there is one),
/// the field inside it, and what is wrong.
public struct TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String?
    public var field: String?
    public var message: String

    public init(file: String? = nil, field: String? = nil, _ message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        ([file, field].compactMap { $0 } + [message]).joined(separator: ": ")
    }
}
