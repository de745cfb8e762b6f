import XCTest
import Foundation
import Models
@testable import ReMask
import Core

final class DataReaderTests: XCTestCase {
    func parse(_ text: String, skip: Bool = false) throws(FileError) -> DataFile {
        try JSONLReader.parse(Data(text.utf8), file: "data/train.jsonl", skipBadLines: skip)
    }

    func testReadsAllThreeShapesWithTheirLines() throws {
        let file = try parse("""
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}

            {"prompt": "2+2?", "rationale": "Two and two make four.", "answer": "4", "id": 7}\r
            {"prompt": "Say hi", "completion": "hi"}
            """)
        XCTAssertEqual(file.examples.map(\.source?.line), [1, 3, 4])
        XCTAssertEqual(file.examples[0].kind, .chat([ChatMessage(role: "system", content: "Be brief."),
                                                     ChatMessage(role: "user", content: "Hi"),
                                                     ChatMessage(role: "assistant", content: "Hello!")]))
        XCTAssertEqual(file.examples[1].kind, .chainOfThought(prompt: "2+2?", rationale: "Two and two make four.", answer: "4"))
        XCTAssertEqual(file.examples[2].kind, .completion(prompt: "Say hi", completion: "hi"))
        XCTAssertEqual(file.skippedLines, 0)
    }

    func testByteOrderMarkIsIgnored() throws {
        let file = try JSONLReader.parse(Data([0xEF, 0xBB, 0xBF] + Array("{\"prompt\": \"a\", \"completion\": \"b\"}".utf8)), file: "x.jsonl")
        XCTAssertEqual(file.examples.count, 1)
    }

    /// Every malformed line is reported with the file, its line and the reason.
    func testMalformedLinesNameFileLineAndReason() {
        let good = #"{"prompt": "p", "completion": "c"}"#
        let cases: [(String, String)] = [
            (#"{"prompt": "p", "completion": "c""#, "invalid JSON"),
            (#"[1, 2]"#, "expected a JSON object, got an array"),
            (#""just a string""#, "invalid JSON"),
            (#"{"prompt": "p", "rationale": "r"}"#, #"missing field "answer""#),
            (#"{"prompt": "p", "answer": "a"}"#, #"missing field "rationale""#),
            (#"{"rationale": "r", "answer": "a"}"#, #"missing field "prompt""#),
            (#"{"completion": "c"}"#, #"missing field "prompt""#),
            (#"{"prompt": "p"}"#, #"missing field "completion" (or "rationale" and "answer")"#),
            (#"{"text": "t"}"#, "unknown record"),
            (#"{"prompt": 3, "completion": "c"}"#, #"field "prompt" must be a string, got a number"#),
            (#"{"prompt": "p", "completion": true}"#, #"field "completion" must be a string, got a boolean"#),
            (#"{"prompt": "p", "completion": null}"#, #"field "completion" must be a string, got null"#),
            (#"{"prompt": "p", "completion": "  \n"}"#, #"empty response: field "completion" is blank"#),
            (#"{"prompt": "p", "rationale": "r", "answer": ""}"#, #"empty response: field "answer" is blank"#),
            (#"{"prompt": "p", "rationale": "", "answer": "a"}"#, #"empty response: field "rationale" is blank"#),
            (#"{"messages": "hi"}"#, #"field "messages" must be an array, got a string"#),
            (#"{"messages": []}"#, #"field "messages" is empty"#),
            (#"{"messages": [3]}"#, #"field "messages[0]" must be an object, got a number"#),
            (#"{"messages": [{"role": "bot", "content": "x"}]}"#, #"messages[0]: unknown role "bot" (expected system, user or assistant)"#),
            (#"{"messages": [{"content": "x"}]}"#, #"missing field "messages[0].role""#),
            (#"{"messages": [{"role": "user", "content": "x"}, {"role": "assistant"}]}"#, #"missing field "messages[1].content""#),
            (#"{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": ""}]}"#, "messages[1]: empty assistant response"),
            (#"{"messages": [{"role": "user", "content": "x"}]}"#, #"the conversation ends with a "user" message; the last must be the assistant's"#),
        ]
        for (line, reason) in cases {
            do {
                _ = try parse(good + "\n\n" + line + "\n" + good)
                XCTFail("accepted: \(line)")
            } catch {
                XCTAssertEqual(error.path, "data/train.jsonl")
                XCTAssertEqual(error.line, 3, line)
                XCTAssertTrue(error.reason.hasPrefix(reason), "\(line): \(error.reason)")
                XCTAssertTrue(error.description.hasPrefix("data/train.jsonl:3: \(reason)"), error.description)
            }
        }
    }

    func testMissingFieldMessageReadsLikeTheIssue() {
        XCTAssertThrowsError(try parse(#"{"prompt": "p", "rationale": "r"}"#)) { error in
            XCTAssertEqual("\(error)", #"data/train.jsonl:1: missing field "answer""#)
        }
    }

    func testEmptyFilesAndMissingFiles() {
        for text in ["", "\n\n  \n"] {
            XCTAssertThrowsError(try parse(text)) { XCTAssertEqual("\($0)", "data/train.jsonl: no examples") }
        }
        XCTAssertThrowsError(try JSONLReader.read("/nonexistent/train.jsonl")) {
            XCTAssertEqual("\($0)", "/nonexistent/train.jsonl: no such file")
        }
        XCTAssertThrowsError(try parse("{\n", skip: true)) {
            XCTAssertEqual("\($0)", "data/train.jsonl: no examples (1 bad lines skipped; the first: data/train.jsonl:1: invalid JSON (Unexpected end of file during JSON parse.))")
        }
    }

    func testSkipBadLinesCountsAndKeepsTheFirstReasons() throws {
        var lines: [String] = []
        for i in 0..<20 { lines.append(i % 3 == 0 ? #"{"prompt": "p"}"# : #"{"prompt": "p\#(i)", "completion": "c"}"#) }
        let file = try parse(lines.joined(separator: "\n"), skip: true)
        XCTAssertEqual(file.skippedLines, 7)
        XCTAssertEqual(file.examples.count, 13)
        XCTAssertEqual(file.skipped.count, JSONLReader.keptErrors)
        XCTAssertEqual(file.skipped.map(\.line), [1, 4, 7, 10, 13])
        XCTAssertEqual(file.examples.first?.source, SourceLocation(file: "data/train.jsonl", line: 2))
        XCTAssertThrowsError(try parse(lines.joined(separator: "\n"))) { XCTAssertEqual(($0 as? FileError)?.line, 1) }
    }

    func testReadsAFileFromDisk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("remask-data-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("{\"prompt\": \"p\", \"completion\": \"c\"}\n{bad\n".utf8).write(to: url)
        XCTAssertThrowsError(try JSONLReader.read(url.path)) { XCTAssertEqual(($0 as? FileError)?.description.hasPrefix("\(url.path):2: invalid JSON"), true) }
        XCTAssertEqual(try JSONLReader.read(url.path, skipBadLines: true).skippedLines, 1)
    }
}
