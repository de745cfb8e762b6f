import XCTest
import Core
import NN
import Models

/// Whole-model gradients against central differences of the loss, for every architecture variant.
/// Tolerance: |analytic − numeric| ≤ 1e-3 + 3e-2·|numeric| with step 1e-2 (Float32 end to end).
final class ModelGradientTests: XCTestCase {
    func check(_ config: DecoderConfig, file: StaticString = #filePath, line: UInt = #line) {
        let model = CausalLM(config: config, seed: 3)
        var rng = SeededRandom(seed: 11)
        let batch = 2, length = 5
        let tokens = (0..<batch * length).map { _ in Int32(rng.nextInt(below: config.vocabSize)) }
        var labels = (0..<batch * length).map { _ in Int32(rng.nextInt(below: config.vocabSize)) }
        labels[0] = Tensor.ignoreIndex
        // Larger weights than the default init so every path contributes visibly.
        let p = model.parameters.valuePointer
        for i in 0..<model.parameters.count { p[i] += 0.3 * rng.nextNormal() }
        model.loss(tokens, labels: labels, batch: batch, length: length).backward()
        let grads = Array(UnsafeBufferPointer(start: model.parameters.gradPointer, count: model.parameters.count))
        func loss() -> Double {
            Double(Autograd.withNoGrad { model.loss(tokens, labels: labels, batch: batch, length: length).item })
        }
        for param in model.parameters.parameters {
            for _ in 0..<2 {
                let i = param.offset + rng.nextInt(below: param.count)
                let saved = p[i]
                p[i] = saved + 1e-2; let up = loss()
                p[i] = saved - 1e-2; let down = loss()
                p[i] = saved
                let numeric = Float((up - down) / 2e-2)
                XCTAssertEqual(grads[i], numeric, accuracy: 1e-3 + 3e-2 * abs(numeric), "\(param.name)", file: file, line: line)
            }
        }
    }

    func testLlamaGradients() {
        check(.llama(vocabSize: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, tiedEmbeddings: true))
    }

    func testStableLMGradients() {
        check(.stableLM(vocabSize: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24,
                        partialRotaryFactor: 0.5, qkvBias: true))
    }

    func testStableLMWithQKNormAndParallelResidualGradients() {
        check(.stableLM(vocabSize: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 4, intermediate: 24,
                        partialRotaryFactor: 0.5, qkLayerNorm: true, parallelResidual: true))
    }

    func testQwenGradients() {
        check(.qwen(.qwen2, vocabSize: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24))
        // Qwen3: the shared q/k RMSNorm weights, and heads wider than hidden / heads.
        check(.qwen(.qwen3, vocabSize: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, headDim: 6))
    }

    /// Gemma 3: all four norms scaling by 1 + weight, GeGLU, scaled embeddings; a window of 2 in the first two
    /// layers (pattern 3: the third is global) reaches back less than the 5-token rows.
    func testGemma3Gradients() {
        check(.gemma3(vocabSize: 23, hidden: 16, layers: 3, heads: 4, kvHeads: 2, intermediate: 24, headDim: 6,
                      slidingWindow: 2, slidingPattern: 3))
    }

    func testPhi3Gradients() {
        check(.phi3(vocabSize: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, partialRotaryFactor: 0.5,
                    slidingWindow: 3))
    }
}
