import XCTest
import Foundation
import Core
@testable import Models

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
        // GGUF holds Llama 3.1's rope rule as its factors, a config that compares unequal (the run test covers it).
        for name in GoldenModelTests.tinyModels where name != "tiny-llama31" {
            let lm = try LanguageModel.load(GoldenModelTests.fixtures.appendingPathComponent(name).path)
            try roundTrip(lm, ids: [1, 5, 9, 33, 2, 70, 12])
        }
    }

    /// A GGUF export also runs on the inference engine's stored weights, for every architecture: the file says
    /// `llama` (q/k rows interleaved as llama.cpp wants them), `qwen2` (not interleaved) or `stablelm`.
    func testTinyModelsRunFromTheirGGUFOnStoredWeights() throws {
        let ids: [Int32] = [1, 5, 9, 33, 2, 70, 12, 40, 41, 7, 88, 3, 19, 64]  // longer than tiny-gemma3's window of 8
        for name in GoldenModelTests.tinyModels {
            let lm = try LanguageModel.load(GoldenModelTests.fixtures.appendingPathComponent(name).path)
            let want = GoldenModelTests.logprobs(lm.model, ids)
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("remask-\(name)-\(UUID().uuidString).gguf").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            try ModelExport.export(lm, to: out, format: .gguf, dtype: .f32)
            XCTAssertEqual(try GGUFFile(path: out).metadata.string("general.architecture"), lm.model.config.family.rawValue, name)
            let engine = try RunnableModel.load(out).engine
            XCTAssertTrue(engine is QuantizedCausalLM, name)
            let got = Scoring.logprobs(engine, ids, top: 0).logprobs
            for i in 1..<ids.count { XCTAssertEqual(try XCTUnwrap(got[i]), try XCTUnwrap(want[i]), accuracy: 1e-4, "\(name), token \(i)") }
        }
    }

    /// Qwen's tokenizer layout (NFC, Qwen2's Split pattern) written back to tokenizer.json reads as the same tokenizer.
    func testQwenTokenizerWritesBackToTokenizerJSON() throws {
        let t = try BPETokenizer(tokenizerJSON: GoldenModelTests.fixtures.appendingPathComponent("qwen-tokenizer/tokenizer.json"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("remask-qwen-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try TokenizerExport.huggingFaceJSON(t).write(to: dir.appendingPathComponent("tokenizer.json"))
        let back = try BPETokenizer(tokenizerJSON: dir.appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(back.preTokenizer, .qwen2)
        XCTAssertTrue(back.normalizesNFC)
        for text in ["cafe\u{301} 2024 <|im_start|>日本語", "A\u{30A}ngstro\u{308}m, don't"] {
            XCTAssertEqual(back.encode(text), t.encode(text), text)
        }
    }

    func testSmolLM2RoundTripsThroughBothFormats() throws {
        let path = LanguageModel.defaultPath
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "default model missing: bash scripts/fetch-model.sh")
        let lm = try LanguageModel.load(path)
        try roundTrip(lm, ids: lm.tokenizer!.encode("The capital of France is Paris."))
    }

    /// A quantized GGUF export holds each matrix as its reference quantization: loading it back gives exactly the
    /// dequantized blocks (norms stay f32), and llama.cpp's file type is recorded.
    func testQuantizedExportsHoldTheReferenceBlocks() throws {
        let lm = try LanguageModel.load(GoldenModelTests.fixtures.appendingPathComponent("tiny-llama").path)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("remask-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let want = GoldenModelTests.logprobs(lm.model, [1, 5, 9, 33, 2, 70, 12]).compactMap { $0 }
        let hasOutput = lm.model.parameters.parameters.contains { $0.name == "lm_head.weight" }
        for (dtype, fileType) in [(ModelExport.DType.q8_0, 7), (.q4_0, 2), (.q4_1, 3), (.q6_k, 18), (.q4_k_m, 15)] {
            let out = dir.appendingPathComponent("m-\(dtype.rawValue).gguf").path
            try ModelExport.export(lm, to: out, format: .gguf, dtype: dtype)
            let file = try GGUFFile(path: out)
            XCTAssertEqual(try file.metadata.int("general.file_type"), fileType)
            let back = try LanguageModel.load(out)
            for p in lm.model.parameters.parameters where p.shape.count == 2 && !TensorNames.isPermuted(p.name) {
                let type = GGUFTensorTypes(dtype: dtype, layers: lm.model.config.layers, tiedEmbeddings: !hasOutput)
                    .type(of: TensorNames.gguf(p.name, lm.model.config.family)!, shape: p.shape)
                XCTAssertEqual(file.tensors.first { $0.name == TensorNames.gguf(p.name, lm.model.config.family) }?.type, type, "\(dtype): \(p.name)")
                let expected = p.tensor.values.withUnsafeBufferPointer { values in
                    let blocks = Quantizer.quantize(values, as: type)
                    var out = [Float](repeating: 0, count: values.count)
                    blocks.withUnsafeBytes { Dequantizer.run(type, from: $0, into: &out, count: values.count) }
                    return out
                }
                XCTAssertEqual(back.model.parameters[p.name]?.tensor.values, expected, "\(dtype): \(p.name)")
            }
            // The model still predicts: log-probabilities move by quantization's error, not more (this random
            // 32-wide model is far more sensitive to 4 bits than a trained one).
            let got = GoldenModelTests.logprobs(back.model, [1, 5, 9, 33, 2, 70, 12]).compactMap { $0 }
            let drift = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(drift, dtype == .q8_0 ? 0.05 : 1, "\(dtype)")
        }
    }
}
