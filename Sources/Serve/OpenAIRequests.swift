import Models

/// Request bodies of the endpoints, as OpenAI's API defines them. Fields remask does not use are ignored;
/// fields it uses are checked by `RequestValidator`.

/// `POST /v1/chat/completions`.
public struct ChatCompletionRequest: Decodable, Sendable {
    public var model: String?
    public var messages: [Message]
    public var temperature: Double?
    public var topP: Double?
    public var maxTokens: Int?
    /// The newer name of `max_tokens`.
    public var maxCompletionTokens: Int?
    public var stop: StopSequences?
    public var seed: Int?
    public var n: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var logprobs: Bool?
    /// Function definitions (JSON schemas) for templates that describe tools to the model.
    public var tools: [ChatJSON]?

    public struct Message: Decodable, Sendable {
        public var role: String
        public var content: MessageContent?
        /// An assistant turn's function calls, a tool turn's call id and function name, passed to the template.
        public var toolCalls: [ChatToolCall]?
        public var toolCallID: String?
        public var name: String?

        enum CodingKeys: String, CodingKey {
            case role, content, name, toolCalls = "tool_calls", toolCallID = "tool_call_id"
        }

        /// The turn as the chat template sees it.
        var chatMessage: ChatMessage {
            ChatMessage(role: role, content: content?.text ?? "", toolCalls: toolCalls, toolCallID: toolCallID, name: name)
        }
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, topP = "top_p", maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
        case stop, seed, n, stream, streamOptions = "stream_options", logprobs, tools
    }
}

/// `POST /v1/completions`.
public struct CompletionRequest: Decodable, Sendable {
    public var model: String?
    public var prompt: Prompt
    public var temperature: Double?
    public var topP: Double?
    public var maxTokens: Int?
    public var stop: StopSequences?
    public var seed: Int?
    public var n: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    /// How many alternatives to report per token (the chosen token is always reported).
    public var logprobs: Int?
    /// Return the prompt before the completion (with its tokens' logprobs when `logprobs` is set).
    public var echo: Bool?

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, topP = "top_p", maxTokens = "max_tokens", stop, seed, n, stream
        case streamOptions = "stream_options", logprobs, echo
    }
}

/// `stream_options`: `include_usage` adds a last chunk with the token counts.
public struct StreamOptions: Decodable, Sendable {
    public var includeUsage: Bool?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// A message's content: a string, or a list of parts of which only text parts are understood.
public struct MessageContent: Decodable, Sendable {
    public var text: String

    struct Part: Decodable {
        var type: String
        var text: String?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) {
            self.text = text
            return
        }
        guard let parts = try? c.decode([Part].self) else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath,
                                                                 debugDescription: "expected a string or a list of content parts"))
        }
        if let other = parts.first(where: { $0.type != "text" }) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "content parts of type '\(other.type)' are not supported (text only)"))
        }
        text = parts.compactMap(\.text).joined()
    }
}

/// `stop`: one string or a list of them.
public struct StopSequences: Decodable, Sendable {
    public var values: [String]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { values = [] } else if let one = try? c.decode(String.self) { values = [one] } else if let list = try? c.decode([String].self) {
            values = list
        } else {
            throw DecodingError.typeMismatch([String].self, .init(codingPath: decoder.codingPath,
                                                                   debugDescription: "expected a string or a list of strings"))
        }
    }
}

/// `prompt`: a string, a list of strings, a list of token ids, or a list of such lists; each is one choice.
public enum Prompt: Decodable, Sendable {
    case texts([String])
    case tokens([[Int]])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) {
            self = .texts([text])
        } else if let texts = try? c.decode([String].self) {
            self = .texts(texts)
        } else if let ids = try? c.decode([Int].self) {
            self = .tokens([ids])
        } else if let lists = try? c.decode([[Int]].self) {
            self = .tokens(lists)
        } else {
            throw DecodingError.typeMismatch(String.self, .init(
                codingPath: decoder.codingPath,
                debugDescription: "expected a string, a list of strings, a list of token ids or a list of lists of token ids"))
        }
    }

    /// How many prompts (choices) there are.
    public var count: Int {
        switch self {
        case .texts(let t): t.count
        case .tokens(let t): t.count
        }
    }
}
