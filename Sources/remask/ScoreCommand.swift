import ArgumentParser
import Foundation
import Core
import Models

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Print each token's log-probability given its prefix, and the most likely next tokens, as JSON.",
        discussion: """
            Output: {"tokens": [ids], "logprobs": [null, ...], "next": [[id, logprob], ...]} where logprobs[i] is \
            log p(token i | tokens before it) (null for the first token) and next lists the top tokens after the last one.
            """)

    @OptionGroup var options: ModelOptions
    @OptionGroup var inference: InferenceOptions
    @Option(help: "The text (default: standard input).") var text: String?
    @Option(help: "How many next tokens to list.") var top = 10

    func validate() throws { if top < 0 { throw ValidationError("--top cannot be negative") } }

    func run() throws {
        let lm = try options.loadRunnable(inference)
        let ids = try lm.requireTokenizer().encode(textArgumentOrStandardInput(text))
        guard !ids.isEmpty else { throw ValidationError("the text has no tokens") }
        let context = lm.engine.config.maxPositions
        guard ids.count <= context else {
            throw ValidationError("the text has \(ids.count) tokens, more than the model's context of \(context); score a shorter text")
        }
        let scores = Scoring.logprobs(lm.engine, ids, top: top)
        struct Output: Encodable {
            let tokens: [Int32]
            let logprobs: [Float?]
            let next: [[Double]]
        }
        let next = scores.next.map { [Double($0.id), Double($0.logprob)] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var json = String(decoding: try encoder.encode(Output(tokens: ids, logprobs: scores.logprobs, next: next)), as: UTF8.self)
        // Token ids in "next" are integers: print them without a fractional part.
        json = json.replacingOccurrences(of: #"\[(\d+)(?:\.0)?,"#, with: "[$1,", options: .regularExpression)
        print(json)
    }
}
