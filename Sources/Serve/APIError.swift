import Foundation
import Hummingbird

/// An error answered to the client in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}` with
/// an HTTP status. Thrown from a route, Hummingbird writes it as the response.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    /// OpenAI's category: `invalid_request_error`, `rate_limit_error`, `server_error`…
    public var type: String
    /// The request field at fault, when there is one.
    public var param: String?
    public var code: String?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// 400: the request is malformed or asks for something the model cannot do.
    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 429: the waiting queue is full; the client should retry later.
    public static func queueFull(capacity: Int) -> APIError {
        APIError(status: .tooManyRequests, message: "The server is busy: \(capacity) sequences are already waiting. Retry later.",
                 type: "rate_limit_error", code: "queue_full")
    }

    /// 503: the server is shutting down and takes no new work.
    public static let shuttingDown = APIError(status: .serviceUnavailable, message: "The server is shutting down.",
                                             type: "server_error", code: "shutting_down")

    public static func notFound(_ path: String) -> APIError {
        APIError(status: .notFound, message: "No route for \(path).", type: "invalid_request_error", code: "not_found")
    }

    /// The JSON body.
    public var body: Data {
        let payload = ["error": ErrorBody(message: message, type: type, param: param, code: code)]
        return (try? JSONEncoder.api.encode(payload)) ?? Data(#"{"error":{"message":"error","type":"server_error"}}"#.utf8)
    }

    struct ErrorBody: Encodable {
        let message: String
        let type: String
        @ExplicitNull var param: String?
        @ExplicitNull var code: String?
    }
}

extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response.json(body, status: status)
    }
}

extension Response {
    /// A response with a JSON body.
    static func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `value` encoded as JSON.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        json(try JSONEncoder.api.encode(value), status: status)
    }
}

extension JSONEncoder {
    /// Compact output with `/` left as it is and keys sorted, so the same answer is the same bytes.
    static var api: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }
}
