import ArgumentParser
import Core
import Foundation
import Models

/// Sampling flags shared by `generate` and `chat`.
struct SamplingFlags: ParsableArguments {
    @Option(name: .customLong("max-tokens"), help: "Most new tokens per reply.") var maxTokens = 128
    @Option(help: "0 is greedy; higher samples more freely.") var temperature: Float = 0
    @Option(name: .customLong("top-k"), help: "Sample among the k most likely tokens (0: all).") var topK = 0
    @Option(name: .customLong("top-p"), help: "Sample among the most likely tokens covering this probability.") var topP: Float = 1
    @Option(help: "Seed for sampling.") var seed: UInt64 = 0
    @Option(name: .customLong("stop"), help: "Stop when the output contains this text (repeatable).") var stops: [String] = []

    func validate() throws {
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if temperature < 0 || !temperature.isFinite { throw ValidationError("--temperature must be a finite number ≥ 0") }
        if topK < 0 { throw ValidationError("--top-k cannot be negative") }
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
    }

    var sampling: SamplingOptions { SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: seed) }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt and print the continuation as it is produced.",
        discussion: """
            Stops at the model's end-of-sequence token, a --stop text, or --max-tokens. Several --prompt options, or \
            a --prompts-file, run with continuous batching: up to --batch-size sequences advance together, and a \
            finished one's slot goes to the next prompt at once. Outputs are printed in order at the end (with \
            --prompts-file, one JSON line per prompt: index, prompt, output, tokens, stop).
            """)

    @OptionGroup var options: ModelOptions
    @OptionGroup var inference: InferenceOptions
    @Option(name: .customLong("prompt"), help: "The prompt (repeatable for a batch; default: standard input).") var prompts: [String] = []
    @Option(name: .customLong("prompts-file"), help: "A JSONL file of prompts, {\"prompt\": \"...\"} per line; outputs as JSONL.")
    var promptsFile: String?
    @Option(name: .customLong("batch-size"), help: "Most sequences generated at once.") var batchSize = 16
    @OptionGroup var flags: SamplingFlags
    @Flag(help: "Wrap the prompt in the model's chat template as a user message.") var chat = false

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if promptsFile != nil && !prompts.isEmpty { throw ValidationError("give --prompt or --prompts-file, not both") }
    }

    func run() throws {
        let fromFile = try promptsFile.map(PromptsFile.read)
        let lm = try options.loadRunnable(inference)
        let tokenizer = try lm.requireTokenizer()
        let texts = fromFile ?? (prompts.isEmpty ? [textArgumentOrStandardInput(nil)] : prompts)
        let rendered = try texts.map {
            chat ? try ChatSession.render([ChatMessage(role: "user", content: $0)], tokenizer: tokenizer, template: lm.chatTemplate) : $0
        }
        let ids = rendered.map { tokenizer.encode($0, addSpecial: true) }
        if let empty = ids.firstIndex(where: \.isEmpty) { throw ValidationError("prompt \(empty + 1) has no tokens") }
        let context = lm.engine.config.maxPositions
        if let long = ids.firstIndex(where: { $0.count + flags.maxTokens > context }) {
            throw ValidationError("prompt \(long + 1) has \(ids[long].count) tokens; with up to \(flags.maxTokens) new ones (--max-tokens) "
                                  + "that is more than the model's context of \(context)")
        }
        let generator = Generator(model: lm.engine, stopTokens: ChatSession.stopTokens(tokenizer), decode: { tokenizer.decode($0) })
        let start = Date()
        var streamer = StreamingDecoder(tokenizer: tokenizer, skipSpecial: true)
        let single = texts.count == 1 && fromFile == nil
        let bar = single ? nil : ProgressLine("generate", total: texts.count)
        var finished = Set<Int>()
        let outputs = generator.generate(ids, maxTokens: flags.maxTokens, sampling: flags.sampling, stopStrings: flags.stops,
                                         batchSize: batchSize) { sequence, token in
            if single { FileHandle.standardOutput.write(Data(streamer.add(token).utf8)) }
            if finished.insert(sequence).inserted { bar?.update(finished.count, "started") }
        }
        bar?.finish()
        if single {
            FileHandle.standardOutput.write(Data((streamer.finish() + "\n").utf8))
        } else if fromFile != nil {
            for (i, o) in outputs.enumerated() {
                let output = JSONString.quote(tokenizer.decode(o.tokens, skipSpecial: true))
                print("{\"index\":\(i),\"prompt\":\(JSONString.quote(texts[i])),\"output\":\(output),\"tokens\":\(o.tokens.count),\"stop\":\"\(o.stop.rawValue)\"}")
            }
        } else {
            for (i, o) in outputs.enumerated() { print("[\(i + 1)] " + tokenizer.decode(o.tokens, skipSpecial: true)) }
        }
        let produced = outputs.reduce(0) { $0 + $1.tokens.count }
        Log.info(String(format: "%d tokens in %.2f s (%.1f tokens/s), stopped: %@", produced, Date().timeIntervalSince(start),
                        Double(produced) / max(Date().timeIntervalSince(start), 1e-9), Self.stops(outputs)))
    }

    /// Each sequence's stop reason, or for many the count of each.
    private static func stops(_ outputs: [Generator.Output]) -> String {
        let reasons = outputs.map(\.stop.rawValue)
        guard reasons.count > 8 else { return reasons.joined(separator: ", ") }
        return Dictionary(grouping: reasons) { $0 }.map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ")
    }
}
