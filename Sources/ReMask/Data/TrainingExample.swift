import Models

/// One training record, in one of the three shapes the JSONL reader accepts.
public struct TrainingExample: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `{"messages": [{"role", "content"}, …]}`: roles system, user, assistant; at least one assistant
        /// message, and the last message is the assistant's.
        case chat([ChatMessage])
        /// `{"prompt", "rationale", "answer"}`.
        case chainOfThought(prompt: String, rationale: String, answer: String)
        /// `{"prompt", "completion"}`: a single-turn chat.
        case completion(prompt: String, completion: String)
    }

    public var kind: Kind
    /// The file and line it was read from; nil for examples built in memory.
    public var source: SourceLocation?

    public init(_ kind: Kind, source: SourceLocation? = nil) {
        self.kind = kind
        self.source = source
    }

    /// The roles a chat message may have.
    public static let chatRoles: Set<String> = ["system", "user", "assistant"]
}
