import XCTest
@testable import Core

/// `precision: .bf16` in cached attention: the products over a prefix that several sequences continue take its
/// keys and values rounded to bfloat16 once (`KVCache.bfloat16Keys`/`bfloat16Values`), in the prompt kernel and in
/// the decode kernel's group product. Checked against attention computed from its definition in Float64, with
/// a prefix of odd length, sequences that share all of it or part of it, and one, three and many new tokens.
final class SharedPrefixPrecisionTests: XCTestCase {
    var rng = SeededRandom(seed: 17)
    let heads = 4, kvHeads = 2, headDim = 8, prefix = 13

    var shape: AttentionShape {
        AttentionShape(batch: 1, length: 1, heads: heads, kvHeads: kvHeads, headDim: headDim, rotaryDim: headDim)
    }

    /// Causal attention over rows `qkv` (positions 0..<n) in Float64, after rotating q and k.
    func reference(_ qkv: [Float]) -> [Double] {
        let s = shape, w = s.qkvWidth, n = qkv.count / w
        var rotated = qkv
        rotated.withUnsafeMutableBufferPointer {
            RopeTable(length: n, s).apply($0.baseAddress!, rows: n, length: n, rowStride: w, headDim: headDim,
                                          heads: heads + kvHeads, inverse: false)
        }
        var out = [Double](repeating: 0, count: n * s.outWidth)
        let scale = 1 / Double(headDim).squareRoot(), group = heads / kvHeads
        for i in 0..<n {
            for h in 0..<heads {
                let g = h / group
                let scores = (0...i).map { j in
                    (0..<headDim).reduce(0.0) { $0 + Double(rotated[i * w + h * headDim + $1]) * Double(rotated[j * w + (heads + g) * headDim + $1]) } * scale
                }
                let mx = scores.max()!, e = scores.map { Foundation.exp($0 - mx) }, total = e.reduce(0, +)
                for d in 0..<headDim {
                    out[i * s.outWidth + h * headDim + d] = (0...i).reduce(0.0) {
                        $0 + e[$1] * Double(rotated[$1 * w + (heads + kvHeads + g) * headDim + d])
                    } / total
                }
            }
        }
        return out
    }

    func testBFloat16PrefixProductsMatchTheDefinition() {
        let s = shape, w = s.qkvWidth, ow = s.outWidth
        let prefixRows = Tensor.randn([prefix, w], rng: &rng)
        let root = KVCache(layers: 1, capacity: prefix, kvHeads: kvHeads, headDim: headDim)
        _ = Autograd.withNoGrad { prefixRows.cachedSelfAttention(s, segments: [(0..<prefix, root)], layer: 0) }
        root.advance(by: prefix)
        // (prefix tokens shared, new tokens): the decode kernel's group holds the first three and the last,
        // with a group block of 7 columns; the two with 12 and 10 new tokens take the prompt kernel.
        let cases: [(share: Int, new: Int)] = [(13, 1), (13, 1), (13, 3), (7, 1), (13, 12), (7, 10)]
        let caches = cases.map { KVCache(continuing: root, sharing: $0.share, capacity: $0.new) }
        var segments: [(rows: Range<Int>, cache: KVCache)] = []
        for (c, cache) in zip(cases, caches) {
            let start = segments.last?.rows.upperBound ?? 0
            segments.append((start..<start + c.new, cache))
        }
        let newRows = Tensor.randn([segments.last!.rows.upperBound, w], rng: &rng)
        let fp32 = Autograd.withNoGrad { newRows.cachedSelfAttention(s, segments: segments, layer: 0, precision: .fp32) }.values
        let bf16 = Autograd.withNoGrad { newRows.cachedSelfAttention(s, segments: segments, layer: 0, precision: .bf16) }.values
        var worstFP32 = 0.0, worstBF16 = 0.0, bf16MovedFromFP32 = 0.0
        for (c, segment) in zip(cases, segments) {
            let whole = Array(prefixRows.values[0..<c.share * w]) + Array(newRows.values[segment.rows.lowerBound * w..<segment.rows.upperBound * w])
            let want = reference(whole)
            for i in 0..<c.new {
                for k in 0..<ow {
                    let expected = want[(c.share + i) * ow + k], at = (segment.rows.lowerBound + i) * ow + k
                    worstFP32 = max(worstFP32, abs(Double(fp32[at]) - expected))
                    worstBF16 = max(worstBF16, abs(Double(bf16[at]) - expected))
                    bf16MovedFromFP32 = max(bf16MovedFromFP32, abs(Double(bf16[at] - fp32[at])))
                }
            }
        }
        XCTAssertLessThan(worstFP32, 1e-5)
        // bfloat16 keeps 8 significant bits: the outputs (averages of values of order 1) move by a few 1e-3.
        XCTAssertLessThan(worstBF16, 2e-2)
        XCTAssertGreaterThan(bf16MovedFromFP32, 1e-5, "the bf16 products did not run")
    }

    func testRoundedCopiesHoldTheCacheRowsAndGrowWithIt() {
        let width = kvHeads * headDim
        let cache = KVCache(layers: 2, capacity: 8, kvHeads: kvHeads, headDim: headDim)
        for i in 0..<8 * width {
            cache.keys[1].pointer[i] = Float(i) * 0.37 - 5
            cache.values[1].pointer[i] = Float(i) * -0.21 + 3
        }
        cache.advance(by: 5)
        let keys = cache.bfloat16Keys(layer: 1, count: 3)
        for i in 0..<5 * width { XCTAssertEqual(keys[i], floatToBFloat16(cache.keys[1].pointer[i])) }
        let values = cache.bfloat16Values(layer: 1, count: 5)
        XCTAssertEqual(values.stride, 6)
        for c in 0..<width {
            for t in 0..<5 { XCTAssertEqual(values.rows[c * 6 + t], floatToBFloat16(cache.values[1].pointer[t * width + c])) }
            XCTAssertEqual(values.rows[c * 6 + 5], 0, "the pad column")
        }
        XCTAssertEqual(cache.bfloat16Keys(layer: 1, count: 5), keys, "a copy holding enough rows is reused")
        cache.advance(by: 2)
        XCTAssertEqual(cache.bfloat16Values(layer: 1, count: 7).stride, 8, "more rows than held: made again")
    }
}
