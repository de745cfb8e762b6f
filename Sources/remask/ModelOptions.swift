import ArgumentParser
import Foundation
import Core
import Models

/// `--model` and `--threads`, shared by every command that runs a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A GGUF file or a Hugging Face folder (config.json, model.safetensors, tokenizer.json).",
                                            discussion: "Default: $REMASK_MODEL, else SmolLM2-135M-Instruct in ~/.cache/remask (bash scripts/fetch-model.sh)."))
    var model: String?

    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Loads the model, reporting progress on standard error.
    func load() throws -> LanguageModel {
        if let threads { Parallel.threads = threads }
        let path = model ?? LanguageModel.defaultPath
        let start = Date()
        let lm = try LanguageModel.load(path)
        let c = lm.model.config
        Log.info(String(format: "loaded %@ (%@, %.1fM parameters, %d layers) in %.1f s", (path as NSString).lastPathComponent,
                        c.family.rawValue, Double(c.parameterCount) / 1e6, c.layers, Date().timeIntervalSince(start)))
        return lm
    }
}

/// `--weights` and `--precision`, for the commands that only run a model (generate, chat, eval, score, serve).
struct InferenceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("How weights are held: stored (a GGUF file's quantized blocks as they are, multiplied without dequantizing) or float32 (dequantized, as training holds them).",
                               valueName: "stored|float32"))
    var weights: RunnableModel.Weights = .stored

    @Option(help: ArgumentHelp("Arithmetic of the products with many rows (prompts, batches, attention over a shared few-shot prefix) on stored weights: fp32, or bf16 (bfloat16 operands, Float32 sums; about twice as fast on CPUs with AVX512-BF16, elsewhere slower; holds a bfloat16 copy of the weights, 2 bytes each; log-probs move by up to about 0.2, so keep fp32 for scoring).",
                               valueName: "fp32|bf16"))
    var precision: Precision = .fp32
}

extension RunnableModel.Weights: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}

extension ModelOptions {
    /// Loads the model for inference only, reporting progress on standard error.
    func loadRunnable(_ inference: InferenceOptions, adapter: String? = nil) throws -> RunnableModel {
        if let threads { Parallel.threads = threads }
        let path = model ?? LanguageModel.defaultPath
        let start = Date()
        let runnable = try RunnableModel.load(path, adapter: adapter, weights: inference.weights, precision: inference.precision)
        let c = runnable.engine.config
        Log.info(String(format: "loaded %@ (%@, %.1fM parameters, %d layers, %@ weights) in %.1f s", (path as NSString).lastPathComponent,
                        c.family.rawValue, Double(c.parameterCount) / 1e6, c.layers, runnable.weightsDescription,
                        Date().timeIntervalSince(start)))
        return runnable
    }
}

/// Messages for people on standard error, so standard output stays clean for results.
enum Log {
    static func info(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// Text from `--text`, else all of standard input.
func textArgumentOrStandardInput(_ text: String?) -> String {
    if let text { return text }
    return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
}
