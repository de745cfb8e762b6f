import XCTest
import Core
import Models
@testable import Evaluation
import TestSupport

/// The evaluation engines against direct computation: a tiny random model with SmolLM2's tokenizer.
final class EngineTests: XCTestCase {
    static let fixtures = fixturesDirectory
    static let tokenizer = try! BPETokenizer(tokenizerJSON: fixtures.appendingPathComponent("smollm2-tokenizer/tokenizer.json"))
    static let model: CausalLM = {
        let m = CausalLM(config: .llama(vocabSize: 49152, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24), seed: 3)
        var rng = SeededRandom(seed: 4)
        for i in 0..<m.parameters.count { m.parameters.valuePointer[i] += 0.3 * rng.nextNormal() }
        return m
    }()

    /// log p(continuation | context) by one full forward pass over the whole sequence.
    func directLogLikelihood(_ context: String, _ continuation: String) -> Double {
        let c = Self.tokenizer.encode(context), k = Self.tokenizer.encode(continuation)
        let lps = Scoring.logprobs(Self.model, c + k, top: 0).logprobs
        return lps.suffix(k.count).reduce(0) { $0 + Double($1!) }
    }

    func items() -> [MultipleChoiceItem] {
        let shots = "Question: Which is a metal?\nAnswer: iron\n\nQuestion: What do plants need?\nAnswer: light\n\n"
        func item(_ id: String, _ fewShot: String, _ q: String, _ choices: [String], _ gold: Int) -> MultipleChoiceItem {
            MultipleChoiceItem(id: id, fewShot: fewShot, query: "Question: \(q)\nAnswer:", continuations: choices.map { " " + $0 },
                               normLengths: choices.map(\.unicodeScalars.count), gold: gold)
        }
        return [item("a", shots, "What melts ice?", ["heat", "cold air", "a magnet"], 0),
                item("b", shots, "Which is a planet?", ["Mars", "the Moon"], 0),
                item("c", "Question: Which is a metal?\nAnswer: gold\n\n", "Is water wet?", ["yes", "no", "maybe", "never"], 1),
                item("d", "", "Which is largest?", ["the Sun", "Earth"], 0)]
    }

    func testChoiceScoresEqualFullForwardPasses() throws {
        for batch in [1, 3, 8] {
            let scorer = ChoiceScorer(model: Self.model, tokenizer: Self.tokenizer, batchSize: batch)
            let scores = try scorer.score(items())
            for (item, s) in zip(items(), scores) {
                for (j, cont) in item.continuations.enumerated() {
                    XCTAssertEqual(s.logLikelihoods[j], directLogLikelihood(item.context, cont), accuracy: 2e-3,
                                   "item \(item.id) choice \(j), batch \(batch)")
                    XCTAssertEqual(s.tokenCounts[j], Self.tokenizer.encode(cont).count)
                }
            }
        }
    }

    func testBatchGeneratorEqualsPlainGreedyGeneration() throws {
        let shots = "Question: 2 + 2?\nAnswer: 4\n\n"
        let queries = ["Question: 3 + 5?\nAnswer:", "Question: 10 - 1?\nAnswer:", "Question: 6 * 7?\nAnswer:"]
        let items = queries.enumerated().map { i, q in
            GenerativeItem(id: "\(i)", fewShot: i == 2 ? "" : shots, query: q, answer: "0", stopStrings: [])
        }
        for batch in [1, 2] {
            var generator = BatchGenerator(model: Self.model, tokenizer: Self.tokenizer, batchSize: batch, maxNewTokens: 6)
            generator.stopTokens = []
            let outputs = try generator.generate(items)
            for (item, out) in zip(items, outputs) {
                let ids = Self.tokenizer.encode(item.context)
                let want = Generator(model: Self.model).generate([ids], maxTokens: 6)[0].tokens
                XCTAssertEqual(out.text, Self.tokenizer.decode(want), "item \(item.id), batch \(batch)")
                XCTAssertEqual(out.tokens, 6)
                XCTAssertEqual(out.stop, .maxTokens)
            }
        }
    }

    func testStopStringsCutTheOutput() throws {
        let item = GenerativeItem(id: "x", fewShot: "", query: "Question: 1 + 1?\nAnswer:", answer: "2", stopStrings: [])
        var generator = BatchGenerator(model: Self.model, tokenizer: Self.tokenizer, batchSize: 1, maxNewTokens: 8)
        generator.stopTokens = []
        let full = try generator.generate([item])[0].text
        let stop = String(full.dropFirst(full.count / 2).prefix(2))
        try XCTSkipIf(stop.isEmpty, "output too short to cut")
        var cut = item
        cut.stopStrings = [stop]
        let out = try generator.generate([cut])[0]
        XCTAssertEqual(out.stop, .stopString)
        XCTAssertEqual(out.text, String(full[..<full.range(of: stop)!.lowerBound]))
    }

    func testPerplexityEqualsFullForwardAcrossWindows() throws {
        let text = "The quick brown fox jumps over the lazy dog. It was a bright cold day in April."
        let ids = Self.tokenizer.encode(text)
        let direct = -Scoring.logprobs(Self.model, ids, top: 0).logprobs.dropFirst().reduce(0) { $0 + Double($1!) }
        let whole = try PerplexityScorer(model: Self.model, tokenizer: Self.tokenizer, window: 1024).score([("t", text)])[0]
        XCTAssertEqual(whole.scoredTokens, ids.count - 1)
        XCTAssertEqual(whole.negativeLogLikelihood, direct, accuracy: 1e-3)
        // Small windows lose context, so the total changes, but every token after the first is still scored once.
        let windowed = try PerplexityScorer(model: Self.model, tokenizer: Self.tokenizer, window: 4, tokensPerCall: 8).score([("t", text), ("u", "Hi")])
        XCTAssertEqual(windowed[0].scoredTokens, ids.count - 1)
        XCTAssertEqual(windowed[1].scoredTokens, Self.tokenizer.encode("Hi").count - 1)
    }

    /// Items that need more positions than the model has are refused by name, before anything runs: a prompt
    /// with its new tokens, a context with its longest choice, a perplexity window.
    func testItemsLongerThanTheContextAreRefused() throws {
        let small = CausalLM(config: .llama(vocabSize: 49152, hidden: 16, layers: 1, heads: 4, kvHeads: 2, intermediate: 24, maxPositions: 32), seed: 3)
        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 4)
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        let prompt = GenerativeItem(id: "p", fewShot: "", query: "Question: 3 + 5?\nAnswer:", answer: "8", stopStrings: [])
        let generated = message { try BatchGenerator(model: small, tokenizer: Self.tokenizer, batchSize: 1, maxNewTokens: 40).generate([prompt]) }
        XCTAssertTrue(generated.contains("item p: the prompt ("), generated)
        XCTAssertTrue(generated.contains("with up to 40 new ones (--max-new-tokens) needs"), generated)
        XCTAssertTrue(generated.hasSuffix("more than the model's context of 32"), generated)
        XCTAssertEqual(try BatchGenerator(model: small, tokenizer: Self.tokenizer, batchSize: 1, maxNewTokens: 4).generate([prompt]).count, 1)

        let choice = MultipleChoiceItem(id: "c", fewShot: "", query: long, continuations: [" a", " b"], normLengths: [1, 1], gold: 0)
        let chosen = message { try ChoiceScorer(model: small, tokenizer: Self.tokenizer, batchSize: 1).score([choice]) }
        XCTAssertTrue(chosen.hasPrefix("item c: the context with its longest choice needs"), chosen)
        let windowed = message { try PerplexityScorer(model: small, tokenizer: Self.tokenizer, window: 64).score([("t", long)]) }
        XCTAssertTrue(windowed.contains("a perplexity window (--window) needs 64 tokens, more than the model's context of 32"), windowed)
        XCTAssertEqual(try PerplexityScorer(model: small, tokenizer: Self.tokenizer, window: 16).score([("t", long)]).count, 1)
    }

    func testMultipleChoiceMetricsFromScores() throws {
        let lm = LanguageModel(model: Self.model, tokenizer: Self.tokenizer, chatTemplate: nil, path: "tiny")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mc-\(UUID()).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let lines = items().map { i in
            let obj: [String: Any] = ["id": i.id, "prompt": i.context, "choices": i.continuations, "gold": i.gold]
            return String(decoding: try! JSONSerialization.data(withJSONObject: obj), as: UTF8.self)
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        var options = EvalOptions(task: .jsonl)
        options.dataFile = file.path
        let report = try Evaluator.run(lm, options)
        var acc = 0.0, accNorm = 0.0
        for item in items() {
            let lls = item.continuations.map { directLogLikelihood(item.context, $0) }
            let norm = zip(lls, item.continuations).map { $0 / Double($1.drop(while: \.isWhitespace).utf8.count) }
            acc += Evaluator.argmax(lls) == item.gold ? 0.25 : 0
            accNorm += Evaluator.argmax(norm) == item.gold ? 0.25 : 0
        }
        XCTAssertEqual(report.n, 4)
        XCTAssertEqual(report.metrics.map(\.name), ["acc", "acc_norm"])
        XCTAssertEqual(report.metrics[0].value, acc, accuracy: 1e-12)
        XCTAssertEqual(report.metrics[1].value, accNorm, accuracy: 1e-12)
        XCTAssertEqual(report.items.count, 4)
        let json = try JSONSerialization.jsonObject(with: report.json()) as! [String: Any]
        XCTAssertEqual(json["task"] as? String, "jsonl")
        XCTAssertEqual(json["n"] as? Int, 4)
        XCTAssertNotNil(json["acc_norm"] as? Double)
        let details = json["details"] as? [String: Any]
        XCTAssertEqual(details?["batch_size"] as? Int, 16, "counts are JSON numbers")
        XCTAssertEqual(details?["model"] as? String, "tiny")
        XCTAssertNotNil(details?["seconds"] as? Double)
    }

    func testModelWithoutTokenizerIsRefused() {
        let lm = LanguageModel(model: Self.model, tokenizer: nil, chatTemplate: nil, path: "/models/bare")
        XCTAssertThrowsError(try Evaluator.run(lm, EvalOptions(task: .arcChallenge))) { error in
            XCTAssertTrue("\(error)".contains("no tokenizer"), "\(error)")
        }
    }
}
