import ArgumentParser
import Foundation
import Core
import Models
import Bench

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure GEMM GFLOP/s and transformer forward/training tokens per second.",
        discussion: """
            Builds a model with random weights (default: the SmolLM2-135M geometry) and times a batch of \
            batch × length tokens: warm-up runs first, then the median of the timed repetitions. Peak memory \
            is the process's resident high-water mark during each benchmark. The header names the GEMM kernels \
            in use (REMASK_GEMM=avx512|avx2|neon|openblas forces a family) and their measured peak; GEMM rows \
            give GFLOP/s as a share of it. --precision bf16 runs the products (linear layers, attention) of the gemm, \
            forward, sft and objectives rows as `remask train --precision bf16` does, and a --model GGUF's \
            prefill with bfloat16 operands.
            """)

    @Option(help: """
        Benchmarks to run, comma-separated: gemm, forward, sft, objectives (sft, masked-thought and remask steps on \
        rows with a quarter prompt and 40% masking), generate (prefill and decode at batch 1 and 8), tokenize \
        (the default model's tokenizer on 1 MB of text and on one long word; not run by default).
        """)
    var only = "gemm,forward,sft,objectives,generate"
    @Option(help: "Hidden size.") var hidden = DecoderConfig.smolLM2_135M.hidden
    @Option(help: "Number of transformer blocks.") var layers = DecoderConfig.smolLM2_135M.layers
    @Option(help: "Attention (query) heads.") var heads = DecoderConfig.smolLM2_135M.heads
    @Option(name: .customLong("kv-heads"), help: "Key/value heads.") var kvHeads = DecoderConfig.smolLM2_135M.kvHeads
    @Option(help: "Feed-forward (SwiGLU) size.") var ffn = DecoderConfig.smolLM2_135M.intermediate
    @Option(help: "Vocabulary size.") var vocab = DecoderConfig.smolLM2_135M.vocabSize
    @Option(help: "Sequences per batch.") var batch = 4
    @Option(help: "Tokens per sequence.") var length = 256
    @Option(help: "Worker threads (kernels and OpenBLAS); default: all cores.") var threads: Int?
    @Option(help: "Untimed warm-up runs.") var warmup = 1
    @Option(help: "Timed repetitions (the median is reported).") var repetitions = 3
    @Option(help: "Seed for weights and tokens.") var seed: UInt64 = 0
    @Option(name: .customLong("prompt-length"), help: "Prompt tokens per sequence (generate).") var promptLength = 128
    @Option(name: .customLong("new-tokens"), help: "Generated tokens per sequence (generate).") var newTokens = 64
    @Option(help: ArgumentHelp("Run the generate benchmark on this GGUF file or Hugging Face folder instead of random weights.",
                               valueName: "path"))
    var model: String?
    @OptionGroup var inference: InferenceOptions
    @Option(help: "Batch sizes for the generate benchmark, comma-separated.") var generateBatches = "1,8"
    @Flag(help: "Print one JSON array instead of a table.") var json = false

    func validate() throws {
        for (name, v) in [("hidden", hidden), ("layers", layers), ("heads", heads), ("kv-heads", kvHeads), ("ffn", ffn),
                          ("vocab", vocab), ("batch", batch), ("length", length), ("repetitions", repetitions),
                          ("prompt-length", promptLength), ("new-tokens", newTokens)] where v <= 0 {
            throw ValidationError("--\(name) must be positive, got \(v)")
        }
        if warmup < 0 { throw ValidationError("--warmup cannot be negative") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let problem = config.validationError() { throw ValidationError("invalid model shape: \(problem)") }
        if generateBatches.split(separator: ",").contains(where: { (Int($0) ?? 0) < 1 }) {
            throw ValidationError("--generate-batches takes positive integers separated by commas, got '\(generateBatches)'")
        }
        let known: Set<String> = ["gemm", "forward", "sft", "objectives", "generate", "tokenize"]
        for name in only.split(separator: ",") where !known.contains(String(name)) {
            throw ValidationError("unknown benchmark '\(name)'; choose from \(known.sorted().joined(separator: ", "))")
        }
    }

    /// The benchmarked geometry: SmolLM2's, with the flags applied.
    var config: DecoderConfig {
        .llama(vocabSize: vocab, hidden: hidden, layers: layers, heads: heads, kvHeads: kvHeads, intermediate: ffn,
               ropeBase: DecoderConfig.smolLM2_135M.ropeBase)
    }

    func run() throws {
        Parallel.threads = threads ?? Parallel.threads
        let precision = inference.precision
        let settings = BenchSettings(config: config, batch: batch, length: length, warmup: warmup,
                                     repetitions: repetitions, seed: seed)
        let selected = Set(only.split(separator: ",").map(String.init))
        let progress: (String) -> Void = { msg in FileHandle.standardError.write(Data("· \(msg)\n".utf8)) }
        var results: [BenchResult] = []
        let peak = GEMMKernels.kernelPeakGFLOPS(bf16: precision == .bf16).map { $0 * Double(Parallel.threads) }
        Tensor.withTrainingPrecision(precision) {
            if selected.contains("gemm") { results += Benchmarks.gemm(settings, peakGFLOPS: peak, progress: progress) }
            if selected.contains("forward") { results.append(Benchmarks.forward(settings, progress: progress)) }
            if selected.contains("sft") { results.append(Benchmarks.sft(settings, progress: progress)) }
            if selected.contains("objectives") { results += Benchmarks.objectives(settings, progress: progress) }
        }
        if selected.contains("generate") {
            let real = try model.map { try RunnableModel.load($0, weights: inference.weights, precision: precision).engine }
            for b in generateBatches.split(separator: ",").compactMap({ Int($0) }) {
                results += Benchmarks.generation(settings, model: real, batch: b, promptLength: promptLength, newTokens: newTokens,
                                                 progress: progress)
            }
        }
        if selected.contains("tokenize") {
            let lm = try LanguageModel.load(LanguageModel.defaultPath)
            results += Benchmarks.tokenize(try lm.requireTokenizer(), s: settings, progress: progress)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            print("threads \(Parallel.threads), precision \(precision.rawValue), batch \(batch) × \(length), hidden \(hidden), layers \(layers), heads \(heads)/\(kvHeads), ffn \(ffn), vocab \(vocab)")
            print("GEMM: \(GEMMKernels.summary); OpenBLAS \(BLASKernels.core) kernels"
                  + (peak.map { String(format: "; kernel peak %.0f GFLOP/s (%d × one core's micro-kernel on L1-resident panels)", $0, Parallel.threads) } ?? ""))
            print(BenchTable.render(results))
        }
    }
}
