import XCTest
@testable import Core

/// Every differentiable op against finite differences, on shapes drawn at random from a fixed seed.
/// Tolerances: GradCheck's defaults (step 1e-2, |Δ| ≤ 2e-3 + 2e-2·|numeric|) unless a test states others.
final class OpGradientTests: XCTestCase {
    var rng = SeededRandom(seed: 42)

    func testElementwiseBinarySameShapeBroadcastAndScalar() {
        for _ in 0..<3 {
            let r = dim(1...5, &rng), c = dim(1...19, &rng)
            let a = param([r, c], &rng), b = param([r, c], &rng), bias = param([c], &rng), s = param([1], &rng)
            GradCheck().run([a, b]) { $0[0] + $0[1] }
            GradCheck().run([a, b]) { $0[0] - $0[1] }
            GradCheck().run([a, b]) { $0[0] * $0[1] }
            GradCheck().run([a, bias]) { $0[0] + $0[1] }
            GradCheck().run([a, bias]) { $0[0] - $0[1] }
            GradCheck().run([a, bias]) { $0[0] * $0[1] }
            GradCheck().run([a, s]) { $0[0] * $0[1] }
            GradCheck().run([a]) { $0[0] * $0[0] }
        }
    }

    func testAffineAndActivations() {
        for _ in 0..<3 {
            let x = param([dim(1...4, &rng), dim(1...37, &rng)], &rng, std: 2)
            GradCheck().run([x]) { $0[0].affine(scale: -1.5, shift: 0.25) }
            GradCheck().run([x]) { $0[0].silu() }
            GradCheck().run([x]) { $0[0].gelu() }
            GradCheck().run([x]) { $0[0].geluErf() }
            GradCheck().run([x]) { ($0[0] * 0.5).exp() }
            GradCheck().run([x]) { $0[0].softmax() }
        }
    }

    func testGatedUnits() {
        for _ in 0..<3 {
            let x = param([dim(1...4, &rng), 2 * dim(1...21, &rng)], &rng, std: 2)
            GradCheck().run([x]) { $0[0].gatedUnit(.silu) }
            GradCheck().run([x]) { $0[0].gatedUnit(.geluTanh) }
        }
    }

    func testReductionsAndViews() {
        let x = param([dim(2...4, &rng), dim(2...5, &rng), dim(2...9, &rng)], &rng)
        GradCheck().run([x]) { $0[0].sum() }
        GradCheck().run([x]) { $0[0].mean() }
        GradCheck().run([x]) { $0[0].reshaped([-1, x.shape[2]]) * $0[0].reshaped([-1, x.shape[2]]) }
        GradCheck().run([x]) { $0[0].transposed(0, 2).contiguous() }
        GradCheck().run([x]) { $0[0].transposed().softmax() }
        GradCheck().run([x]) { $0[0].sliceLastAxis(1..<x.shape[2]).silu() }
        let y = param([x.shape[0], x.shape[1], dim(1...4, &rng)], &rng)
        GradCheck().run([x, y]) { Tensor.concatenateLastAxis([$0[1], $0[0].sliceLastAxis(0..<1), $0[1]]).silu() }
    }

    func testMatmulAndLinear() {
        for _ in 0..<3 {
            let m = dim(1...7, &rng), k = dim(1...9, &rng), n = dim(1...8, &rng), b = dim(2...3, &rng)
            GradCheck().run([param([m, k], &rng), param([k, n], &rng)]) { $0[0].matmul($0[1]) }
            GradCheck().run([param([b, m, k], &rng), param([b, k, n], &rng)]) { $0[0].matmul($0[1]) }
            GradCheck().run([param([b, m, k], &rng), param([k, n], &rng)]) { $0[0].matmul($0[1]) }
            GradCheck().run([param([b, m, k], &rng), param([n, k], &rng), param([n], &rng)]) { $0[0].linear($0[1], bias: $0[2]) }
            GradCheck().run([param([m, k], &rng), param([n, k], &rng)]) { $0[0].linear($0[1]) }
        }
    }

    func testNorms() {
        for _ in 0..<3 {
            let rows = dim(1...6, &rng), d = dim(2...40, &rng)
            let x = param([rows, d], &rng), w = param([d], &rng), b = param([d], &rng)
            GradCheck().run([x, w]) { $0[0].rmsNorm(weight: $0[1], eps: 1e-5) }
            GradCheck().run([x, w, b]) { $0[0].layerNorm(weight: $0[1], bias: $0[2], eps: 1e-5) }
            GradCheck().run([x, w]) { $0[0].layerNorm(weight: $0[1], bias: nil, eps: 1e-5) }
        }
    }

    func testEmbeddingWithRepeatedIds() {
        let vocab = dim(3...10, &rng), d = dim(1...12, &rng)
        let ids: [Int32] = (0..<dim(4...12, &rng)).map { _ in Int32(rng.nextInt(below: vocab)) } + [0, 0]
        GradCheck().run([param([vocab, d], &rng)]) { Tensor.embedding($0[0], ids: ids) }
    }

    /// Rows of a table stood in for by replacements (trainable tokens): the same values as the table with those
    /// rows overwritten, and gradients for the replacements and for the table's other rows only.
    func testEmbeddingAndLinearWithReplacedRows() {
        for _ in 0..<3 {
            let vocab = dim(4...10, &rng), d = dim(1...9, &rng), n = dim(1...6, &rng)
            let rows: [Int32] = [Int32(vocab - 1), 1]
            let ids: [Int32] = (0..<n).map { _ in Int32(rng.nextInt(below: vocab)) } + [Int32(vocab - 1), 1, Int32(vocab - 1), 0]
            let table = param([vocab, d], &rng), replacements = param([2, d], &rng), x = param([2, n, d], &rng)
            let merged = Tensor(table.values, shape: table.shape)
            for (j, row) in rows.enumerated() {
                (merged.pointer + Int(row) * d).update(from: replacements.pointer + j * d, count: d)
            }
            Autograd.withNoGrad {
                XCTAssertEqual(Tensor.embedding(table, ids: ids, replacingRows: rows, with: replacements).values,
                               Tensor.embedding(merged, ids: ids).values)
                let a = x.linear(table, replacingRows: rows, with: replacements).values, b = x.linear(merged).values
                for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-5) }
            }
            GradCheck().run([table, replacements]) { Tensor.embedding($0[0], ids: ids, replacingRows: rows, with: $0[1]) }
            GradCheck().run([x, table, replacements]) { $0[0].linear($0[1], replacingRows: rows, with: $0[2]) }
            // A frozen table (LoRA): only the input and the replacements get gradients.
            let frozen = Tensor(table.values, shape: table.shape)
            GradCheck().run([x, replacements]) { $0[0].linear(frozen, replacingRows: rows, with: $0[1]) }
            GradCheck().run([replacements]) { Tensor.embedding(frozen, ids: ids, replacingRows: rows, with: $0[0]) }
        }
    }

    func testCausalAttentionGroupedQueryRotary() {
        // full, partial and no rotary; MHA and GQA
        for (heads, kvHeads, headDim, rotary) in [(2, 2, 4, 4), (4, 2, 8, 4), (3, 1, 6, 0), (6, 3, 8, 8)] {
            let batch = dim(1...2, &rng), length = dim(1...6, &rng)
            let s = AttentionShape(batch: batch, length: length, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                   rotaryDim: rotary, ropeBase: 10000)
            GradCheck().run([param([batch * length, s.qkvWidth], &rng)]) { $0[0].causalSelfAttention(s) }
        }
    }

    func testCrossEntropyWithIgnoredRows() {
        for _ in 0..<3 {
            let rows = dim(2...7, &rng), vocab = dim(2...70, &rng)
            var labels = (0..<rows).map { _ in Int32(rng.nextInt(below: vocab)) }
            labels[0] = Tensor.ignoreIndex
            GradCheck().run([param([rows, vocab], &rng, std: 2)]) { $0[0].crossEntropy(labels: labels) }
        }
    }
}
