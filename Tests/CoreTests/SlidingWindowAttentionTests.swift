import XCTest
@testable import Core

/// Sliding-window attention (`AttentionShape.window`): a query at position p sees keys at positions above
/// p − window. Each path (training attention with and without a layout, the cached prefill and decode kernels,
/// a cache continuing a shared parent) is checked against attention computed from that definition directly.
final class SlidingWindowAttentionTests: XCTestCase {
    var rng = SeededRandom(seed: 91)
    let heads = 4, kvHeads = 2, headDim = 8

    func shape(length: Int, window: Int?, layout: SequenceLayout? = nil) -> AttentionShape {
        AttentionShape(batch: 1, length: length, heads: heads, kvHeads: kvHeads, headDim: headDim, rotaryDim: 6,
                       layout: layout, window: window)
    }

    /// The definition: rotate q and k at `positions`, then for each query i a softmax over the keys j ≤ i with
    /// positions[i] − positions[j] < window, in Float64.
    func reference(_ qkv: Tensor, positions: [Int], window: Int) -> [Float] {
        let s = shape(length: qkv.shape[0], window: window), w = s.qkvWidth, n = qkv.shape[0]
        let rotated = qkv.values.withUnsafeBufferPointer { src -> [Float] in
            let out = UnsafeMutablePointer<Float>.allocate(capacity: n * w)
            defer { out.deallocate() }
            out.update(from: src.baseAddress!, count: n * w)
            RopeTable(length: (positions.max() ?? 0) + 1, s)
                .apply(out, rows: n, length: n, rowStride: w, headDim: headDim, heads: heads + kvHeads, inverse: false,
                       positions: positions.map(Int32.init))
            return Array(UnsafeBufferPointer(start: out, count: n * w))
        }
        var out = [Float](repeating: 0, count: n * s.outWidth)
        let scale = 1 / Double(headDim).squareRoot(), group = heads / kvHeads
        for i in 0..<n {
            for h in 0..<heads {
                let g = h / group
                let q = (0..<headDim).map { Double(rotated[i * w + h * headDim + $0]) }
                let seen = (0...i).filter { positions[i] - positions[$0] < window }
                let scores = seen.map { j in
                    (0..<headDim).reduce(0.0) { $0 + q[$1] * Double(rotated[j * w + (heads + g) * headDim + $1]) } * scale
                }
                let mx = scores.max()!, e = scores.map { Foundation.exp($0 - mx) }, total = e.reduce(0, +)
                for d in 0..<headDim {
                    let v = zip(seen, e).reduce(0.0) { $0 + $1.1 * Double(rotated[$1.0 * w + (heads + kvHeads + g) * headDim + d]) }
                    out[i * s.outWidth + h * headDim + d] = Float(v / total)
                }
            }
        }
        return out
    }

    func testTrainingAttentionMatchesTheDefinition() {
        for (length, window) in [(12, 1), (12, 4), (70, 9), (70, 100)] {
            let qkv = Tensor.randn([length, shape(length: 1, window: nil).qkvWidth], rng: &rng)
            let out = qkv.causalSelfAttention(shape(length: length, window: window))
            XCTAssertEqual(out.values, reference(qkv, positions: Array(0..<length), window: window), accuracy: 1e-5, "window \(window)")
        }
    }

    /// [prefix | continuation A | continuation B]: B's queries see the prefix keys within the window by position.
    func testSharedPrefixLayoutMatchesTheDefinition() {
        let prefix = 6, suffix = 7, total = prefix + 2 * suffix, window = 5
        var layout = SequenceLayout.causal(batch: 1, length: total)
        for i in prefix + suffix..<total {
            layout.positions[i] = Int32(i - suffix)
            layout.segmentStart[i] = Int32(prefix + suffix)
            layout.sharedPrefix[i] = Int32(prefix)
        }
        let w = shape(length: 1, window: nil).qkvWidth, ow = shape(length: 1, window: nil).outWidth
        let tree = Tensor.randn([total, w], rng: &rng)
        let out = tree.causalSelfAttention(shape(length: total, window: window, layout: layout)).values
        let n = prefix + suffix
        let a = reference(Tensor(Array(tree.values[0..<n * w]), shape: [n, w]), positions: Array(0..<n), window: window)
        let b = reference(Tensor(Array(tree.values[0..<prefix * w] + tree.values[n * w..<total * w]), shape: [n, w]),
                          positions: Array(0..<n), window: window)
        let outA: [Float] = Array(out[0..<n * ow]), outB: [Float] = Array(out[n * ow..<total * ow])
        let wantB: [Float] = Array(b[prefix * ow..<n * ow])
        XCTAssertEqual(outA, a, accuracy: 1e-5)
        XCTAssertEqual(outB, wantB, accuracy: 1e-5)
    }

    func testGradientsMatchFiniteDifferences() {
        let length = 7
        GradCheck().run([param([length, shape(length: 1, window: nil).qkvWidth], &rng)]) {
            $0[0].causalSelfAttention(self.shape(length: length, window: 3))
        }
        var layout = SequenceLayout.packed([[3, 4]], length: length)
        layout.positions[6] = 4; layout.segmentStart[6] = 6; layout.sharedPrefix[6] = 2
        GradCheck().run([param([length, shape(length: 1, window: nil).qkvWidth], &rng)]) {
            $0[0].causalSelfAttention(self.shape(length: length, window: 2, layout: layout))
        }
    }

    /// A prompt of 20 tokens through the prefill kernel, then 6 tokens decoded one by one, then two caches
    /// continuing the first 23 tokens of it, decoded together (the shared-block path): each row equals the
    /// definition on its own sequence.
    func testCachedPrefillAndDecodeMatchTheDefinition() {
        let window = 6, prompt = 20, decoded = 6, total = prompt + decoded
        let s = shape(length: 1, window: window), w = s.qkvWidth, ow = s.outWidth
        let qkv = Tensor.randn([total, w], rng: &rng)
        let want = reference(qkv, positions: Array(0..<total), window: window)
        let cache = KVCache(layers: 1, capacity: total, kvHeads: kvHeads, headDim: headDim)
        var got: [Float] = []
        Autograd.withNoGrad {
            got += Tensor(Array(qkv.values[0..<prompt * w]), shape: [prompt, w])
                .cachedSelfAttention(s, segments: [(0..<prompt, cache)], layer: 0).values
            cache.advance(by: prompt)
            for i in prompt..<total {
                got += Tensor(Array(qkv.values[i * w..<(i + 1) * w]), shape: [1, w])
                    .cachedSelfAttention(s, segments: [(0..<1, cache)], layer: 0).values
                cache.advance(by: 1)
            }
        }
        XCTAssertEqual(got, want, accuracy: 1e-5)

        let shared = 23
        let children = (0..<2).map { _ in KVCache(continuing: cache, sharing: shared, capacity: 4) }
        let next = (0..<2).map { _ in Tensor.randn([1, w], rng: &rng) }
        let both = Autograd.withNoGrad {
            Tensor(next[0].values + next[1].values, shape: [2, w])
                .cachedSelfAttention(s, segments: [(0..<1, children[0]), (1..<2, children[1])], layer: 0).values
        }
        for c in 0..<2 {
            let sequence = Tensor(Array(qkv.values[0..<shared * w]) + next[c].values, shape: [shared + 1, w])
            let alone = reference(sequence, positions: Array(0...shared), window: window)
            let row: [Float] = Array(both[c * ow..<(c + 1) * ow]), wantRow: [Float] = Array(alone[shared * ow..<(shared + 1) * ow])
            XCTAssertEqual(row, wantRow, accuracy: 1e-5)
        }
    }
}
