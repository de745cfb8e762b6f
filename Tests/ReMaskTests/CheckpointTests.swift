import Core
import Foundation
import NN
import ReMask
import XCTest
import TestSupport

final class CheckpointTests: XCTestCase {
    /// A small allocated store, an optimizer-like flat buffer and a trainer state at `step`.
    private func fixture(step: Int, seed: UInt64 = 7) -> (ParameterStore, Storage, TrainerState) {
        let store = ParameterStore()
        _ = store.declare("model.embed_tokens.weight", [5, 4], .normal(std: 1))
        _ = store.declare("model.norm.weight", [4], .ones)
        store.allocate(seed: seed)
        let moments = Storage(uninitializedCount: 2 * store.count)
        var rng = SeededRandom(seed: seed)
        for i in 0..<moments.count { moments.pointer[i] = rng.nextNormal() }
        var masking = SeededRandom(seed: 99)
        for _ in 0..<step { _ = masking.next() }
        let state = TrainerState(step: step, epoch: 1, indexInEpoch: 3 * step, dataOrderSeed: .max - 1,
                                 randomStates: ["masking": masking], schedulePosition: step, tokensSeen: 256 * step,
                                 elapsedSeconds: 1.25 * Double(step),
                                 options: ["optimizer.learning-rate": "1e-05", "objective.name": "\"remask\""])
        return (store, moments, state)
    }

    private func save(_ dir: CheckpointDirectory, step: Int) throws {
        let (store, moments, state) = fixture(step: step)
        try dir.save(model: CheckpointTensor.parameters(of: store), optimizer: [CheckpointTensor("m", storage: moments)], state: state)
    }

    private func bits(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> [UInt32] { (0..<n).map { p[$0].bitPattern } }

    func testRoundTripIsBitExact() throws {
        let dir = CheckpointDirectory(output: try makeScratchFolder())
        let (store, moments, state) = fixture(step: 120)
        // Values a lossy encoding would change: a NaN payload, negative zero, a subnormal, infinity.
        for (i, special) in [Float(nan: 0x1234, signaling: false), -0.0, .leastNonzeroMagnitude, -.infinity].enumerated() {
            moments.pointer[i] = special
        }
        let folder = try dir.save(model: CheckpointTensor.parameters(of: store),
                                  optimizer: [CheckpointTensor("m", storage: moments)], state: state)
        XCTAssertEqual(folder.lastPathComponent, "step-000120")
        for name in ["model.safetensors", "optimizer.safetensors", "trainer.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), name)
        }

        let (fresh, freshMoments, _) = fixture(step: 0, seed: 8)
        let checkpoint = try XCTUnwrap(try dir.latest())
        XCTAssertEqual(checkpoint.state, state)
        XCTAssertEqual(checkpoint.modelTensorNames, ["model.embed_tokens.weight", "model.norm.weight"])
        try checkpoint.restoreModel(into: CheckpointTensor.parameters(of: fresh))
        try checkpoint.restoreOptimizer(into: [CheckpointTensor("m", storage: freshMoments)])
        XCTAssertEqual(bits(fresh.valuePointer, fresh.count), bits(store.valuePointer, store.count))
        XCTAssertEqual(bits(freshMoments.pointer, moments.count), bits(moments.pointer, moments.count))
        // The generator continues with the same stream.
        var a = state.randomStates["masking"]!, b = checkpoint.state.randomStates["masking"]!
        XCTAssertEqual((0..<4).map { _ in a.next() }, (0..<4).map { _ in b.next() })
    }

    func testKeepsTheNewestAndNeverTheJustSavedOne() throws {
        let dir = CheckpointDirectory(output: try makeScratchFolder(), keep: 2)
        for step in [10, 20, 30] { try save(dir, step: step) }
        XCTAssertEqual(try dir.steps(), [20, 30])
        try save(dir, step: 30)  // the same step again replaces it
        XCTAssertEqual(try dir.steps(), [20, 30])
        try save(dir, step: 25)
        XCTAssertEqual(try dir.steps(), [25, 30])
        try dir.discard(after: 25)
        XCTAssertEqual(try dir.steps(), [25])
        XCTAssertEqual(try dir.latest()?.state.step, 25)
    }

    func testLeftoverTemporaryFolderIsIgnoredAndCleaned() throws {
        let dir = CheckpointDirectory(output: try makeScratchFolder())
        XCTAssertNil(try dir.latest())
        try save(dir, step: 10)
        let leftover = dir.url.appendingPathComponent("step-000020.tmp-4242")
        try FileManager.default.createDirectory(at: leftover, withIntermediateDirectories: false)
        try Data("half".utf8).write(to: leftover.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(try dir.steps(), [10])
        XCTAssertEqual(try dir.latest()?.state.step, 10)
        try save(dir, step: 20)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted(), ["step-000010", "step-000020"])
    }

    func testDamagedCheckpointsNameTheFileAndProblem() throws {
        let dir = CheckpointDirectory(output: try makeScratchFolder())
        try save(dir, step: 5)
        let folder = dir.folder(step: 5)
        let model = folder.appendingPathComponent("model.safetensors"), state = folder.appendingPathComponent("trainer.json")
        let optimizer = folder.appendingPathComponent("optimizer.safetensors")
        let modelBytes = try Data(contentsOf: model), stateBytes = try Data(contentsOf: state)
        let optimizerBytes = try Data(contentsOf: optimizer)
        func expectError(_ expected: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try dir.latest(), file: file, line: line) { XCTAssertEqual("\($0)", expected, file: file, line: line) }
        }

        try modelBytes.prefix(modelBytes.count - 4).write(to: model)
        expectError("\(model.path): has \(modelBytes.count - 4) bytes, but trainer.json records \(modelBytes.count) (truncated or replaced)")
        try modelBytes.write(to: model)

        try FileManager.default.removeItem(at: optimizer)
        expectError("\(optimizer.path): is missing")
        try optimizerBytes.write(to: optimizer)

        try Data("{\"version\": 1, \"files\": {}".utf8).write(to: state)
        XCTAssertThrowsError(try dir.latest()) { XCTAssertTrue("\($0)".hasPrefix("\(state.path): is not a valid checkpoint description"), "\($0)") }
        try Data("{\"version\": 1, \"files\": {}}".utf8).write(to: state)
        expectError("\(state.path): is not a valid checkpoint description: missing 'state'")
        try stateBytes.write(to: state)

        // Bytes that changed while the size stayed: the checksum trainer.json records catches them, in the header
        // or in the values.
        for range in [0..<8, (modelBytes.count - 4)..<modelBytes.count] {
            var garbage = modelBytes
            garbage.replaceSubrange(range, with: [UInt8](repeating: 0xFF, count: range.count))
            try garbage.write(to: model)
            expectError("\(model.path): does not match the checksum trainer.json records (damaged)")
        }
        try modelBytes.write(to: model)

        try FileManager.default.removeItem(at: state)
        expectError("\(state.path): is missing (not a complete checkpoint)")
    }

    func testRestoreRejectsAnotherModelsTensors() throws {
        let dir = CheckpointDirectory(output: try makeScratchFolder())
        try save(dir, step: 1)
        let checkpoint = try XCTUnwrap(try dir.latest())
        let path = dir.folder(step: 1).appendingPathComponent("model.safetensors").path

        let other = ParameterStore()
        _ = other.declare("model.embed_tokens.weight", [4, 5], .zeros)
        _ = other.declare("model.norm.weight", [4], .zeros)
        other.allocate(seed: 1)
        XCTAssertThrowsError(try checkpoint.restoreModel(into: CheckpointTensor.parameters(of: other))) {
            XCTAssertEqual("\($0)", "\(path): tensor 'model.embed_tokens.weight' has shape [5, 4], but this run's has shape [4, 5]")
        }
        XCTAssertThrowsError(try checkpoint.restoreModel(into: [CheckpointTensor("lora.A", Tensor.zeros([2]))])) {
            XCTAssertEqual("\($0)", "\(path): has no tensor 'lora.A' (saved by a run with a different model or setup?)")
        }
        XCTAssertThrowsError(try checkpoint.restoreModel(into: [CheckpointTensor("model.norm.weight", Tensor.zeros([4]))])) {
            XCTAssertEqual("\($0)", "\(path): holds tensor 'model.embed_tokens.weight', which this run does not have (saved by a run with a different model or setup?)")
        }
    }

    func testUnwritableCheckpointFolderFailsWithItsPath() throws {
        let output = try makeScratchFolder()
        try Data().write(to: output.appendingPathComponent("checkpoints"))  // a file where the folder should be
        let dir = CheckpointDirectory(output: output)
        XCTAssertThrowsError(try save(dir, step: 1)) { error in
            XCTAssertTrue("\(error)".hasPrefix(dir.url.path + ": "), "\(error)")
        }
    }
}
