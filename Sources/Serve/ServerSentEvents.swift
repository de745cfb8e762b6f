import Foundation
import Hummingbird

/// Server-sent events as OpenAI streams them: each chunk a `data: <json>` event, then `data: [DONE]`.
enum ServerSentEvents {
    static let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]

    /// One event carrying `value` as JSON.
    static func event(_ value: some Encodable) throws -> ByteBuffer {
        var data = Data("data: ".utf8)
        data += try JSONEncoder.api.encode(value)
        data += Data("\n\n".utf8)
        return ByteBuffer(bytes: data)
    }

    /// The event that ends the stream.
    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    /// A streamed response whose body `write` produces, chunk by chunk.
    static func response(_ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await write(&writer)
            try await writer.write(done)
            try await writer.finish(nil)
        })
    }

    /// Streams one sequence: `text` makes the chunk for each piece of generated text, `finished` the chunks that
    /// end the reply (with the text held back until then), and `usage`, when the client asked for usage, a last
    /// chunk from the number of generated tokens; the request is logged when the stream ends.
    static func relay(_ events: AsyncStream<SequenceEvent>, into writer: inout any ResponseBodyWriter, request: Request,
                      since start: ContinuousClock.Instant, text: (String) throws -> ByteBuffer,
                      finished: (FinishReason, String) throws -> [ByteBuffer], usage: ((Int) throws -> ByteBuffer)?) async throws {
        var generated = 0
        for await event in events {
            switch event {
            case .prompt: break
            case .token(let token):
                generated += 1
                if !token.text.isEmpty { try await writer.write(text(token.text)) }
            case .finished(let reason, let rest):
                for chunk in try finished(reason, rest) { try await writer.write(chunk) }
            }
        }
        if let usage { try await writer.write(usage(generated)) }
        RequestLog.write(request, status: 200, since: start, note: "(stream, \(generated) tokens)")
    }
}
