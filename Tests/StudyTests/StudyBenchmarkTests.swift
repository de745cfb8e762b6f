import Foundation
import XCTest
@testable import ReMask
@testable import Study

final class StudyBenchmarkTests: XCTestCase {
    let spec = BenchmarkSpec(seed: 31, train: 120, validation: 30, test: 40, steps: 2...6, choices: 4)

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("remask-study-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func records(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testFilesAreDeterministicAndSeedDependent() throws {
        let a = try StudyBenchmark(spec, folder: temporaryFolder()), b = try StudyBenchmark(spec, folder: temporaryFolder())
        var other = spec
        other.seed = 32
        let c = try StudyBenchmark(other, folder: temporaryFolder())
        for file in ["train.jsonl", "val.jsonl", "test.jsonl", "test-mc.jsonl"] {
            let bytes = try Data(contentsOf: a.folder.appendingPathComponent(file))
            XCTAssertEqual(bytes, try Data(contentsOf: b.folder.appendingPathComponent(file)), file)
            XCTAssertNotEqual(bytes, try Data(contentsOf: c.folder.appendingPathComponent(file)), file)
        }
        // Writing into an existing folder gives the same bytes.
        let before = try Data(contentsOf: a.testURL)
        _ = try StudyBenchmark(spec, folder: a.folder)
        XCTAssertEqual(try Data(contentsOf: a.testURL), before)
    }

    /// Every answer in the written files, recomputed from the rationale's equations: each equation is right,
    /// each starts from the previous result, the last result is the answer, and the multiple-choice label
    /// points at it.
    func testAnswersInTheFilesAreCorrect() throws {
        let benchmark = try StudyBenchmark(spec, folder: temporaryFolder())
        let equation = try NSRegularExpression(pattern: #"(\d+) ([-+*/]) (\d+) = (\d+)"#)
        var prompts: [String: String] = [:]
        for (file, count) in [(benchmark.trainURL, 120), (benchmark.validationURL, 30), (benchmark.testURL, 40)] {
            let rows = try records(file)
            XCTAssertEqual(rows.count, count)
            for row in rows {
                let prompt = try XCTUnwrap(row["prompt"] as? String), rationale = try XCTUnwrap(row["rationale"] as? String)
                let answer = try XCTUnwrap(row["answer"] as? String)
                XCTAssertNil(prompts.updateValue(file.lastPathComponent, forKey: prompt), "a prompt appears in two splits")
                let matches = equation.matches(in: rationale, range: NSRange(rationale.startIndex..., in: rationale))
                XCTAssertTrue((2...6).contains(matches.count), rationale)
                var previous: Int?
                for match in matches {
                    let field = { (i: Int) in String(rationale[Range(match.range(at: i), in: rationale)!]) }
                    let (left, right, result) = (Int(field(1))!, Int(field(3))!, Int(field(4))!)
                    let computed: Int
                    switch field(2) {
                    case "+": computed = left + right
                    case "-": computed = left - right
                    case "*": computed = left * right
                    default:
                        XCTAssertEqual(left % right, 0, rationale)
                        computed = left / right
                    }
                    XCTAssertEqual(computed, result, rationale)
                    if let previous { XCTAssertEqual(left, previous, rationale) }
                    previous = result
                }
                XCTAssertEqual(previous.map(String.init), answer, rationale)
            }
        }
        let tests = try records(benchmark.testURL), questions = try records(benchmark.multipleChoiceURL)
        XCTAssertEqual(questions.count, tests.count)
        for (test, question) in zip(tests, questions) {
            XCTAssertEqual(question["question"] as? String, test["prompt"] as? String)
            let choices = try XCTUnwrap(question["choices"] as? [String]), label = try XCTUnwrap(question["label"] as? Int)
            XCTAssertEqual(choices.count, 4)
            XCTAssertEqual(Set(choices).count, 4)
            XCTAssertEqual(choices[label], test["answer"] as? String)
        }
    }

    func testEvaluationItemsUseTheTrainingFormat() throws {
        let benchmark = try StudyBenchmark(spec, folder: temporaryFolder())
        let items = StudyBenchmark.generativeItems(benchmark.problems.test, idPrefix: "test")
        XCTAssertEqual(items.count, 40)
        XCTAssertEqual(items[0].id, "test-0001")
        XCTAssertEqual(items[0].context, "<|user|>\n\(benchmark.problems.test[0].prompt)\n<|rationale|>\n")
        XCTAssertEqual(items[0].answer, benchmark.problems.test[0].answer)
        let choices = benchmark.multipleChoiceItems
        XCTAssertEqual(choices.count, 40)
        XCTAssertEqual(choices[0].context, "<|user|>\n\(benchmark.problems.test[0].prompt)\n<|answer|>\n")
        XCTAssertEqual(choices[0].continuations[choices[0].gold], benchmark.problems.test[0].answer)
        XCTAssertEqual(choices[0].normLengths, choices[0].continuations.map(\.utf8.count))
    }
}
