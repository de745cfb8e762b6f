import Models

/// Everything the runner reported of one sequence, gathered for a non-streamed answer.
struct SequenceResult {
    var prompt: [TokenLogprob]?
    var tokens: [GeneratedToken] = []
    var text = ""
    var finishReason = FinishReason.length

    static func collect(_ events: AsyncStream<SequenceEvent>) async -> SequenceResult {
        var result = SequenceResult()
        for await event in events { result.add(event) }
        return result
    }

    mutating func add(_ event: SequenceEvent) {
        switch event {
        case .prompt(let logprobs): prompt = logprobs
        case .token(let token):
            tokens.append(token)
            text += token.text
        case .finished(let reason, let text):
            self.text += text
            finishReason = reason
        }
    }

    /// The legacy `logprobs` object: the prompt's tokens first when they were scored (`echo`), then the
    /// generated ones. Offsets count from the start of the prompt text.
    func completionLogprobs(promptText: String, tokenizer: BPETokenizer) -> CompletionLogprobs {
        var out = CompletionLogprobs()
        var offset = prompt == nil ? promptText.unicodeScalars.count : 0
        func append(_ logprob: TokenLogprob) {
            let text = tokenizer.decode([logprob.id])
            out.tokens.append(text)
            out.tokenLogprobs.append(logprob.logprob)
            out.topLogprobs.append(logprob.logprob == nil ? nil : Dictionary(
                logprob.top.map { (tokenizer.decode([$0.id]), $0.logprob) }, uniquingKeysWith: max))
            out.textOffset.append(offset)
            offset += text.unicodeScalars.count
        }
        prompt?.forEach(append)
        for token in tokens { if let logprob = token.logprob { append(logprob) } }
        return out
    }
}
