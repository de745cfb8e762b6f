/// Response bodies in OpenAI's shapes. Fields that OpenAI sends as null are written as null, not left out.

public struct Usage: Encodable, Sendable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int { promptTokens + completionTokens }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(completionTokens, forKey: .completionTokens)
        try c.encode(totalTokens, forKey: .totalTokens)
    }

    enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens" }
}

/// `chat.completion`.
struct ChatCompletion: Encodable {
    let id: String
    let object = "chat.completion"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: Usage

    struct Choice: Encodable {
        let index: Int
        let message: Message
        @ExplicitNull var logprobs: String? = nil
        let finishReason: FinishReason

        enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }
    }

    struct Message: Encodable {
        let role = "assistant"
        let content: String
    }
}

/// `chat.completion.chunk`, one server-sent event of a streamed chat reply.
struct ChatCompletionChunk: Encodable {
    let id: String
    let object = "chat.completion.chunk"
    let created: Int
    let model: String
    let choices: [Choice]
    /// Only in the last chunk, when `stream_options.include_usage` asks for it.
    let usage: Usage?

    struct Choice: Encodable {
        let index = 0
        let delta: Delta
        @ExplicitNull var logprobs: String? = nil
        @ExplicitNull var finishReason: FinishReason?

        enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }
    }

    struct Delta: Encodable {
        var role: String?
        var content: String?
    }
}

/// `text_completion`, the answer of `/v1/completions` (also each streamed chunk).
struct Completion: Encodable {
    let id: String
    let object = "text_completion"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: Usage?

    struct Choice: Encodable {
        let text: String
        let index: Int
        @ExplicitNull var logprobs: CompletionLogprobs?
        @ExplicitNull var finishReason: FinishReason?

        enum CodingKeys: String, CodingKey { case text, index, logprobs, finishReason = "finish_reason" }
    }
}

/// The legacy completions `logprobs` object: one entry per token, prompt tokens first when echoed.
struct CompletionLogprobs: Encodable {
    var tokens: [String] = []
    /// null for the first prompt token.
    var tokenLogprobs: [Float?] = []
    /// The most likely tokens at each position (and the chosen one); null for the first prompt token.
    var topLogprobs: [[String: Float]?] = []
    /// Where each token starts in prompt + completion text, in characters (Unicode scalars).
    var textOffset: [Int] = []

    enum CodingKeys: String, CodingKey {
        case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
    }
}

/// `GET /v1/models`.
struct ModelList: Encodable {
    let object = "list"
    let data: [Model]

    struct Model: Encodable {
        let id: String
        let object = "model"
        let created: Int
        let ownedBy = "remask"

        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
    }
}
