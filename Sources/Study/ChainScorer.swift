import Foundation
import Core
import Models
import ReMask
import Evaluation

/// Accuracy on the problems with one number of steps.
public struct LengthAccuracy: Codable, Equatable, Sendable {
    public var steps: Int
    public var n: Int
    public var accuracy: Double
}

/// What a model gets right on chain problems, free-running and teacher-forced.
public struct ChainScores: Codable, Equatable, Sendable {
    public var problems: Int
    /// Free-running: greedy decoding after `<|user|>\n{problem}\n<|rationale|>\n` until EOS; the model writes
    /// its rationale, the `<|answer|>` tag and the answer; the answer after the tag must equal the reference.
    public var exactMatch: Double
    public var exactMatchBySteps: [LengthAccuracy]
    /// Free-running: share of steps whose value the model's own rationale states right.
    public var freeStepAccuracy: Double
    /// Teacher-forced (the reference prefix given, argmax per token): share of steps all of whose tokens are
    /// predicted right; of steps whose looked-up value is; of steps whose computed value is; of problems whose
    /// every rationale and answer token is.
    public var teacherStepAccuracy: Double
    public var teacherLookup: Double
    public var teacherArithmetic: Double
    public var teacherChain: Double
}

/// Scores chain problems in the training format (`<|user|>`, `<|rationale|>`, `<|answer|>`).
struct ChainScorer {
    let lm: LanguageModel
    let tokenizer: BPETokenizer
    let batchSize: Int
    let maxNewTokens: Int

    /// Both measures; `generations` gets one JSON line per problem (prompt, output, extracted answer, steps right).
    func score(_ problems: [ChainProblem], idPrefix: String, progress: @escaping (String, Int, Int, String) -> Void) throws
        -> (scores: ChainScores, generations: Data) {
        let free = try freeRunning(problems, idPrefix: idPrefix, progress: progress)
        let forced = try teacherForced(problems, progress: progress)
        let n = Double(max(problems.count, 1))
        let stepCount = Double(max(problems.map(\.steps.count).reduce(0, +), 1))
        let byLength = Dictionary(grouping: problems.indices, by: { problems[$0].steps.count }).sorted { $0.key < $1.key }.map { steps, items in
            LengthAccuracy(steps: steps, n: items.count, accuracy: Double(items.filter { free.correct[$0] }.count) / Double(items.count))
        }
        let scores = ChainScores(
            problems: problems.count, exactMatch: Double(free.correct.filter { $0 }.count) / n, exactMatchBySteps: byLength,
            freeStepAccuracy: Double(free.stepsRight) / stepCount, teacherStepAccuracy: Double(forced.steps) / stepCount,
            teacherLookup: Double(forced.lookups) / stepCount, teacherArithmetic: Double(forced.results) / stepCount,
            teacherChain: Double(forced.chains) / n)
        return (scores, free.log)
    }

    /// Greedy generation of the rationale, the answer tag and the answer, as the model writes them.
    private func freeRunning(_ problems: [ChainProblem], idPrefix: String, progress: @escaping (String, Int, Int, String) -> Void) throws
        -> (correct: [Bool], stepsRight: Int, log: Data) {
        let items = problems.enumerated().map { i, problem in
            GenerativeItem(id: "\(idPrefix)-\(chainID(i + 1))", fewShot: "", query: PromptFormat.seedPrompt(problem.prompt, chainOfThought: true),
                           answer: problem.answer, stopStrings: [PromptFormat.userTag])
        }
        let generator = BatchGenerator(model: lm.model, tokenizer: tokenizer, batchSize: batchSize, maxNewTokens: maxNewTokens)
        let start = Date()
        progress("generation", 0, items.count, "")
        let outputs = try generator.generate(items) { done, tokens in
            progress("generation", done, items.count, String(format: "%.0f tok/s", Double(tokens) / max(Date().timeIntervalSince(start), 1e-9)))
        }
        var correct: [Bool] = [], stepsRight = 0, log = ""
        for (i, problem) in problems.enumerated() {
            let text = outputs[i].text
            let extracted = AnswerExtraction.taggedAnswer(text, tag: PromptFormat.answerTag)
            let ok = AnswerExtraction.matches(extracted, reference: problem.answer)
            let rationale = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let stated = ChainProblem.statedResults(rationale, count: problem.steps.count)
            let right = zip(stated, problem.steps).filter { $0.0 == $0.1.result }.count
            stepsRight += right
            correct.append(ok)
            let record: [String: Any] = ["id": items[i].id, "prompt": problem.prompt, "output": text, "stop": outputs[i].stop.rawValue,
                                         "extracted": extracted, "answer": problem.answer, "correct": ok,
                                         "steps": problem.steps.count, "steps_right": right]
            let line = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            log += String(decoding: line, as: UTF8.self) + "\n"
        }
        return (correct, stepsRight, Data(log.utf8))
    }

    /// One forward pass per problem over its reference text; a span counts as right when the argmax at every
    /// position before one of its tokens is that token.
    func teacherForced(_ problems: [ChainProblem], progress: @escaping (String, Int, Int, String) -> Void) throws
        -> (steps: Int, lookups: Int, results: Int, chains: Int) {
        let encoder = try ExampleTokenizer(tokenizer: tokenizer, format: .seed, maxLength: Int.max / 2)
        var steps = 0, lookups = 0, results = 0, chains = 0
        progress("teacher-forced", 0, problems.count, "")
        for first in stride(from: 0, to: problems.count, by: batchSize) {
            let chunk = Array(problems[first..<min(first + batchSize, problems.count)])
            let encoded = try chunk.map { p in
                try encoder.encode(TrainingExample(.chainOfThought(prompt: p.prompt, rationale: p.rationale, answer: p.answer)))
            }
            let length = encoded.map(\.count).max()!
            let pad = tokenizer.eosID ?? 0
            var tokens = [Int32](repeating: pad, count: chunk.count * length)
            for (row, e) in encoded.enumerated() {
                for (t, id) in e.tokens.enumerated() { tokens[row * length + t] = id }
            }
            let logits = Autograd.withNoGrad { lm.model.logits(tokens, batch: chunk.count, length: length) }
            let vocabulary = logits.shape.last!
            let predicted: [Int32] = (0..<(chunk.count * length)).map { position in
                let p = logits.pointer + position * vocabulary
                var best = 0
                for v in 1..<vocabulary where p[v] > p[best] { best = v }
                return Int32(best)
            }
            for (row, (problem, e)) in zip(chunk, encoded).enumerated() {
                // Token i is right when the prediction at i − 1 is it.
                let right = (0..<e.count).map { i in i > 0 && predicted[row * length + i - 1] == e.tokens[i] }
                let rationaleTokens = e.roles.indices.filter { e.roles[$0] == .rationale }
                let offsets = characterOffsets(e.tokens, rationaleTokens)
                func allRight(_ span: Range<Int>) -> Bool {
                    zip(rationaleTokens, offsets).allSatisfy { token, range in !range.overlaps(span) || right[token] }
                }
                var chainRight = true
                var stepStart = 0
                for (step, span) in zip(problem.steps, problem.spans) {
                    let whole = stepStart..<(stepStart + step.worked.count)
                    stepStart += step.worked.count + 2
                    let (l, r, s) = (allRight(span.lookup), allRight(span.result), allRight(whole))
                    lookups += l ? 1 : 0
                    results += r ? 1 : 0
                    steps += s ? 1 : 0
                    chainRight = chainRight && s
                }
                let labelled = e.roles.indices.filter { e.roles[$0] == .rationale || e.roles[$0] == .answer }
                chains += chainRight && labelled.allSatisfy { right[$0] } ? 1 : 0
            }
            progress("teacher-forced", first + chunk.count, problems.count, "")
        }
        return (steps, lookups, results, chains)
    }

    /// The character range each of `tokens[indices]` covers within the text they spell together.
    private func characterOffsets(_ tokens: [Int32], _ indices: [Int]) -> [Range<Int>] {
        var offset = 0
        return indices.map { i in
            let length = tokenizer.decode([tokens[i]]).unicodeScalars.count
            defer { offset += length }
            return offset..<(offset + length)
        }
    }
}
