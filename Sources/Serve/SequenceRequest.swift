import Models

/// One sequence to generate, validated and tokenized: what `BatchRunner` needs to run it.
public struct SequenceRequest: Sendable {
    public var prompt: [Int32]
    /// Most new tokens (0: score the prompt only).
    public var maxTokens: Int
    public var sampling: SamplingOptions
    /// Generation stops when the text contains one of these; the text ends before it.
    public var stopStrings: [String]
    /// Alternatives reported with each token's logprob (nil: no logprobs at all).
    public var logprobs: Int?
    /// Report the prompt tokens' logprobs too (`echo` with `logprobs`).
    public var promptLogprobs: Bool

    public init(prompt: [Int32], maxTokens: Int, sampling: SamplingOptions = SamplingOptions(), stopStrings: [String] = [],
                logprobs: Int? = nil, promptLogprobs: Bool = false) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopStrings = stopStrings
        self.logprobs = logprobs
        self.promptLogprobs = promptLogprobs
    }

    /// Cache rows the sequence needs: its prompt and every token it may generate.
    var cacheTokens: Int { prompt.count + maxTokens }
}

/// What the runner reports of one sequence, in order: the prompt's logprobs (when asked), each new token,
/// then `finished` exactly once.
public enum SequenceEvent: Sendable {
    case prompt([TokenLogprob])
    case token(GeneratedToken)
    /// `text`: the end of the reply that was held back (an incomplete character, a possible stop string).
    case finished(FinishReason, text: String)
}

/// A generated token and the text it completes.
public struct GeneratedToken: Sendable {
    public var id: Int32
    /// New text to show: empty while a character is incomplete or while it may be the start of a stop string.
    public var text: String
    public var logprob: TokenLogprob?
}

/// A token's log-probability under the model and the most likely tokens at its position.
public struct TokenLogprob: Sendable, Equatable {
    public var id: Int32
    /// nil for the first prompt token, which nothing predicts.
    public var logprob: Float?
    /// Best first, the chosen token among them even when it is not one of the best.
    public var top: [Alternative]

    public struct Alternative: Sendable, Equatable {
        public var id: Int32
        public var logprob: Float
    }
}

/// Why a sequence ended, as OpenAI names it.
public enum FinishReason: String, Sendable, Codable {
    /// End-of-sequence token or a stop string.
    case stop
    /// `max_tokens` reached.
    case length
}
