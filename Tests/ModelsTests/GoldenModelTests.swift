import XCTest
import Foundation
import Core
import Models
import TestSupport

/// Model outputs against golden values from transformers (`tools/make_fixtures.py`, fixtures in
/// `Tests/Fixtures`): SmolLM2-135M-Instruct from its GGUF, and tiny random Llama / StableLM models from
/// safetensors.
final class GoldenModelTests: XCTestCase {
    static let fixtures = fixturesDirectory
    /// The tiny random models `tools/make_fixtures.py` writes, one per architecture variant.
    static let tinyModels = ["tiny-llama", "tiny-stablelm", "tiny-stablelm-qknorm", "tiny-qwen2", "tiny-qwen3", "tiny-llama31",
                             "tiny-gemma3", "tiny-phi3", "tiny-llama-spm"]

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// log p(ids[i] | ids[..<i]) from a full forward pass (nil for the first token).
    static func logprobs(_ m: CausalLM, _ ids: [Int32]) -> [Float?] {
        let logits = Autograd.withNoGrad { m.logits(ids, batch: 1, length: ids.count) }.values
        let v = m.config.vocabSize
        return ids.indices.map { i -> Float? in
            guard i > 0 else { return nil }
            let row = logits[(i - 1) * v..<i * v]
            let mx = row.max()!
            let lse = mx + Float(Foundation.log(row.reduce(0.0) { $0 + Foundation.exp(Double($1 - mx)) }))
            return row[row.startIndex + Int(ids[i])] - lse
        }
    }

    static func ints(_ a: Any?) -> [Int32] { (a as! [NSNumber]).map { Int32(truncating: $0) } }

    func testSmolLM2LogprobsAndGreedyContinuationMatchTransformers() throws {
        let path = LanguageModel.defaultPath
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "default model missing: bash scripts/fetch-model.sh")
        let lm = try LanguageModel.load(path)
        let fixture = try Self.json("logprobs_smollm2.json")
        var worst: Float = 0
        for case let c as [String: Any] in fixture["cases"] as! [Any] {
            let ids = Self.ints(c["ids"])
            XCTAssertEqual(lm.tokenizer!.encode(c["text"] as! String), ids, "tokenization of \(c["name"]!)")
            let got = Self.logprobs(lm.model, ids)
            for (i, want) in (c["logprobs"] as! [Any]).enumerated() {
                guard let w = want as? NSNumber else { XCTAssertNil(got[i]); continue }
                worst = max(worst, abs(got[i]! - w.floatValue))
            }
        }
        print("SmolLM2 max |Δ logprob| vs transformers: \(worst)")
        XCTAssertLessThan(worst, 2e-3)
        let greedy = fixture["greedy"] as! [String: Any]
        let prompt = Self.ints(greedy["prompt_ids"]), want = Self.ints(greedy["continuation_ids"])
        let out = Generator(model: lm.model).generate([prompt], maxTokens: want.count)[0]
        XCTAssertEqual(out.tokens, want)
    }

    func testTinyModelsFromSafetensorsMatchTransformers() throws {
        for name in Self.tinyModels {
            let lm = try LanguageModel.load(Self.fixtures.appendingPathComponent(name).path)
            let fixture = try Self.json("\(name)/logprobs.json")
            var worst: Float = 0
            for case let s as [String: Any] in fixture["sequences"] as! [Any] {
                let ids = Self.ints(s["ids"])
                let logits = Autograd.withNoGrad { lm.model.logits(ids, batch: 1, length: ids.count) }.values
                for (r, row) in (s["logits"] as! [[NSNumber]]).enumerated() {
                    for (j, w) in row.enumerated() { worst = max(worst, abs(logits[r * row.count + j] - w.floatValue)) }
                }
                let got = Self.logprobs(lm.model, ids)
                for (i, want) in (s["logprobs"] as! [Any]).enumerated() {
                    if let w = want as? NSNumber { worst = max(worst, abs(got[i]! - w.floatValue)) }
                }
            }
            XCTAssertLessThan(worst, 1e-4, name)
        }
    }

    /// The Llama 2-style tiny model reads its SentencePiece tokenizer from its folder: the ids transformers gives
    /// (`spm-tokenizer/cases.json`), BOS added as its template says.
    func testTinySentencePieceLlamaTokenizesAsTransformers() throws {
        let lm = try LanguageModel.load(Self.fixtures.appendingPathComponent("tiny-llama-spm").path)
        let cases = try Self.json("spm-tokenizer/cases.json")
        let tokenizer = try lm.requireTokenizer()
        for case let c as [String: Any] in cases["cases"] as! [Any] {
            XCTAssertEqual(tokenizer.encode(c["text"] as! String), Self.ints(c["ids"]), "\(c["text"]!)")
        }
        XCTAssertEqual(tokenizer.encode("Hello world", addSpecial: true), Self.ints(cases["add_special_hello_world"]))
        XCTAssertEqual(tokenizer.vocabSize, lm.model.config.vocabSize)
    }
}
