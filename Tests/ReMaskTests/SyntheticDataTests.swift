import Foundation
import XCTest
@testable import ReMask
import TestSupport

final class SyntheticDataTests: XCTestCase {
    private let sampleFolder = repositoryRoot.appendingPathComponent("data/sample")

    private func problems(seed: UInt64, count: Int = 300, steps: ClosedRange<Int> = 2...6) -> [ArithmeticProblem] {
        var generator = ArithmeticProblemGenerator(seed: seed, steps: steps)
        return generator.next(count)
    }

    // MARK: generator

    func testSameSeedGivesSameProblemsAndDifferentSeedsDiffer() {
        XCTAssertEqual(problems(seed: 5), problems(seed: 5))
        XCTAssertNotEqual(problems(seed: 5, count: 20).map(\.prompt), problems(seed: 6, count: 20).map(\.prompt))
    }

    func testAnswersFollowFromTheStepsAndTheRationaleText() throws {
        let equation = try NSRegularExpression(pattern: #"(\d+) ([-+*/]) (\d+) = (\d+)"#)
        for problem in problems(seed: 11, count: 1000) {
            // The structured steps chain, each computed correctly, ending at the answer.
            var value = problem.start
            for step in problem.steps {
                XCTAssertEqual(step.left, value, problem.prompt)
                XCTAssertEqual(step.operation.apply(step.left, step.right), step.result, problem.prompt)
                value = step.result
            }
            XCTAssertEqual(String(value), problem.answer)

            // The rationale states one computation per step, chained, and ends at the answer.
            let text = problem.rationale
            let matches = equation.matches(in: text, range: NSRange(text.startIndex..., in: text))
            XCTAssertEqual(matches.count, problem.steps.count, text)
            var previous: Int?
            for match in matches {
                let field = { (i: Int) in String(text[Range(match.range(at: i), in: text)!]) }
                let (left, right, result) = (Int(field(1))!, Int(field(3))!, Int(field(4))!)
                let operation = try XCTUnwrap(ArithmeticOperation(rawValue: field(2)))
                XCTAssertEqual(operation.apply(left, right), result, text)
                if let previous { XCTAssertEqual(left, previous, text) }
                previous = result
            }
            XCTAssertEqual(previous.map(String.init), problem.answer, text)
            XCTAssertTrue(problem.prompt.contains(String(problem.start)), problem.prompt)
            XCTAssertFalse((problem.prompt + problem.rationale).contains("{"), "unfilled placeholder: \(problem.prompt)")
        }
    }

    func testStepCountsAndQuantitiesStayInRange() {
        let all = problems(seed: 3, count: 1000)
        for problem in all {
            XCTAssertTrue((2...6).contains(problem.steps.count))
            for step in problem.steps {
                XCTAssertTrue((2..<10_000).contains(step.result), "\(step.equation)")
                XCTAssertGreaterThan(step.right, 0)
                if step.operation == .divide { XCTAssertEqual(step.left % step.right, 0, step.equation) }
            }
        }
        XCTAssertEqual(Set(all.map(\.steps.count)), Set(2...6))
        XCTAssertEqual(Set(all.flatMap { $0.steps.map(\.operation) }), Set(ArithmeticOperation.allCases))
        XCTAssertTrue(problems(seed: 3, count: 200, steps: 3...3).allSatisfy { $0.steps.count == 3 })
    }

    func testProblemsAreVaried() {
        let all = problems(seed: 9, count: 500)
        XCTAssertGreaterThan(Set(all.map(\.prompt)).count, 495)
        // Sentence frames with the numbers blanked: at least a dozen distinct step templates in use.
        let frames = Set(all.flatMap { problem in
            problem.rationale.split(separator: ".").map { $0.replacingOccurrences(of: #"\d+"#, with: "#", options: .regularExpression) }
                .map { $0.split(separator: ",").first.map(String.init) ?? "" }
        })
        XCTAssertGreaterThan(frames.count, 12)
    }

    // MARK: benchmark

    func testSplitsAreDisjointDeterministicAndKeepEvaluationSplitsStable() {
        let benchmark = ArithmeticBenchmark.splits(seed: 1, train: 300, validation: 60, test: 80)
        XCTAssertEqual([benchmark.train.count, benchmark.validation.count, benchmark.test.count], [300, 60, 80])
        let prompts = (benchmark.train + benchmark.validation + benchmark.test).map(\.prompt)
        XCTAssertEqual(Set(prompts).count, prompts.count)

        let again = ArithmeticBenchmark.splits(seed: 1, train: 300, validation: 60, test: 80)
        XCTAssertEqual(again.train, benchmark.train)
        let biggerTrain = ArithmeticBenchmark.splits(seed: 1, train: 500, validation: 60, test: 80)
        XCTAssertEqual(biggerTrain.test, benchmark.test)
        XCTAssertEqual(biggerTrain.validation, benchmark.validation)
    }

    func testMultipleChoiceLabelsTheAnswerAmongDistinctDistractors() {
        let questions = problems(seed: 21, count: 500)
        let items = ArithmeticBenchmark.multipleChoice(questions, seed: 4)
        XCTAssertEqual(items, ArithmeticBenchmark.multipleChoice(questions, seed: 4))
        var labels = Set<Int>()
        var fromMistakes = 0
        for (problem, item) in zip(questions, items) {
            XCTAssertEqual(item.question, problem.prompt)
            XCTAssertEqual(item.choices.count, 4)
            XCTAssertEqual(item.choices[item.label], problem.answer)
            XCTAssertEqual(Set(item.choices).count, 4, "\(item.choices)")
            XCTAssertEqual(item.choices.filter { $0 == problem.answer }.count, 1)
            XCTAssertTrue(item.choices.allSatisfy { (Int($0) ?? 0) > 0 }, "\(item.choices)")
            let mistakes = Set(ArithmeticMultipleChoice.mistakes(problem.steps).map(String.init))
            fromMistakes += item.choices.filter { $0 != problem.answer && mistakes.contains($0) }.count
            labels.insert(item.label)
        }
        XCTAssertEqual(labels, [0, 1, 2, 3])
        XCTAssertGreaterThan(fromMistakes, 3 * items.count * 8 / 10, "most distractors should be solving mistakes")
        XCTAssertNotEqual(items.map(\.label), ArithmeticBenchmark.multipleChoice(questions, seed: 5).map(\.label))
    }

    func testMistakesIncludeStoppingEarlyAndConfusingTheLastOperation() {
        let steps = [ArithmeticStep(left: 12, operation: .add, right: 7, result: 19),
                     ArithmeticStep(left: 19, operation: .multiply, right: 3, result: 57)]
        let mistakes = ArithmeticMultipleChoice.mistakes(steps)
        XCTAssertTrue(mistakes.contains(19))          // stopped a step early
        XCTAssertTrue(mistakes.contains(15))          // 12 - 7, then * 3
        XCTAssertTrue(mistakes.contains(36))          // skipped the first step
        XCTAssertTrue(mistakes.contains(19 * 7))      // the first step's quantity in the last
        XCTAssertFalse(mistakes.contains(19 / 3))     // 19 / 3 is not exact
    }

    func testJSONLinesHaveTheDocumentedKeys() throws {
        let benchmark = ArithmeticBenchmark.splits(seed: 2, train: 0, validation: 0, test: 5)
        let cot = ArithmeticBenchmark.jsonLines(benchmark.test, idPrefix: "test")
        let choice = ArithmeticBenchmark.jsonLines(ArithmeticBenchmark.multipleChoice(benchmark.test, seed: 2))
        let first = try jsonObjects(cot)[0]
        XCTAssertEqual(Set(first.keys), ["id", "prompt", "rationale", "answer"])
        XCTAssertEqual(first["id"] as? String, "test-0001")
        XCTAssertEqual(first["answer"] as? String, benchmark.test[0].answer)
        for (object, problem) in zip(try jsonObjects(choice), benchmark.test) {
            XCTAssertEqual(Set(object.keys), ["question", "choices", "label"])
            let choices = try XCTUnwrap(object["choices"] as? [String])
            XCTAssertEqual(choices[try XCTUnwrap(object["label"] as? Int)], problem.answer)
        }
    }

    func testJSONStringsEscapeQuotesBackslashesAndControlCharacters() throws {
        let tricky = "say \"hi\"\\ \n\t\u{1} café ×"
        let line = SyntheticJSON.text(.object([("s", .string(tricky))]))
        XCTAssertEqual(line, #"{"s":"say \"hi\"\\ \n\t\u0001 café ×"}"#)
        XCTAssertEqual(try jsonObjects(line + "\n")[0]["s"] as? String, tricky)
    }

    // MARK: bundled sample data

    func testCommittedSampleFilesMatchRegeneration() throws {
        for file in SampleData.files() {
            let committed = try String(contentsOf: sampleFolder.appendingPathComponent(file.name), encoding: .utf8)
            XCTAssertTrue(committed == file.contents,
                          "data/sample/\(file.name) differs from SampleData.files(); regenerate it with SampleData.write")
        }
        XCTAssertNotEqual(SampleData.files(seed: SampleData.seed + 1)[0].contents, SampleData.files()[0].contents)
    }

    func testWriteCreatesTheFiles() throws {
        let folder = try makeScratchFolder().appendingPathComponent("sample")
        try SampleData.write(to: folder, seed: 7)
        for file in SampleData.files(seed: 7) {
            XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent(file.name)), Data(file.contents.utf8))
        }
    }

    func testCommittedSampleFilesHaveValidRecordsAndSizes() throws {
        func read(_ name: String) throws -> [[String: Any]] {
            try jsonObjects(String(contentsOf: sampleFolder.appendingPathComponent(name), encoding: .utf8))
        }
        let cotTrain = try read("cot-train.jsonl"), cotValidation = try read("cot-val.jsonl")
        let chatTrain = try read("chat-train.jsonl"), chatValidation = try read("chat-val.jsonl")
        XCTAssertEqual([cotTrain.count, cotValidation.count], [SampleData.cotTrainCount, SampleData.cotValidationCount])
        XCTAssertEqual(chatValidation.count, SampleData.chatValidationCount)
        XCTAssertEqual(chatTrain.count + chatValidation.count, SampleChat.conversations.count)
        XCTAssertGreaterThanOrEqual(SampleChat.conversations.count, 100)

        for record in cotTrain + cotValidation {
            XCTAssertEqual(Set(record.keys), ["id", "prompt", "rationale", "answer"])
            XCTAssertNotNil(Int(try XCTUnwrap(record["answer"] as? String)))
        }
        for record in chatTrain + chatValidation { try checkConversation(record) }
        let prompts = (cotTrain + cotValidation).compactMap { $0["prompt"] as? String }
        XCTAssertEqual(Set(prompts).count, prompts.count, "CoT train and validation overlap")

        let mixedTrain = try read("train.jsonl"), mixedValidation = try read("val.jsonl")
        XCTAssertEqual(mixedTrain.count, cotTrain.count + chatTrain.count)
        XCTAssertEqual(mixedValidation.count, cotValidation.count + chatValidation.count)
        // The project's reader accepts every line of every file.
        for file in SampleData.files() {
            let path = sampleFolder.appendingPathComponent(file.name).path
            XCTAssertEqual(try JSONLReader.read(path).examples.count, file.contents.split(separator: "\n").count)
        }
    }

    func testChatAnswersAreShortAndConversationsVaried() {
        let conversations = SampleChat.conversations
        for conversation in conversations {
            for message in conversation where message.role == "assistant" {
                XCTAssertLessThanOrEqual(message.content.split(separator: " ").count, 60, message.content)
            }
        }
        XCTAssertGreaterThanOrEqual(conversations.filter { $0.first?.role == "system" }.count, 5)
        XCTAssertGreaterThanOrEqual(conversations.filter { $0.filter { $0.role == "user" }.count > 1 }.count, 10)
        let questions = conversations.map { $0.first { $0.role == "user" }!.content }
        XCTAssertEqual(Set(questions).count, questions.count, "a question is asked twice")
    }

    // MARK: helpers

    private func jsonObjects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
        }
    }

    private func checkConversation(_ record: [String: Any]) throws {
        XCTAssertEqual(Array(record.keys), ["messages"])
        let messages = try XCTUnwrap(record["messages"] as? [[String: String]])
        let roles = messages.compactMap { $0["role"] }
        let turns = roles.first == "system" ? Array(roles.dropFirst()) : roles
        XCTAssertEqual(turns, (0..<turns.count).map { $0 % 2 == 0 ? "user" : "assistant" })
        XCTAssertEqual(turns.last, "assistant")
        XCTAssertTrue(messages.allSatisfy { Set($0.keys) == ["role", "content"] && !($0["content"] ?? "").isEmpty })
    }
}
