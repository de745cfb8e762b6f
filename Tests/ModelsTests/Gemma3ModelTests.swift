import XCTest
import Foundation
import Core
import Models
import TestSupport

/// Gemma 3 270M (Q4_K_M GGUF, `bash scripts/fetch-model.sh gemma3`) against transformers reading the same file
/// (`tools/make_gemma3_fixture.py` → `Tests/Fixtures/logprobs_gemma3.json`). Skipped when the file is absent.
final class Gemma3ModelTests: XCTestCase {
    static var modelPath: String {
        let env = ProcessInfo.processInfo.environment
        return (env["REMASK_CACHE"] ?? NSHomeDirectory() + "/.cache/remask") + "/models/gemma-3-270m-q4_k_m.gguf"
    }

    private func fixture() throws -> (path: String, json: [String: Any]) {
        let path = Self.modelPath
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "\(path) is missing: bash scripts/fetch-model.sh gemma3")
        return (path, try GoldenModelTests.json("logprobs_gemma3.json"))
    }

    /// log p(ids[i] | ids[..<i]), the logits computed 64 rows at a time (a 262,144-token vocabulary).
    private static func logprobs(_ m: CausalLM, _ ids: [Int32]) -> [Float?] {
        let hidden = Autograd.withNoGrad { m.hiddenStates(ids, batch: 1, length: ids.count) }
        let v = m.config.vocabSize
        var out: [Float?] = [nil]
        for start in stride(from: 0, to: ids.count - 1, by: 64) {
            let rows = (start..<min(start + 64, ids.count - 1)).map(Int32.init)
            let logits = Autograd.withNoGrad { m.logits(hidden: hidden, rows: rows) }.values
            for (r, row) in rows.enumerated() {
                let values = logits[r * v..<(r + 1) * v], mx = values.max()!
                let lse = mx + Float(Foundation.log(values.reduce(0.0) { $0 + Foundation.exp(Double($1 - mx)) }))
                out.append(values[values.startIndex + Int(ids[Int(row) + 1])] - lse)
            }
        }
        return out
    }

    /// The largest |Δ log-prob| over the fixture's cases (those `include` keeps), with `logprobs` computing a
    /// case's from its ids, and whether `model` continues the greedy prompt as transformers does.
    private func compare(_ fixture: [String: Any], model: any InferenceModel, include: (String) -> Bool = { _ in true },
                         logprobs: ([Int32], [String: Any]) -> [Float?]) -> (worst: Float, greedyIdentical: Bool) {
        var worst: Float = 0
        for case let c as [String: Any] in fixture["cases"] as! [Any] where include(c["name"] as! String) {
            let got = logprobs(GoldenModelTests.ints(c["ids"]), c)
            for (i, want) in (c["logprobs"] as! [Any]).enumerated() {
                if let w = want as? NSNumber { worst = max(worst, abs(got[i]! - w.floatValue)) }
            }
        }
        let greedy = fixture["greedy"] as! [String: Any]
        let prompt = GoldenModelTests.ints(greedy["prompt_ids"]), want = GoldenModelTests.ints(greedy["continuation_ids"])
        return (worst, Generator(model: model).generate([prompt], maxTokens: want.count)[0].tokens == want)
    }

    /// The Float32 model: tokenization identical, per-token log-probs within 2e-3 on every prompt (one of 785
    /// tokens, past the local layers' 512-token window), and the 64-token greedy continuation identical.
    func testLogprobsAndGreedyContinuationMatchTransformers() throws {
        let (path, fixture) = try fixture()
        let lm = try LanguageModel.load(path)
        XCTAssertEqual(lm.model.config.family, .gemma3)
        let result = compare(fixture, model: lm.model) { ids, c in
            XCTAssertEqual(lm.tokenizer?.encode(c["text"] as! String, addSpecial: true), ids, "tokenization of \(c["name"]!)")
            return Self.logprobs(lm.model, ids)
        }
        print("Gemma 3 270M max |Δ logprob| vs transformers: \(result.worst)")
        XCTAssertLessThan(result.worst, 2e-3)
        XCTAssertTrue(result.greedyIdentical)
    }

    /// The inference engine on the stored blocks (activations rounded to 16 bits before each product with
    /// quantized weights): log-probs within 1e-2, the same greedy continuation.
    func testStoredWeightsMatchTransformers() throws {
        let (path, fixture) = try fixture()
        let model = try RunnableModel.load(path)
        XCTAssertTrue(model.engine is QuantizedCausalLM)
        let result = compare(fixture, model: model.engine, include: { $0 != "long" }) { ids, _ in
            Scoring.logprobs(model.engine, ids, top: 0).logprobs
        }
        print("Gemma 3 270M stored weights: max |Δ logprob| vs transformers: \(result.worst)")
        XCTAssertLessThan(result.worst, 1e-2)
        XCTAssertTrue(result.greedyIdentical)
    }
}
