import Foundation
import ReMask
import XCTest
import TestSupport

/// Nothing a user owns is written over: outputs that are inputs, "" and "/", non-empty folders remask did not
/// create and existing files are refused (the last two unless `overwrite`); a folder in use is locked and the
/// refusal names its holder.
final class OutputPolicyTests: XCTestCase {
    func refusal(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testInputsEmptyAndRootAreRefused() throws {
        let base = try makeScratchFolder()
        let model = base.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: model.appendingPathComponent("config.json"))
        let data = base.appendingPathComponent("train.jsonl")
        try Data("{}\n".utf8).write(to: data)
        let link = base.appendingPathComponent("same-model")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: model)

        for overwrite in [false, true] {
            let claim = { (path: String) in self.refusal { _ = try OutputPolicy.claimFolder(path, inputs: [model.path, data.path], overwrite: overwrite) } }
            XCTAssertTrue(claim(model.path).contains("--out is one of this command's inputs (\(model.path))"), claim(model.path))
            XCTAssertTrue(claim(model.path + "/").contains("one of this command's inputs"))
            XCTAssertTrue(claim(link.path).contains("one of this command's inputs"), "another name for the model folder")
            XCTAssertTrue(claim(base.path).contains("--out holds one of this command's inputs"), claim(base.path))
            XCTAssertTrue(claim("").contains("--out is empty"))
            XCTAssertTrue(claim("/").contains("--out is the root folder"))
            let file = { (path: String) in self.refusal { try OutputPolicy.checkFile(path, inputs: [data.path], overwrite: overwrite, flag: "--out") } }
            XCTAssertTrue(file(data.path).contains("--out is one of this command's inputs"), file(data.path))
        }
        XCTAssertEqual(try Data(contentsOf: model.appendingPathComponent("config.json")), Data("{}".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: model.path), ["config.json"])
    }

    func testForeignFoldersAndExistingFilesNeedOverwrite() throws {
        let base = try makeScratchFolder()
        let mine = base.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: mine, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: mine.appendingPathComponent("todo.txt"))
        let message = refusal { _ = try OutputPolicy.claimFolder(mine.path, inputs: [], overwrite: false) }
        XCTAssertTrue(message.contains("--out is a folder remask did not create and it is not empty (todo.txt)"), message)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mine.path), ["todo.txt"], "nothing written into it")
        let lock = try OutputPolicy.claimFolder(mine.path, inputs: [], overwrite: true)
        lock?.unlock()

        // A folder remask created (the marker) is used again without --overwrite, whatever it holds; so is an
        // empty folder, and a run folder from before the marker (it holds checkpoints/).
        let run = base.appendingPathComponent("run")
        try OutputPolicy.claimFolder(run.path, inputs: [], overwrite: false)?.unlock()
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(OutputPolicy.marker).path))
        try Data("x".utf8).write(to: run.appendingPathComponent("model.safetensors"))
        try OutputPolicy.claimFolder(run.path, inputs: [], overwrite: false)?.unlock()
        let legacy = base.appendingPathComponent("legacy")
        try FileManager.default.createDirectory(at: legacy.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
        try OutputPolicy.claimFolder(legacy.path, inputs: [], overwrite: false)?.unlock()

        let results = base.appendingPathComponent("results.json")
        try OutputPolicy.checkFile(results.path, inputs: [], overwrite: false)
        try Data("old".utf8).write(to: results)
        let exists = refusal { try OutputPolicy.checkFile(results.path, inputs: [], overwrite: false) }
        XCTAssertTrue(exists.contains("--out exists; add --overwrite to replace it"), exists)
        try OutputPolicy.checkFile(results.path, inputs: [], overwrite: true)
        let folder = refusal { try OutputPolicy.checkFile(mine.path, inputs: [], overwrite: true) }
        XCTAssertTrue(folder.contains("--out is a folder, not a file"), folder)
        let nowhere = refusal { try OutputPolicy.checkFile(base.appendingPathComponent("no/r.json").path, inputs: [], overwrite: false) }
        XCTAssertTrue(nowhere.contains("no such folder"), nowhere)
    }

    /// A second claim on a folder in use stops and names the holder; once the first lets go, it succeeds.
    func testAFolderInUseIsLockedAndTheRefusalNamesTheHolder() throws {
        let run = try makeScratchFolder().appendingPathComponent("run")
        let first = try XCTUnwrap(try OutputPolicy.claimFolder(run.path, inputs: [], overwrite: false, command: "remask train"))
        let second = refusal { _ = try OutputPolicy.claimFolder(run.path, inputs: [], overwrite: false, command: "remask train") }
        XCTAssertTrue(second.contains("is in use by another remask run (pid \(getpid()), remask train, since 20"), second)
        // A study shares its folder between its jobs: claiming without the lock is allowed.
        XCTAssertNil(try OutputPolicy.claimFolder(run.path, inputs: [], overwrite: false, lock: false))
        first.unlock()
        try XCTUnwrap(try OutputPolicy.claimFolder(run.path, inputs: [], overwrite: false)).unlock()
    }

    /// The trainer claims its --out before it loads anything: a second run on a folder in use stops at once.
    func testTrainingRefusesAFolderInUseAndItsOwnInputs() throws {
        let base = try makeScratchFolder()
        let data = base.appendingPathComponent("train.jsonl")
        try Data(#"{"prompt": "1+1?", "completion": "2"}"#.utf8).write(to: data)
        let out = base.appendingPathComponent("run")
        let held = try OutputPolicy.claimFolder(out.path, inputs: [], overwrite: false, command: "remask train")
        defer { held?.unlock() }
        let model = fixturesDirectory.appendingPathComponent("tiny-llama").path
        let busy = refusal { _ = try Trainer(TrainingSettings(data: data.path, out: out.path), modelPath: model, log: { _ in }) }
        XCTAssertTrue(busy.contains("\(out.path): is in use by another remask run (pid"), busy)
        let intoData = refusal { _ = try Trainer(TrainingSettings(data: data.path, out: base.path), modelPath: model, log: { _ in }) }
        XCTAssertTrue(intoData.contains("--out holds one of this command's inputs (\(data.path))"), intoData)
        let intoModel = refusal { _ = try Trainer(TrainingSettings(data: data.path, out: model), modelPath: model, log: { _ in }) }
        XCTAssertTrue(intoModel.contains("--out is one of this command's inputs"), intoModel)
    }
}
