import Hummingbird

extension Endpoints {
    /// `POST /v1/chat/completions`: one reply to the messages, whole or streamed.
    func chatCompletions(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        let body = try await decode(ChatCompletionRequest.self, request)
        let sequence = try validator.chat(body)
        let events = try runner.submit([sequence])[0]
        let id = Self.newID("chatcmpl"), created = Self.now, model = modelID
        guard body.stream == true else {
            let result = await SequenceResult.collect(events)
            return try .json(ChatCompletion(
                id: id, created: created, model: model,
                choices: [.init(index: 0, message: .init(content: result.text), finishReason: result.finishReason)],
                usage: Usage(promptTokens: sequence.prompt.count, completionTokens: result.tokens.count)))
        }
        let includeUsage = body.streamOptions?.includeUsage == true
        return ServerSentEvents.response { writer in
            func chunk(_ delta: ChatCompletionChunk.Delta, finish: FinishReason? = nil) throws -> ByteBuffer {
                try ServerSentEvents.event(ChatCompletionChunk(id: id, created: created, model: model,
                                                               choices: [.init(delta: delta, finishReason: finish)], usage: nil))
            }
            try await writer.write(chunk(.init(role: "assistant", content: "")))
            var generated = 0
            for await event in events {
                switch event {
                case .prompt: break
                case .token(let token):
                    generated += 1
                    if !token.text.isEmpty { try await writer.write(chunk(.init(content: token.text))) }
                case .finished(let reason, let text):
                    if !text.isEmpty { try await writer.write(chunk(.init(content: text))) }
                    try await writer.write(chunk(.init(), finish: reason))
                }
            }
            if includeUsage {
                let usage = Usage(promptTokens: sequence.prompt.count, completionTokens: generated)
                try await writer.write(ServerSentEvents.event(ChatCompletionChunk(id: id, created: created, model: model, choices: [], usage: usage)))
            }
            RequestLog.write(request, status: 200, since: start, note: "(stream, \(generated) tokens)")
        }
    }
}
