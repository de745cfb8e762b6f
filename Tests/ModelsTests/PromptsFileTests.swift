import XCTest
import Core
import Models

/// `remask generate --prompts-file`: one `{"prompt": …}` per line; every bad input is a `FileError` naming the
/// file and, where there is one, the line.
final class PromptsFileTests: XCTestCase {
    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "prompts-\(UUID().uuidString).jsonl"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testReadsThePromptsInOrderSkippingBlankLines() throws {
        let path = try write("{\"prompt\": \"What is 2 + 2?\"}\n\n   \n{\"prompt\": \"Name a colour.\", \"id\": 7}\n")
        XCTAssertEqual(try PromptsFile.read(path), ["What is 2 + 2?", "Name a colour."])
    }

    func testBadInputNamesTheFileAndLine() throws {
        let cases: [(text: String, line: Int?, reason: String)] = [
            ("{\"prompt\": \"ok\"}\n{\"prompt\": \"cut", 2, "not a JSON object"),
            ("[\"prompt\"]\n", 1, "not a JSON object"),
            ("{\"prompt\": \"ok\"}\n\n{\"text\": \"no prompt\"}\n", 3, "needs a non-empty string \"prompt\""),
            ("{\"prompt\": \"\"}\n", 1, "needs a non-empty string \"prompt\""),
            ("{\"prompt\": 42}\n", 1, "needs a non-empty string \"prompt\""),
            ("\n  \n", nil, "holds no prompts"),
        ]
        for (text, line, reason) in cases {
            let path = try write(text)
            XCTAssertThrowsError(try PromptsFile.read(path), text) { error in
                XCTAssertEqual(error as? FileError, FileError(path: path, line: line, reason), text)
            }
        }
        let missing = NSTemporaryDirectory() + "no-such-prompts.jsonl"
        XCTAssertThrowsError(try PromptsFile.read(missing)) { error in
            XCTAssertEqual(error as? FileError, FileError(path: missing, "cannot read the file"))
        }
    }
}
