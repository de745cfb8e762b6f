import Core
import Foundation
import Models
import TestSupport
import XCTest

/// The BERT encoder against transformers (`tools/make_encoder_fixtures.py` → `Tests/Fixtures/encoder_minilm.json`) on
/// all-MiniLM-L6-v2 (`bash scripts/fetch-model.sh minilm`), and its loader's errors.
final class EncoderTests: XCTestCase {
    struct Golden: Decodable {
        let length: Int
        let ids: [[Int32]]
        let lengths: [Int]
        let hidden: [[[Float]]]
    }

    /// Every last-layer vector of the real tokens of a padded batch within 1e-4 of transformers'.
    func testMiniLMMatchesTransformers() throws {
        let encoder = try EncoderModel.load(folder: try miniLMFolder())
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: fixturesDirectory.appendingPathComponent("encoder_minilm.json")))
        let batch = golden.ids.count, length = golden.length
        let hidden = encoder.hiddenStates(golden.ids.flatMap { $0 }, batch: batch, length: length, lengths: golden.lengths)
        XCTAssertEqual(hidden.shape, [batch * length, encoder.config.hidden])
        var worst: Float = 0
        let p = hidden.contiguous().pointer
        for b in 0..<batch {
            for t in 0..<golden.lengths[b] {
                for (j, expected) in golden.hidden[b][t].enumerated() {
                    worst = max(worst, abs(p[(b * length + t) * encoder.config.hidden + j] - expected))
                }
            }
        }
        print("MiniLM encoder: largest difference from transformers \(worst)")
        XCTAssertLessThan(worst, 1e-4)
    }

    /// A row's outputs do not depend on the padding after it or on the other rows of the batch.
    func testPaddingAndBatchDoNotLeak() throws {
        let config = EncoderConfig(vocabSize: 50, hidden: 16, layers: 2, heads: 4, intermediate: 32, maxPositions: 16)
        let encoder = EncoderModel(config: config, seed: 3)
        let row: [Int32] = [1, 7, 9, 4, 2]
        let alone = encoder.hiddenStates(row, batch: 1, length: 5, lengths: [5])
        let padded = encoder.hiddenStates([0, 0, 0, 0, 0, 0, 0, 0] + row + [0, 0, 0], batch: 2, length: 8, lengths: [8, 5])
        let a = alone.contiguous().pointer, b = padded.contiguous().pointer
        for t in 0..<5 { for j in 0..<16 { XCTAssertEqual(a[t * 16 + j], b[(8 + t) * 16 + j], accuracy: 1e-5) } }
    }

    /// Wrong folders fail with the file and the reason.
    func testLoaderErrorsNameTheFile() throws {
        let folder = try makeScratchFolder()
        XCTAssertThrowsError(try EncoderModel.load(folder: folder.path)) { XCTAssertTrue("\($0)".contains("config.json: cannot read the file"), "\($0)") }
        let config = folder.appendingPathComponent("config.json")
        try #"{"model_type": "roberta", "vocab_size": 10}"#.write(to: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EncoderModel.load(folder: folder.path)) { XCTAssertTrue("\($0)".contains("model_type \"roberta\" is not an encoder"), "\($0)") }
        try #"{"model_type": "bert", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 3, "intermediate_size": 8}"#
            .write(to: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EncoderModel.load(folder: folder.path)) { XCTAssertTrue("\($0)".contains("not a multiple of num_attention_heads"), "\($0)") }
        try #"{"model_type": "bert", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8, "hidden_act": "relu"}"#
            .write(to: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EncoderModel.load(folder: folder.path)) { XCTAssertTrue("\($0)".contains("hidden_act \"relu\""), "\($0)") }
        try #"{"model_type": "bert", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8}"#
            .write(to: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EncoderModel.load(folder: folder.path)) { XCTAssertTrue("\($0)".contains("model.safetensors"), "\($0)") }
    }
}
