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
            try await ServerSentEvents.relay(
                events, into: &writer, request: request, since: start,
                text: { try chunk(.init(content: $0)) },
                finished: { reason, text in (text.isEmpty ? [] : [try chunk(.init(content: text))]) + [try chunk(.init(), finish: reason)] },
                usage: !includeUsage ? nil : { generated in
                    try ServerSentEvents.event(ChatCompletionChunk(id: id, created: created, model: model, choices: [],
                                                                   usage: Usage(promptTokens: sequence.prompt.count, completionTokens: generated)))
                })
        }
    }
}
