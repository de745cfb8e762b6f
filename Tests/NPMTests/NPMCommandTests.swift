import Foundation
import TestSupport
import XCTest

/// `remask npm` as a user meets it: bad input ends with one message naming the file or flag and a non-zero exit.
final class NPMCommandTests: XCTestCase {
    func remask(_ args: [String]) throws -> ProcessOutput { try Subprocess.run(Subprocess.remask(), args) }

    func testMissingAndBadInputsNameWhatIsWrong() throws {
        let folder = try makeScratchFolder()
        var r = try remask(["npm", "fill", "--index", folder.appendingPathComponent("none").path, "--text", "a [MASK]"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("index.bin") && r.stderr.contains("no such file"), r.stderr)
        r = try remask(["npm", "train", "--out", folder.appendingPathComponent("o").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--data"), r.stderr)
        r = try remask(["npm", "train", "--data", "d.jsonl", "--out", folder.appendingPathComponent("o").path, "--batch-size", "1",
                        "--model", folder.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--batch-size"), r.stderr)
        let notAModel = try makeScratchFolder()
        r = try remask(["npm", "index", "--model", notAModel.path, "--corpus", "c.txt", "--out", folder.appendingPathComponent("i").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("config.json"), r.stderr)
        r = try remask(["npm", "eval", "--task", folder.appendingPathComponent("t.jsonl").path, "--method", "softmax"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--method"), r.stderr)
    }
}
