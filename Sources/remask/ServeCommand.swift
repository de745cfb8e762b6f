import ArgumentParser
import Dispatch
import Foundation
import Synchronization
import Models
import Serve

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over an OpenAI-compatible HTTP API (chat completions, completions, models).",
        discussion: """
            Concurrent requests share one continuous batch. SIGTERM or SIGINT stops accepting requests, finishes the \
            ones in flight and exits. See docs/serve.md.
            """)

    @OptionGroup var options: ModelOptions
    @OptionGroup var inference: InferenceOptions
    @Option(help: "A folder of LoRA adapters (from `remask train`) to attach to the model.") var adapter: String?
    @Option(help: "Address to listen on (default: loopback only).") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 8080
    @Option(name: .customLong("model-name"), help: "The model name clients send (default: the model file's name without extension).")
    var modelName: String?
    @Option(name: .customLong("max-batch"), help: "Most sequences generated together.") var maxBatch = 32
    @Option(name: .customLong("queue-size"), help: "Most sequences waiting for a place in the batch; beyond it requests get 429.")
    var queueSize = 256

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if maxBatch < 1 { throw ValidationError("--max-batch must be at least 1") }
        if queueSize < 1 { throw ValidationError("--queue-size must be at least 1") }
    }

    func run() throws {
        let path = options.model ?? LanguageModel.defaultPath
        let model = try options.loadRunnable(inference, adapter: adapter)
        let tokenizer = try model.requireTokenizer()
        let name = modelName ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let host = host
        let server = OpenAIServer(model: model.engine, tokenizer: tokenizer, chatTemplate: model.chatTemplate, modelID: name,
                                  configuration: ServeConfiguration(host: host, port: port, limits: .init(maxBatch: maxBatch, queueCapacity: queueSize)),
                                  onListening: { port in
                                      FileHandle.standardOutput.write(Data("remask serve: \(name) on http://\(host):\(port)\n".utf8))
                                  })
        try waitFor { try await server.run() }
        Log.info("remask serve: stopped")
    }
}

/// Runs `body` to the end from synchronous code (the command line's entry point is synchronous).
private func waitFor(_ body: @escaping @Sendable () async throws -> Void) throws {
    final class Outcome: Sendable { let error = Mutex<(any Error)?>(nil) }
    let done = DispatchSemaphore(value: 0)
    let outcome = Outcome()
    Task {
        do { try await body() } catch { outcome.error.withLock { $0 = error } }
        done.signal()
    }
    done.wait()
    if let error = outcome.error.withLock({ $0 }) { throw error }
}
