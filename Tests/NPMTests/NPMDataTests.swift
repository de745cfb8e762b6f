import Core
import Foundation
import Models
@testable import NPM
import ReMask
import TestSupport
import XCTest

/// Corpus reading, blocks, task files, answers and top-k: the parts of NPM that need no model.
final class NPMDataTests: XCTestCase {
    func testPlainTextParagraphsAreDocumentsWithTheirLines() throws {
        let folder = try makeScratchFolder()
        let file = folder.appendingPathComponent("c.txt")
        try "First paragraph,\nstill first.\n\n\n  \nSecond one.\n".write(to: file, atomically: true, encoding: .utf8)
        let documents = try TextCorpus.read(file.path)
        XCTAssertEqual(documents.map(\.text), ["First paragraph,\nstill first.", "Second one."])
        XCTAssertEqual(documents.map(\.source.line), [1, 6])
    }

    func testJSONLErrorsNameTheLine() throws {
        let folder = try makeScratchFolder()
        let file = folder.appendingPathComponent("c.jsonl")
        try "{\"text\": \"ok\", \"body\": \"b\"}\n{\"body\": \"no text\"}\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TextCorpus.read(file.path)) { XCTAssertTrue("\($0)".contains("c.jsonl:2") && "\($0)".contains("\"text\""), "\($0)") }
        XCTAssertEqual(try TextCorpus.read(file.path, field: "body").map(\.text), ["b", "no text"])
        XCTAssertThrowsError(try TextCorpus.read(folder.appendingPathComponent("none.jsonl").path)) { XCTAssertTrue("\($0)".contains("no such file"), "\($0)") }
    }

    /// Blocks hold at most `length` tokens with [CLS] and [SEP], cut before a word start, and keep every token once.
    func testBlocksCutBeforeWordStarts() throws {
        let tokenizer = try WordPieceTokenizer(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "play", "##ing", "##s"])
        let text = "a playing b plays c a playing playing b"
        let blocks = CorpusBlock.blocks(of: [CorpusDocument(text: text, source: SourceLocation(file: "t", line: 1))], tokenizer: tokenizer, length: 6)
        let all = tokenizer.encoding(of: text, addSpecialTokens: false)
        XCTAssertEqual(blocks.flatMap { $0.block.ids.dropFirst().dropLast() }, all.ids)
        for b in blocks {
            XCTAssertLessThanOrEqual(b.block.ids.count, 6)
            XCTAssertEqual(b.block.ids.first, tokenizer.clsID); XCTAssertEqual(b.block.ids.last, tokenizer.sepID)
            XCTAssertTrue(b.block.startsWord[1], "a block starts with a word: \(b.block.ids)")
            XCTAssertEqual(b.offsets.count, b.block.ids.count)
        }
    }

    func testTaskFilesAndTheirErrors() throws {
        let folder = try makeScratchFolder()
        let file = folder.appendingPathComponent("t.jsonl")
        try """
        {"input": "Good film. It was [MASK].", "label": 1, "labels": ["terrible", "great"]}
        {"input": "Paris is in [MASK].", "answers": ["France"], "context": "France is a country."}
        """.write(to: file, atomically: true, encoding: .utf8)
        let task = try ZeroShotTask.read(file.path)
        XCTAssertEqual(task.name, "t")
        XCTAssertEqual(task.examples, [.classification(input: "Good film. It was [MASK].", label: 1, options: ["terrible", "great"]),
                                       .cloze(input: "Paris is in [MASK].", answers: ["France"], context: "France is a country.")])
        try "{\"input\": \"no mask\", \"answers\": [\"x\"]}\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ZeroShotTask.read(file.path)) { XCTAssertTrue("\($0)".contains("t.jsonl:1"), "\($0)") }
        try "{\"input\": \"[MASK]\", \"label\": 2, \"labels\": [\"a\", \"b\"]}\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ZeroShotTask.read(file.path)) { XCTAssertTrue("\($0)".contains("label"), "\($0)") }
    }

    func testAnswersAreNormalizedAsSQuADDoes() {
        XCTAssertEqual(normalizedAnswer("The  Eiffel-Tower!"), "eiffel tower")
        XCTAssertEqual(normalizedAnswer("an Apple"), "apple")
        XCTAssertTrue(ZeroShotEvaluator.isCorrect("eiffel tower", ["The Eiffel Tower"]))
        XCTAssertFalse(ZeroShotEvaluator.isCorrect("the", ["The"]), "an empty normalized prediction is never right")
    }

    func testTopKIsTheLargestInOrder() {
        var rng = SeededRandom(seed: 4)
        let values = (0..<1000).map { _ in Float(rng.nextInt(below: 50)) }
        let expected = values.indices.sorted { (values[$0], -$0) > (values[$1], -$1) }.prefix(37)
        values.withUnsafeBufferPointer { p in
            XCTAssertEqual(topK(p.baseAddress!, 1000, 37), Array(expected))
            XCTAssertEqual(topK(p.baseAddress!, 5, 10).count, 5)
        }
    }

    func testSettingsAreValidatedWithTheirFlags() {
        var s = NPMTrainingSettings(model: "m", data: "d", out: "o")
        XCTAssertNoThrow(try s.validate())
        s.batchSize = 1
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("--batch-size"), "\($0)") }
        s.batchSize = 16; s.masking.budget = 1.5
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("--mask-budget"), "\($0)") }
    }
}
