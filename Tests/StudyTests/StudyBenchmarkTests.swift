import Foundation
import XCTest
import Yams
@testable import ReMask
@testable import Study
import TestSupport

/// The chain benchmark: splits, files, answers recomputed independently, spans, multiple choice.
final class StudyBenchmarkTests: XCTestCase {
    func splits(seed: UInt64 = 31, train: Int = 150, base: Int = 200, steps: ClosedRange<Int> = 2...6) -> ChainBenchmark {
        ChainBenchmark.splits(seed: seed, test: 60, validation: 30, train: train, steps: steps, base: base, baseValidation: 20, baseSteps: 1...4)
    }

    func allJSONL(_ b: ChainBenchmark) -> [String] {
        [ChainBenchmark.jsonLines(b.test, idPrefix: "test"), ChainBenchmark.jsonLines(b.validation, idPrefix: "val"),
         ChainBenchmark.jsonLines(b.train, idPrefix: "train"), ChainBenchmark.jsonLines(b.base, idPrefix: "base")]
    }

    func testSplitsAreDeterministicAndSeedDependent() {
        let a = splits(), b = splits(), c = splits(seed: 32)
        XCTAssertEqual(a.test, b.test)
        XCTAssertEqual(a.validation, b.validation)
        XCTAssertEqual(a.train, b.train)
        XCTAssertEqual(a.base, b.base)
        XCTAssertEqual(allJSONL(a), allJSONL(b))
        for (x, y) in zip(allJSONL(a), allJSONL(c)) { XCTAssertNotEqual(x, y) }
        XCTAssertEqual([a.test.count, a.validation.count, a.train.count, a.base.count], [60, 30, 150, 200])
    }

    /// Larger fine-tuning and base pools leave the test and validation splits alone, and extend the pool.
    func testTestSplitIsUnchangedWhenPoolsGrow() {
        let small = splits(train: 20, base: 10), large = splits(train: 300, base: 500)
        XCTAssertEqual(small.test, large.test)
        XCTAssertEqual(small.validation, large.validation)
        XCTAssertEqual(small.train, Array(large.train.prefix(20)))
        XCTAssertEqual(ChainBenchmark.jsonLines(small.test, idPrefix: "test"), ChainBenchmark.jsonLines(large.test, idPrefix: "test"))
    }

    func testNoPromptIsInTwoSplits() {
        let b = splits(train: 400, base: 600)
        var seen: [String: String] = [:]
        for (name, problems) in [("test", b.test), ("validation", b.validation), ("train", b.train), ("base", b.base),
                                 ("base validation", b.baseValidation)] {
            for p in problems {
                if let other = seen.updateValue(name, forKey: p.prompt) { XCTFail("\(p.prompt) is in \(other) and \(name)") }
            }
        }
        XCTAssertEqual(seen.count, 60 + 30 + 400 + 600 + 20)
    }

    /// `a=74, b=a+5, c=b/3. c?` read back: the start, then (variable, source, operation, operand) per clause, and
    /// the variable asked for.
    func parsePrompt(_ prompt: String) throws -> (start: Int, clauses: [(Character, Character, Character, Int)], asked: Character) {
        let pattern = try NSRegularExpression(pattern: #"^a=(\d+)((?:, [a-z]=[a-z][-+*/]\d+)*)\. ([a-z])\?$"#)
        let match = try XCTUnwrap(pattern.firstMatch(in: prompt, range: NSRange(prompt.startIndex..., in: prompt)), prompt)
        let field = { (i: Int) in String(prompt[Range(match.range(at: i), in: prompt)!]) }
        let clause = try NSRegularExpression(pattern: #"([a-z])=([a-z])([-+*/])(\d+)"#)
        let body = field(2)
        let clauses = clause.matches(in: body, range: NSRange(body.startIndex..., in: body)).map { m in
            let f = { (i: Int) in String(body[Range(m.range(at: i), in: body)!]) }
            return (Character(f(1)), Character(f(2)), Character(f(3)), Int(f(4))!)
        }
        return (Int(field(1))!, clauses, Character(field(3)))
    }

    func apply(_ op: Character, _ left: Int, _ right: Int) -> Int? {
        switch op {
        case "+": left + right
        case "-": left - right
        case "*": left * right
        case "/": left % right == 0 ? left / right : nil
        default: nil
        }
    }

    /// Every answer recomputed from the prompt alone, and every worked clause of the rationale checked step by
    /// step; values and operands in their ranges; step counts in the chosen range.
    func testAnswersRecomputedFromThePromptAndTheRationale() throws {
        let b = splits()
        for (problems, steps) in [(b.test + b.validation + b.train, 2...6), (b.base, 1...4)] {
            var counts: Set<Int> = []
            for p in problems {
                let parsed = try parsePrompt(p.prompt)
                XCTAssertEqual(parsed.clauses.count, p.steps.count, p.prompt)
                XCTAssertTrue(steps.contains(parsed.clauses.count), p.prompt)
                counts.insert(parsed.clauses.count)
                XCTAssertTrue((2...99).contains(parsed.start), p.prompt)
                // Evaluate the prompt's clauses with a table of values, each reading the variable it names.
                var values: [Character: Int] = ["a": parsed.start]
                let letters = Array("abcdefghijklmnopqrstuvwxyz")
                for (i, (variable, source, op, operand)) in parsed.clauses.enumerated() {
                    XCTAssertEqual(variable, letters[i + 1], p.prompt)
                    XCTAssertEqual(source, letters[i], p.prompt)
                    switch op {
                    case "+", "-": XCTAssertTrue((1...9).contains(operand), p.prompt)
                    case "*": XCTAssertTrue((2...4).contains(operand), p.prompt)
                    default: XCTAssertTrue((2...5).contains(operand), p.prompt)
                    }
                    let left = try XCTUnwrap(values[source], p.prompt)
                    let value = try XCTUnwrap(apply(op, left, operand), "inexact division in \(p.prompt)")
                    XCTAssertTrue((2...99).contains(value), "\(p.prompt): \(variable)=\(value)")
                    values[variable] = value
                }
                XCTAssertEqual(parsed.asked, parsed.clauses.last!.0, p.prompt)
                XCTAssertEqual(p.answer, String(values[parsed.asked]!), p.prompt)

                // The rationale: one worked clause per step, `c=b/3=78/3=26`, each reading the previous value.
                let worked = p.rationale.components(separatedBy: ", ")
                XCTAssertEqual(worked.count, parsed.clauses.count, p.rationale)
                var previous = parsed.start
                let pattern = try NSRegularExpression(pattern: #"^([a-z])=([a-z])([-+*/])(\d+)=(\d+)([-+*/])(\d+)=(\d+)$"#)
                for (text, clause) in zip(worked, parsed.clauses) {
                    let m = try XCTUnwrap(pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), text)
                    let f = { (i: Int) in String(text[Range(m.range(at: i), in: text)!]) }
                    XCTAssertEqual("\(f(1))=\(f(2))\(f(3))\(f(4))", "\(clause.0)=\(clause.1)\(clause.2)\(clause.3)", text)
                    XCTAssertEqual(f(6), f(3), text)
                    XCTAssertEqual(Int(f(7)), clause.3, text)
                    XCTAssertEqual(Int(f(5)), previous, "\(p.rationale): looks up the wrong value")
                    let result = try XCTUnwrap(apply(Character(f(3)), previous, clause.3))
                    XCTAssertEqual(Int(f(8)), result, text)
                    XCTAssertEqual(result, values[clause.0], text)
                    previous = result
                }
                XCTAssertEqual(String(previous), p.answer)
            }
            XCTAssertEqual(counts, Set(steps), "every length of the range is drawn")
        }
    }

    /// The JSONL records carry the problem as the problems say, with ids in order.
    func testJSONLRecords() throws {
        let problems = splits().test
        let lines = ChainBenchmark.jsonLines(problems, idPrefix: "test").split(separator: "\n")
        XCTAssertEqual(lines.count, problems.count)
        for (i, (line, p)) in zip(lines, problems).enumerated() {
            let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(row["id"] as? String, "test-" + chainID(i + 1))
            XCTAssertEqual(row["prompt"] as? String, p.prompt)
            XCTAssertEqual(row["rationale"] as? String, p.rationale)
            XCTAssertEqual(row["answer"] as? String, p.answer)
            XCTAssertEqual(row["steps"] as? Int, p.steps.count)
        }
        XCTAssertEqual(chainID(7), "00007")
        XCTAssertEqual(chainID(123456), "123456")
    }

    func testGeneratorStepsRange() {
        for range in [1...1, 3...3, 20...25] {
            var generator = ChainProblemGenerator(seed: 3, steps: range)
            for _ in 0..<50 {
                let p = generator.next()
                XCTAssertTrue(range.contains(p.steps.count))
                XCTAssertTrue(p.steps.allSatisfy { (2...99).contains($0.left) && (2...99).contains($0.result) })
            }
        }
    }

    /// The count of distinct problems of a step range is exact: with one step, a large sample finds that many.
    func testDistinctProblems() {
        XCTAssertEqual(ChainProblemGenerator.distinctProblems(steps: 1...1), 1898)
        let two = ChainProblemGenerator.distinctProblems(steps: 2...2)
        XCTAssertEqual(ChainProblemGenerator.distinctProblems(steps: 1...2), 1898 + two)
        XCTAssertGreaterThan(two, 1898 * 15)
        XCTAssertGreaterThan(ChainProblemGenerator.distinctProblems(steps: 25...25), 1e25)
        // 60,000 draws of one step (the rarest problem has a chance of about 1/3,500 a draw) find all, and no more.
        var generator = ChainProblemGenerator(seed: 2, steps: 1...1)
        var seen: Set<[Int]> = []
        for _ in 0..<60_000 {
            let p = generator.next(), step = p.steps[0]
            seen.insert([p.start, Int(step.operation.rawValue.unicodeScalars.first!.value), step.operand])
        }
        XCTAssertEqual(seen.count, 1898)
    }

    /// The spans point at the looked-up and computed digits of each step.
    func testSpansPointAtTheDigits() {
        let b = splits()
        for p in b.test + b.base {
            let text = Array(p.rationale)
            XCTAssertEqual(p.spans.count, p.steps.count)
            for (step, span) in zip(p.steps, p.spans) {
                XCTAssertEqual(String(text[span.lookup]), String(step.left), p.rationale)
                XCTAssertEqual(String(text[span.result]), String(step.result), p.rationale)
                // The look-up follows `c=b/3=`; the result ends the clause.
                XCTAssertEqual(String(text[(span.lookup.lowerBound - step.clause.count - 1)..<span.lookup.lowerBound]), step.clause + "=")
                XCTAssertEqual(text[span.result.lowerBound - 1], "=")
                XCTAssertTrue(span.result.upperBound == text.count || text[span.result.upperBound] == ",", p.rationale)
                XCTAssertLessThan(span.lookup.upperBound, span.result.lowerBound)
            }
        }
        let p = ChainProblem(start: 74, steps: [
            ChainStep(variable: "b", source: "a", operation: .add, operand: 5, left: 74, result: 79),
            ChainStep(variable: "c", source: "b", operation: .divide, operand: 3, left: 78, result: 26),
        ])
        XCTAssertEqual(p.prompt, "a=74, b=a+5, c=b/3. c?")
        XCTAssertEqual(p.rationale, "b=a+5=74+5=79, c=b/3=78/3=26")
        XCTAssertEqual(p.answer, "26")
        XCTAssertEqual(p.spans.map(\.lookup), [6..<8, 21..<23])
        XCTAssertEqual(p.spans.map(\.result), [11..<13, 26..<28])
    }

    func testStatedResults() {
        let good = "b=a+5=74+5=79, c=b/3=79/3=26, d=c*4=26*4=104"
        XCTAssertEqual(ChainProblem.statedResults(good[...], count: 3), [79, 26, 104])
        XCTAssertEqual(ChainProblem.statedResults(good[...], count: 2), [79, 26])
        // Cut short: a clause without its result, and steps never written.
        XCTAssertEqual(ChainProblem.statedResults("b=a+5=74+5=79, c=b/3=79/"[...], count: 3), [79, nil, nil])
        XCTAssertEqual(ChainProblem.statedResults("b=a+5=74+5=79"[...], count: 3), [79, nil, nil])
        XCTAssertEqual(ChainProblem.statedResults(""[...], count: 2), [nil, nil])
        // Garbled values are no values; a wrong one is stated as written.
        XCTAssertEqual(ChainProblem.statedResults("b=a+5=74+5=7x, c=b/3=79/3=27"[...], count: 2), [nil, 27])
        XCTAssertEqual(ChainProblem.statedResults("b=a+5=74+5=, c"[...], count: 2), [nil, nil])
        XCTAssertEqual(ChainProblem.statedResults("5555555555"[...], count: 2), [5555555555, nil])
        // A real problem's own rationale states every result.
        for p in splits().test {
            XCTAssertEqual(ChainProblem.statedResults(p.rationale[...], count: p.steps.count), p.steps.map(\.result))
        }
    }

    func testMultipleChoice() {
        let problems = splits().test + splits().validation
        for choices in 2...4 {
            let questions = ChainBenchmark.multipleChoice(problems, seed: 8, choices: choices)
            XCTAssertEqual(questions, ChainBenchmark.multipleChoice(problems, seed: 8, choices: choices))
            XCTAssertEqual(questions.count, problems.count)
            for (q, p) in zip(questions, problems) {
                XCTAssertEqual(q.question, p.prompt)
                XCTAssertEqual(q.choices.count, choices)
                XCTAssertEqual(Set(q.choices).count, choices, "\(q.choices)")
                XCTAssertEqual(q.choices.filter { $0 == p.answer }.count, 1)
                XCTAssertEqual(q.choices[q.label], p.answer)
                XCTAssertTrue(q.choices.allSatisfy { $0.count == p.answer.count && Int($0) != nil }, "\(q.choices) for \(p.answer)")
            }
            if choices == 4 {
                XCTAssertNotEqual(questions, ChainBenchmark.multipleChoice(problems, seed: 9, choices: choices))
                // The answer's position is spread over the choices.
                XCTAssertEqual(Set(questions.map(\.label)), [0, 1, 2, 3])
            }
        }
    }

    /// The files in the study folder: the splits as JSONL, one training file per regime (a prefix of the
    /// pool), the same bytes when written again.
    func testStudyBenchmarkFiles() throws {
        let spec = ChainBenchmarkSpec(seed: 4, test: 20, validation: 10, train: 30, steps: 2...4, base: 40, baseValidation: 10, baseSteps: 1...2, choices: 4)
        let regimes = [StudyConfig.Regime(name: "small", problems: 5, layer: [:]), StudyConfig.Regime(name: "all", problems: 30, layer: [:])]
        let a = try StudyBenchmark(spec, regimes: regimes, folder: scratchURL())
        let b = try StudyBenchmark(spec, regimes: regimes, folder: scratchURL())
        let names = ["test.jsonl", "val.jsonl", "base.jsonl", "test-mc.jsonl", "train-small.jsonl", "train-all.jsonl"]
        for name in names {
            let bytes = try Data(contentsOf: a.folder.appendingPathComponent(name))
            XCTAssertEqual(bytes, try Data(contentsOf: b.folder.appendingPathComponent(name)), name)
        }
        let small = try String(contentsOf: a.trainURL(regimes[0]), encoding: .utf8)
        let all = try String(contentsOf: a.trainURL(regimes[1]), encoding: .utf8)
        XCTAssertEqual(small.split(separator: "\n").count, 5)
        XCTAssertEqual(all.split(separator: "\n").count, 30)
        XCTAssertTrue(all.hasPrefix(small))
        XCTAssertEqual(try String(contentsOf: a.baseURL, encoding: .utf8), ChainBenchmark.jsonLines(a.problems.base, idPrefix: "base"))
        XCTAssertEqual(try String(contentsOf: a.baseValidationURL, encoding: .utf8),
                       ChainBenchmark.jsonLines(a.problems.baseValidation, idPrefix: "base-val"))
        XCTAssertEqual(a.problems.baseValidation.count, 10)
        XCTAssertTrue(Set(a.problems.baseValidation.map(\.prompt)).isDisjoint(with: a.problems.base.map(\.prompt)))
        // Writing into the existing folder gives the same bytes.
        let before = try names.map { try Data(contentsOf: a.folder.appendingPathComponent($0)) }
        _ = try StudyBenchmark(spec, regimes: regimes, folder: a.folder)
        XCTAssertEqual(try names.map { try Data(contentsOf: a.folder.appendingPathComponent($0)) }, before)

        // Multiple-choice items: the question without a rationale, the answer tag, the choices.
        let items = a.multipleChoiceItems
        XCTAssertEqual(items.count, 20)
        XCTAssertEqual(items[0].id, "test-00001")
        XCTAssertEqual(items[0].context, "<|user|>\n\(a.problems.test[0].prompt)\n<|answer|>\n")
        XCTAssertEqual(items[0].continuations[items[0].gold], a.problems.test[0].answer)
        XCTAssertEqual(items[0].normLengths, items[0].continuations.map { $0.unicodeScalars.count })
        XCTAssertTrue(a.baseTexts[0].hasPrefix(a.problems.base[0].prompt + "\n"))
    }
}
