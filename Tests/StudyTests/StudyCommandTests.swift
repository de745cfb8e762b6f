import Foundation
import XCTest

/// `remask study` end to end (the executable built beside the tests): the shipped configs check out, a tiny
/// study runs, resumes without recomputing finished cells, and reproduces its table exactly.
final class StudyCommandTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("remask")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "remask not built beside the tests")
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = Self.root
        // Files rather than pipes: a long study writes more than a pipe buffers.
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let outURL = folder.appendingPathComponent("stdout"), errURL = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, try String(contentsOf: outURL, encoding: .utf8), try String(contentsOf: errURL, encoding: .utf8))
    }

    func temporaryFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("remask-study-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func writeConfig(_ text: String) throws -> String {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("tiny.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let tiny = """
        name: tiny
        model: scratch
        scratch-hidden: 16
        scratch-layers: 1
        scratch-heads: 2
        scratch-kv-heads: 2
        scratch-intermediate: 32
        scratch-merges: 40
        benchmark-seed: 5
        train-problems: 24
        validation-problems: 6
        test-problems: 6
        seeds: [1, 2]
        tuning-seed: 0
        max-new-tokens: 12
        tune.learning-rate: [1e-3, 2e-3]
        train.optimizer: adamw
        train.micro-batch: 8
        train.batch-size: 8
        train.epochs: 1
        train.max-length: 160
        train.save-every: 1
        train.keep-checkpoints: 1

        """

    /// The `results` part of `results.json`: everything but wall-clock times.
    func reproducible(_ folder: URL) throws -> NSDictionary {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("results.json"))) as! [String: Any]
        return try XCTUnwrap(object["results"] as? NSDictionary)
    }

    func testShippedConfigsCheckOut() throws {
        for config in ["configs/study-scratch.yaml", "configs/study-smollm2-lora.yaml"] {
            let r = try run(["study", "--config", config, "--out", temporaryFolder().path, "--dry-run"])
            XCTAssertEqual(r.status, 0, "\(config): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("run remask seed 3 on test"), r.stdout)
            XCTAssertTrue(r.stdout.contains("run masked-thought seed 1 on test"), r.stdout)
        }
    }

    func testTinyStudyRunsResumesAndReproduces() throws {
        let config = try writeConfig(Self.tiny)
        let a = temporaryFolder(), b = temporaryFolder()
        let first = try run(["study", "--config", config, "--out", a.path])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("## Paired differences against SFT"), first.stdout)
        for file in ["results.md", "results.json", "accuracy.svg", "loss.svg", "benchmark/test-mc.jsonl",
                     "runs/remask/seed-2/test-generations.jsonl", "runs/sft/seed-1/test-choices.jsonl"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: a.appendingPathComponent(file).path), file)
        }
        let results = try reproducible(a)
        let cells = try XCTUnwrap(results["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.count, 6)
        XCTAssertEqual((results["search"] as? [Any])?.count, 6)
        // Same budget in training tokens for every objective; ReMask's second pass doubles its token passes.
        let tokens = Set(cells.compactMap { $0["training_tokens"] as? Int })
        XCTAssertEqual(tokens.count, 1)
        for cell in cells where cell["objective"] as? String == "remask" {
            XCTAssertEqual(cell["token_passes"] as? Int, 2 * (cell["training_tokens"] as! Int))
        }
        let svg = try String(contentsOf: a.appendingPathComponent("accuracy.svg"), encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "class=\"error-bar\"").count - 1, 6)

        // A second run finds every cell finished and writes the same results.
        let again = try run(["study", "--config", config, "--out", a.path])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stderr.components(separatedBy: "finished earlier").count - 1, 12)
        XCTAssertEqual(try reproducible(a), results)

        // A cell whose result is lost is recomputed (its training resumes from the checkpoint) to the same numbers.
        let cell = a.appendingPathComponent("runs/remask/seed-2")
        try FileManager.default.removeItem(at: cell.appendingPathComponent("result.json"))
        try FileManager.default.removeItem(at: cell.appendingPathComponent("training.json"))
        let resumed = try run(["study", "--config", config, "--out", a.path])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(resumed.stderr.components(separatedBy: "finished earlier").count - 1, 11)
        XCTAssertEqual(try reproducible(a), results)

        // The same config and seeds in a fresh folder reproduce the table exactly.
        let fresh = try run(["study", "--config", config, "--out", b.path])
        XCTAssertEqual(fresh.status, 0, fresh.stderr)
        XCTAssertEqual(try reproducible(b), results)
        let table = { (folder: URL) in
            try String(contentsOf: folder.appendingPathComponent("results.md"), encoding: .utf8).components(separatedBy: "## Cost")[0]
        }
        XCTAssertEqual(try table(b), try table(a))

        // A folder holding a study refuses different settings.
        let changed = try writeConfig(Self.tiny.replacingOccurrences(of: "seeds: [1, 2]", with: "seeds: [1, 3]"))
        let refused = try run(["study", "--config", changed, "--out", a.path])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("holds a study with other settings (seeds)"), refused.stderr)
    }

    func testBadTrainingSettingFailsBeforeAnyRun() throws {
        let config = try writeConfig(Self.tiny.replacingOccurrences(of: "train.epochs: 1", with: "train.epochs: 0"))
        let out = temporaryFolder()
        let r = try run(["study", "--config", config, "--out", out.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("a training setting is invalid"), r.stderr)
        XCTAssertTrue(r.stderr.contains("epochs"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        let missing = try run(["study", "--config", "/nonexistent/study.yaml"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/study.yaml: cannot read the config file"), missing.stderr)
    }
}
