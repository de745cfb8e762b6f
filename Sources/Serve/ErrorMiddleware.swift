import Hummingbird

/// Every error answered as OpenAI-style JSON: Hummingbird's own (unknown route, wrong method) keep their
/// status; anything unexpected becomes a 500 rather than an empty body.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            if error.status == .notFound { throw APIError.notFound(request.uri.path) }
            throw APIError(status: error.status, message: error.body ?? error.status.reasonPhrase, type: "invalid_request_error")
        } catch {
            throw APIError(status: .internalServerError, message: "Internal error: \(error)", type: "server_error")
        }
    }
}
