import Hummingbird

extension Endpoints {
    /// `POST /v1/completions`: a continuation of each prompt, with logprobs and the echoed prompt on request.
    func completions(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        let body = try await decode(CompletionRequest.self, request)
        let items = try validator.completions(body)
        let streams = try runner.submit(items.map(\.sequence))
        let id = Self.newID("cmpl"), created = Self.now, model = modelID
        if body.stream == true {
            // The validator allows one prompt per streamed request.
            return streamCompletion(streams[0], promptTokens: items[0].sequence.prompt.count, includeUsage: body.streamOptions?.includeUsage == true,
                                    id: id, created: created, request: request, start: start)
        }
        var choices: [Completion.Choice] = []
        var usage = Usage(promptTokens: 0, completionTokens: 0)
        for (index, (item, events)) in zip(items, streams).enumerated() {
            let result = await SequenceResult.collect(events)
            let logprobs = body.logprobs == nil ? nil : result.completionLogprobs(promptText: item.promptText, tokenizer: tokenizer)
            choices.append(.init(text: (body.echo == true ? item.promptText : "") + result.text, index: index, logprobs: logprobs,
                                 finishReason: result.finishReason))
            usage.promptTokens += item.sequence.prompt.count
            usage.completionTokens += result.tokens.count
        }
        return try .json(Completion(id: id, created: created, model: model, choices: choices, usage: usage))
    }

    private func streamCompletion(_ events: AsyncStream<SequenceEvent>, promptTokens: Int, includeUsage: Bool, id: String, created: Int,
                                  request: Request, start: ContinuousClock.Instant) -> Response {
        let model = modelID
        return ServerSentEvents.response { writer in
            func chunk(_ text: String, finish: FinishReason? = nil) throws -> ByteBuffer {
                try ServerSentEvents.event(Completion(id: id, created: created, model: model,
                                                      choices: [.init(text: text, index: 0, logprobs: nil, finishReason: finish)], usage: nil))
            }
            try await ServerSentEvents.relay(
                events, into: &writer, request: request, since: start,
                text: { try chunk($0) },
                finished: { reason, text in [try chunk(text, finish: reason)] },
                usage: !includeUsage ? nil : { generated in
                    try ServerSentEvents.event(Completion(id: id, created: created, model: model, choices: [],
                                                          usage: Usage(promptTokens: promptTokens, completionTokens: generated)))
                })
        }
    }
}
