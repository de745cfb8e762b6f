import Foundation
import Hummingbird

/// One line per request on standard error: method, path, status and time taken. Streamed answers are logged
/// by their route when the stream ends, so their time covers the whole reply.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            if response.headers[.contentType] != ServerSentEvents.headers[.contentType] {
                RequestLog.write(request, status: response.status.code, since: start)
            }
            return response
        } catch {
            RequestLog.write(request, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
    }
}

enum RequestLog {
    static func write(_ request: Request, status: Int, since start: ContinuousClock.Instant, note: String = "") {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let line = "\(request.method) \(request.uri.path) \(status) " + String(format: "%.3f s", seconds) + (note.isEmpty ? "" : " " + note)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
