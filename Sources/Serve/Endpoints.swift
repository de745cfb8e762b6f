import Foundation
import Hummingbird
import Models

/// The HTTP API: OpenAI's chat completions, completions and models, a health check, and vLLM's tokenizer
/// endpoints (which lm-evaluation-harness's `local-completions` uses to count context tokens).
struct Endpoints: Sendable {
    let runner: BatchRunner
    let validator: RequestValidator
    /// When the server started (`created` of the model card).
    let started = Int(Date().timeIntervalSince1970)
    /// Larger request bodies get 413.
    let maxBodyBytes: Int

    var modelID: String { validator.modelID }
    var tokenizer: BPETokenizer { validator.tokenizer }

    func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        router.get("health") { _, _ in
            let accepting = runner.isAccepting
            return try Response.json(["status": accepting ? "ok" : "shutting down"], status: accepting ? .ok : .serviceUnavailable)
        }
        router.get("v1/models") { _, _ in
            try Response.json(ModelList(data: [.init(id: modelID, created: started)]))
        }
        router.post("v1/chat/completions") { request, _ in try await chatCompletions(request) }
        router.post("v1/completions") { request, _ in try await completions(request) }
        registerTokenizerRoutes(on: router)
    }

    /// The request body as `T`: 413 when it is too large, 400 when it is not the JSON `T` expects.
    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            throw APIError(status: .contentTooLarge, message: "The request body could not be read or is larger than \(maxBodyBytes) bytes.",
                           type: "invalid_request_error")
        }
        return try RequestDecoding.decode(type, from: Data(body.readableBytesView))
    }

    static func newID(_ prefix: String) -> String {
        prefix + "-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }
}
