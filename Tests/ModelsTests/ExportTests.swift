import XCTest
import Foundation
import Core
import Models

/// load → export (each format, f32) → load gives identical log-probabilities.
final class ExportTests: XCTestCase {
    func roundTrip(_ lm: LanguageModel, ids: [Int32], file: StaticString = #filePath, line: UInt = #line) throws {
        let want = GoldenModelTests.logprobs(lm.model, ids)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("remask-export-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for format in ModelExport.Format.allCases {
            let out = dir.appendingPathComponent(format == .gguf ? "model.gguf" : "hf").path
            try ModelExport.export(lm, to: out, format: format, dtype: .f32)
            let back = try LanguageModel.load(out)
            XCTAssertEqual(back.model.config, lm.model.config, "\(format)", file: file, line: line)
            let got = GoldenModelTests.logprobs(back.model, ids)
            XCTAssertEqual(got.map { $0?.bitPattern }, want.map { $0?.bitPattern }, "\(format): log-probabilities differ", file: file, line: line)
            if let t = lm.tokenizer {
                let text = "Hello world, 1234! <|im_start|>user\nÇa va? 🙂"
                XCTAssertEqual(back.tokenizer?.encode(text), t.encode(text), "\(format): tokenizer", file: file, line: line)
            }
            XCTAssertEqual(back.chatTemplate, lm.chatTemplate, "\(format): chat template", file: file, line: line)
        }
    }

    func testTinyModelsRoundTripThroughBothFormats() throws {
        for name in ["tiny-llama", "tiny-stablelm", "tiny-stablelm-qknorm"] {
            let lm = try LanguageModel.load(GoldenModelTests.fixtures.appendingPathComponent(name).path)
            try roundTrip(lm, ids: [1, 5, 9, 33, 2, 70, 12])
        }
    }

    func testSmolLM2RoundTripsThroughBothFormats() throws {
        let path = LanguageModel.defaultPath
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "default model missing: bash scripts/fetch-model.sh")
        let lm = try LanguageModel.load(path)
        try roundTrip(lm, ids: lm.tokenizer!.encode("The capital of France is Paris."))
    }
}
