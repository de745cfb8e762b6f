import XCTest
import Foundation
import Core
@testable import Models
@testable import ReMask
import TestSupport

/// The data path on the default model's tokenizer and the sample data: read, add the tags, tokenize, batch, mask.
final class SampleDataTests: XCTestCase {
    static let sampleDirectory = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/sample")

    func testSampleDataWithTheDefaultTokenizer() throws {
        let path = LanguageModel.defaultPath
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "default model missing: bash scripts/fetch-model.sh")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: Self.sampleDirectory.path))?.filter { $0.hasSuffix(".jsonl") } ?? []
        try XCTSkipIf(files.isEmpty, "no sample data in \(Self.sampleDirectory.path)")
        // The tokenizer alone (the model's vocabulary growth is tested on tiny models; a debug build takes
        // half a minute to dequantize and regrow the 135M model).
        let original = try LanguageModel.ggufTokenizer(try GGUFFile(path: path))
        let policy = MaskingPolicy.remaskCoT
        let (tokenizer, ids) = try original.addingSpecialTokens(PromptFormat.seed.specialTokens + policy.specialTokens)
        XCTAssertEqual(ids.map(Int.init), Array(original.vocabSize..<original.vocabSize + 6))
        let encoder = try ExampleTokenizer(tokenizer: tokenizer)
        let maskTokens = MaskTokens(original: original, tokenizer: tokenizer)
        for file in files.sorted() {
            let data = try JSONLReader.read(Self.sampleDirectory.appendingPathComponent(file).path)
            let start = Date()
            let dataset = try encoder.tokenize(data.examples)
            let seconds = Date().timeIntervalSince(start)
            print("\(file): \(dataset.summary) in \(String(format: "%.2f", seconds)) s")
            XCTAssertEqual(dataset.examples.count + dataset.droppedWithoutLabels, data.examples.count)
            let planner = BatchPlanner(dataset: dataset, strategy: .packed(rows: 4), padID: tokenizer.eosID!, seed: 1)
            var rng = SeededRandom(seed: 1)
            for (step, rows) in planner.plan(epoch: 0).enumerated() {
                let batch = planner.batch(rows)
                XCTAssertNil(batch.layout?.validationError(batch: batch.rows, length: batch.length))
                let masked = policy.apply(batch, step: step, totalSteps: 100, tokens: maskTokens, rng: &rng)
                XCTAssertTrue(masked.maskedPositions.allSatisfy { batch.roles[$0] == .response || batch.roles[$0] == .rationale })
            }
        }
    }
}
