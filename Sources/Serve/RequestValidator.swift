import Models

/// Checks requests against the API's ranges and the model (name, vocabulary, context) and turns them into
/// tokenized `SequenceRequest`s. Every problem is a 400 naming the field.
public struct RequestValidator: Sendable {
    /// The name clients use for the model; requests naming another model are refused.
    public let modelID: String
    public let tokenizer: BPETokenizer
    public let chatTemplate: String?
    /// The model's context: prompt plus `max_tokens` must fit.
    public let contextLength: Int
    public let vocabSize: Int
    /// Most prompts in one completions request.
    public let maxPrompts: Int

    public static let maxStopStrings = 4
    public static let maxLogprobs = 20

    public init(modelID: String, tokenizer: BPETokenizer, chatTemplate: String?, contextLength: Int, vocabSize: Int, maxPrompts: Int) {
        self.modelID = modelID
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.contextLength = contextLength
        self.vocabSize = vocabSize
        self.maxPrompts = maxPrompts
    }

    /// A chat request as one sequence: the messages rendered with the model's chat template.
    public func chat(_ r: ChatCompletionRequest) throws(APIError) -> SequenceRequest {
        try checkCommon(model: r.model, n: r.n, temperature: r.temperature, topP: r.topP)
        guard !r.messages.isEmpty else { throw .invalidRequest("'messages' must contain at least one message.", param: "messages") }
        if r.logprobs == true { throw .invalidRequest("logprobs are not supported for chat completions; use /v1/completions.", param: "logprobs") }
        let rendered: String
        do {
            rendered = try ChatSession.render(r.messages.map(\.chatMessage), tokenizer: tokenizer, template: chatTemplate, tools: r.tools)
        } catch {
            throw .invalidRequest("The messages could not be rendered with the model's chat template: \(error)", param: "messages")
        }
        let prompt = tokenizer.encode(rendered, addSpecial: true)
        let maxTokens = try checkLength(prompt: prompt.count, maxTokens: r.maxCompletionTokens ?? r.maxTokens,
                                        param: r.maxCompletionTokens == nil ? "max_tokens" : "max_completion_tokens", minimum: 1)
        return SequenceRequest(prompt: prompt, maxTokens: maxTokens, sampling: sampling(r.temperature, r.topP, r.seed, choice: 0),
                               stopStrings: try stops(r.stop))
    }

    /// A completions request as one sequence per prompt, with each prompt's text (for `echo`).
    public func completions(_ r: CompletionRequest) throws(APIError) -> [(sequence: SequenceRequest, promptText: String)] {
        try checkCommon(model: r.model, n: r.n, temperature: r.temperature, topP: r.topP)
        guard r.prompt.count > 0 else { throw .invalidRequest("'prompt' must not be empty.", param: "prompt") }
        guard r.prompt.count <= maxPrompts else {
            throw .invalidRequest("At most \(maxPrompts) prompts per request, got \(r.prompt.count).", param: "prompt")
        }
        if let k = r.logprobs, !(0...Self.maxLogprobs).contains(k) {
            throw .invalidRequest("'logprobs' must be between 0 and \(Self.maxLogprobs), got \(k).", param: "logprobs")
        }
        if r.stream == true && (r.logprobs != nil || r.echo == true || r.prompt.count > 1) {
            throw .invalidRequest("'stream' takes a single prompt, without 'logprobs' or 'echo'.", param: "stream")
        }
        let prompts = try tokenize(r.prompt)
        let stopStrings = try stops(r.stop)
        return try prompts.enumerated().map { (i, prompt) throws(APIError) in
            let maxTokens = try checkLength(prompt: prompt.ids.count, maxTokens: r.maxTokens ?? 16, param: "max_tokens", minimum: 0)
            let sequence = SequenceRequest(prompt: prompt.ids, maxTokens: maxTokens, sampling: sampling(r.temperature, r.topP, r.seed, choice: i),
                                           stopStrings: stopStrings, logprobs: r.logprobs, promptLogprobs: r.echo == true && r.logprobs != nil)
            return (sequence, prompt.text)
        }
    }

    private func checkCommon(model: String?, n: Int?, temperature: Double?, topP: Double?) throws(APIError) {
        if let model, model != modelID {
            throw .invalidRequest("The model '\(model)' does not exist; this server serves '\(modelID)'.", param: "model", code: "model_not_found")
        }
        if let n, n != 1 { throw .invalidRequest("Only n=1 is supported, got \(n).", param: "n") }
        if let temperature, !(temperature >= 0 && temperature <= 2) {
            throw .invalidRequest("'temperature' must be between 0 and 2, got \(temperature).", param: "temperature")
        }
        if let topP, !(topP > 0 && topP <= 1) {
            throw .invalidRequest("'top_p' must be greater than 0 and at most 1, got \(topP).", param: "top_p")
        }
    }

    /// `max_tokens`, defaulting to the rest of the context; prompt and completion must fit in the context.
    private func checkLength(prompt: Int, maxTokens: Int?, param: String, minimum: Int) throws(APIError) -> Int {
        if let maxTokens, maxTokens < minimum {
            throw .invalidRequest("'\(param)' must be at least \(minimum), got \(maxTokens).", param: param)
        }
        let wanted = maxTokens ?? contextLength - prompt
        guard prompt + max(wanted, minimum) <= contextLength else {
            throw .invalidRequest("This model's maximum context length is \(contextLength) tokens. However, you requested "
                                  + "\(prompt + max(wanted, minimum)) tokens (\(prompt) in the prompt, \(max(wanted, minimum)) for the completion). "
                                  + "Please reduce the length of the prompt or of '\(param)'.", param: param, code: "context_length_exceeded")
        }
        return wanted
    }

    private func tokenize(_ prompt: Prompt) throws(APIError) -> [(ids: [Int32], text: String)] {
        var out: [(ids: [Int32], text: String)] = []
        switch prompt {
        case .texts(let texts):
            for (i, text) in texts.enumerated() {
                let ids = tokenizer.encode(text, addSpecial: true)
                guard !ids.isEmpty else { throw .invalidRequest("Prompt \(i) has no tokens.", param: "prompt") }
                out.append((ids, text))
            }
        case .tokens(let lists):
            for (i, list) in lists.enumerated() {
                guard !list.isEmpty else { throw .invalidRequest("Prompt \(i) has no tokens.", param: "prompt") }
                if let bad = list.first(where: { !(0..<vocabSize).contains($0) }) {
                    throw .invalidRequest("Prompt \(i) has token id \(bad), outside the vocabulary (0..<\(vocabSize)).", param: "prompt")
                }
                let ids = list.map { Int32($0) }
                out.append((ids, tokenizer.decode(ids)))
            }
        }
        return out
    }

    private func stops(_ stop: StopSequences?) throws(APIError) -> [String] {
        let values = stop?.values ?? []
        guard values.count <= Self.maxStopStrings else {
            throw .invalidRequest("At most \(Self.maxStopStrings) stop sequences, got \(values.count).", param: "stop")
        }
        return values.filter { !$0.isEmpty }
    }

    /// OpenAI's defaults (temperature 1, top_p 1); without a seed each request gets a random one. Choice i of a
    /// request samples with seed + i.
    private func sampling(_ temperature: Double?, _ topP: Double?, _ seed: Int?, choice: Int) -> SamplingOptions {
        let base = seed.map { UInt64(bitPattern: Int64($0)) } ?? UInt64.random(in: .min ... .max)
        return SamplingOptions(temperature: Float(temperature ?? 1), topP: Float(topP ?? 1), seed: base &+ UInt64(choice))
    }
}
