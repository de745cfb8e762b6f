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
}
