import Foundation
import XCTest
@testable import Core
@testable import Models
@testable import ReMask
@testable import Study
import TestSupport

/// `ChainScorer` on tiny from-scratch models: an untrained one (every score a share, the generation log's
/// fields), and one that has memorized a single problem, where teacher forcing must find every step right —
/// and, on copies of the problem with one stated value changed, exactly the step spans that differ wrong.
final class ChainScorerTests: XCTestCase {
    static let spec = ScratchModelSpec(hidden: 16, layers: 1, heads: 2, kvHeads: 2, intermediate: 32, merges: 20)

    func texts(_ problems: [ChainProblem]) -> [String] { problems.map { "\($0.prompt)\n\($0.rationale)\n\($0.answer)" } }

    /// A scratch model (tokenizer learned on `problems`) written to a folder, with weights from `seed`.
    func scratchModel(_ problems: [ChainProblem], folder: URL) throws -> String {
        try ScratchModel.write(Self.spec, tokenizer: ScratchModel.tokenizer(Self.spec, texts: texts(problems)), seed: 3,
                               maxLength: 256, folder: folder)
    }

    func scorer(_ path: String, batchSize: Int = 4, maxNewTokens: Int = 80) throws -> ChainScorer {
        let lm = try LanguageModel.load(path)
        return ChainScorer(lm: lm, tokenizer: try lm.requireTokenizer(), batchSize: batchSize, maxNewTokens: maxNewTokens)
    }

    func testUntrainedModelScoresAreSharesAndTheLogHasSteps() throws {
        let b = ChainBenchmark.splits(seed: 2, test: 7, validation: 1, train: 1, steps: 1...4, base: 30, baseSteps: 1...4)
        let path = try scratchModel(b.base, folder: scratchURL())
        var stages: Set<String> = []
        let (scores, log) = try scorer(path, batchSize: 3, maxNewTokens: 12).score(b.test, idPrefix: "x") { stage, done, total, _ in
            stages.insert(stage)
            XCTAssertLessThanOrEqual(done, total)
        }
        XCTAssertEqual(stages, ["generation", "teacher-forced"])
        XCTAssertEqual(scores.problems, 7)
        for value in [scores.exactMatch, scores.freeStepAccuracy, scores.teacherStepAccuracy, scores.teacherLookup,
                      scores.teacherArithmetic, scores.teacherChain] {
            XCTAssertTrue((0...1).contains(value), "\(scores)")
        }
        XCTAssertEqual(scores.exactMatchBySteps.map(\.n).reduce(0, +), 7)
        XCTAssertEqual(scores.exactMatchBySteps.map(\.steps), Set(b.test.map(\.steps.count)).sorted())
        XCTAssertTrue(scores.exactMatchBySteps.allSatisfy { (0...1).contains($0.accuracy) })

        let lines = String(decoding: log, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 7)
        for (i, (line, problem)) in zip(lines, b.test).enumerated() {
            let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(row["id"] as? String, "x-" + chainID(i + 1))
            XCTAssertEqual(row["prompt"] as? String, problem.prompt)
            XCTAssertEqual(row["answer"] as? String, problem.answer)
            XCTAssertEqual(row["steps"] as? Int, problem.steps.count)
            let right = try XCTUnwrap(row["steps_right"] as? Int)
            XCTAssertTrue((0...problem.steps.count).contains(right))
            XCTAssertNotNil(row["output"] as? String)
            XCTAssertNotNil(row["correct"] as? Bool)
            XCTAssertNotNil(row["extracted"] as? String)
        }
    }

    /// `problem` with step `index`'s stated look-up or result replaced (the prompt stays the same).
    func changed(_ problem: ChainProblem, step index: Int, left: Int? = nil, result: Int? = nil) -> ChainProblem {
        var steps = problem.steps
        let s = steps[index]
        steps[index] = ChainStep(variable: s.variable, source: s.source, operation: s.operation, operand: s.operand,
                                 left: left ?? s.left, result: result ?? s.result)
        return ChainProblem(start: problem.start, steps: steps)
    }

    /// A value with the same digit count as `value` and a different first digit.
    func otherFirstDigit(_ value: Int) -> Int {
        let text = String(value)
        let first = text.first!.wholeNumberValue!
        let replacement = first == 9 ? (text.count == 1 ? 2 : 1) : first + 1
        return Int(String(replacement) + text.dropFirst())!
    }

    func testMemorizedProblemIsRightTeacherForcedAndFreeRunning() throws {
        var generator = ChainProblemGenerator(seed: 11, steps: 3...3)
        let problem = generator.next()
        let folder = scratchURL()
        let initial = try scratchModel([problem], folder: folder.appendingPathComponent("init"))
        let data = folder.appendingPathComponent("data.jsonl")
        try ChainBenchmark.jsonLines([problem], idPrefix: "p").write(to: data, atomically: true, encoding: .utf8)
        var options = TrainingSettings(data: data.path, out: folder.appendingPathComponent("train").path, objective: .sft)
        options.run.model = initial
        options.optimizer.name = .adamw
        // 80 steps on the one problem bring its loss to about 0.02 (every token's probability well above a half).
        options.optimizer.learningRate = 2e-2
        options.optimizer.weightDecay = 0
        options.optimizer.schedule = .constant
        options.optimizer.microBatch = 1
        options.optimizer.batchSize = 1
        options.optimizer.maxSteps = 80
        options.optimizer.epochs = 100_000
        options.data.maxLength = 128
        options.run.keepCheckpoints = 1
        _ = try Trainer(options, log: { _ in }).run()
        let scorer = try scorer(options.run.out)

        // The problem itself: every step, look-up, result and the whole chain right, and greedy decoding writes it.
        let (scores, log) = try scorer.score([problem], idPrefix: "m") { _, _, _, _ in }
        XCTAssertEqual(scores.teacherStepAccuracy, 1, "\(scores)")
        XCTAssertEqual(scores.teacherLookup, 1)
        XCTAssertEqual(scores.teacherArithmetic, 1)
        XCTAssertEqual(scores.teacherChain, 1)
        XCTAssertEqual(scores.exactMatch, 1, String(decoding: log, as: UTF8.self))
        XCTAssertEqual(scores.freeStepAccuracy, 1)
        XCTAssertEqual(scores.exactMatchBySteps, [LengthAccuracy(steps: 3, n: 1, accuracy: 1)])
        let row = try XCTUnwrap(JSONSerialization.jsonObject(with: log) as? [String: Any])
        XCTAssertEqual(row["steps_right"] as? Int, 3)
        XCTAssertEqual(row["correct"] as? Bool, true)

        // The last step's result stated otherwise: the model, given the same prefix, predicts the memorized first
        // digit, so that result and its step are wrong, its look-up and every earlier step right.
        let n = problem.steps.count
        let lastResult = changed(problem, step: n - 1, result: otherFirstDigit(problem.steps[n - 1].result))
        let a = try scorer.teacherForced([lastResult]) { _, _, _, _ in }
        XCTAssertEqual(a.lookups, n)
        XCTAssertEqual(a.results, n - 1)
        XCTAssertEqual(a.steps, n - 1)
        XCTAssertEqual(a.chains, 0)

        // The last step's look-up stated otherwise: that look-up and its step are wrong; everything before is right.
        let lastLookup = changed(problem, step: n - 1, left: otherFirstDigit(problem.steps[n - 1].left))
        let b = try scorer.teacherForced([lastLookup]) { _, _, _, _ in }
        XCTAssertEqual(b.lookups, n - 1)
        XCTAssertEqual(b.steps, n - 1)
        XCTAssertTrue((n - 1...n).contains(b.results))
        XCTAssertEqual(b.chains, 0)

        // The first step's result stated otherwise: the first step's result is wrong, its look-up right; later
        // spans see a prefix the model never saw, so only bounds hold for them.
        let firstResult = changed(problem, step: 0, result: otherFirstDigit(problem.steps[0].result))
        let c = try scorer.teacherForced([firstResult]) { _, _, _, _ in }
        XCTAssertTrue((1...n).contains(c.lookups))
        XCTAssertTrue((0...n - 1).contains(c.results))
        XCTAssertTrue((0...n - 1).contains(c.steps))
        XCTAssertEqual(c.chains, 0)

        // Batched with the problem itself: counts add up per problem, whatever the padding.
        let batch = try scorer.teacherForced([lastResult, problem, lastLookup]) { _, _, _, _ in }
        XCTAssertEqual(batch.lookups, a.lookups + n + b.lookups)
        XCTAssertEqual(batch.results, a.results + n + b.results)
        XCTAssertEqual(batch.steps, a.steps + n + b.steps)
        XCTAssertEqual(batch.chains, 1)
    }
}
