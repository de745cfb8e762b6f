import Foundation
import Hummingbird
import Logging
import Models
import ServiceLifecycle

/// Where and how `remask serve` listens.
public struct ServeConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    public var limits: BatchRunner.Limits
    public var maxBodyBytes: Int
    /// Shut down gracefully on SIGTERM and SIGINT (off in tests, which call `shutdown()`).
    public var handlesSignals: Bool

    public init(host: String = "127.0.0.1", port: Int = 8080, limits: BatchRunner.Limits = .init(), maxBodyBytes: Int = 8 << 20,
                handlesSignals: Bool = true) {
        self.host = host
        self.port = port
        self.limits = limits
        self.maxBodyBytes = maxBodyBytes
        self.handlesSignals = handlesSignals
    }
}

/// The OpenAI-compatible server: the HTTP application and the batch runner that owns the model. On graceful
/// shutdown new requests get 503, the HTTP server finishes the requests it has, then the runner stops.
public final class OpenAIServer: Sendable {
    public let runner: BatchRunner
    private let group: ServiceGroup

    /// `onListening(port)` is called once the server accepts connections.
    public init(model: any InferenceModel, tokenizer: BPETokenizer, chatTemplate: String?, modelID: String,
                configuration: ServeConfiguration, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        runner = BatchRunner(model: model, tokenizer: tokenizer, stopTokens: ChatSession.stopTokens(tokenizer), limits: configuration.limits)
        let validator = RequestValidator(modelID: modelID, tokenizer: tokenizer, chatTemplate: chatTemplate,
                                         contextLength: model.config.maxPositions, vocabSize: model.config.vocabSize,
                                         maxPrompts: configuration.limits.queueCapacity)
        let router = Router()
        Endpoints(runner: runner, validator: validator, maxBodyBytes: configuration.maxBodyBytes).register(on: router)
        var logger = Logger(label: "remask-serve")
        logger.logLevel = .warning  // requests are logged by RequestLogMiddleware; Hummingbird's own notices stay quiet
        let app = Application(router: router, configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
                              onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) }, logger: logger)
        // Graceful shutdown runs from the last service to the first.
        group = ServiceGroup(configuration: .init(
            services: [RunnerService(runner: runner), app, ShutdownNotice(runner: runner)],
            gracefulShutdownSignals: configuration.handlesSignals ? [.sigterm, .sigint] : [], logger: logger))
    }

    /// Serves until shutdown; returns when every request has been answered.
    public func run() async throws {
        try await group.run()
    }

    /// Begins a graceful shutdown, as SIGTERM does.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}

/// Runs the batch runner until the server has shut down, then lets it finish.
private struct RunnerService: Service {
    let runner: BatchRunner

    func run() async {
        await withGracefulShutdownHandler {
            await runner.runOnThread()
        } onGracefulShutdown: {
            runner.stop()
        }
    }
}

/// The first to hear of shutdown: from then on requests are refused with 503 while the server drains.
private struct ShutdownNotice: Service {
    let runner: BatchRunner

    func run() async {
        try? await gracefulShutdown()
        runner.stopAccepting()
    }
}
