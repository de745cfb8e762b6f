/// Inverted dropout with a mask that is a pure function of a seed.
extension Tensor {
    /// Zeroes each element with probability `p` and scales the rest by 1/(1 − p). Row r of the last axis
    /// draws from its own generator seeded by (`seed`, r), so the mask is the same on any thread count, and
    /// backward regenerates it instead of keeping it. `p == 0` returns `self`.
    public func dropout(_ p: Float, seed: UInt64) -> Tensor {
        check(p >= 0 && p < 1, "dropout: probability \(p) outside [0, 1)")
        if p == 0 { return self }
        let x = contiguous()
        let out = Tensor(uninitialized: shape)
        Tensor.backend.binary(.mul, x, Tensor.dropoutMask(shape, p, seed), into: out, accumulate: false)
        let sx = x.slot, shape = shape
        return Tensor.record(out, "dropout", [x]) { g in
            let mask = Tensor.dropoutMask(shape, p, seed)
            sx.accumulateGrad { gx, acc in Tensor.backend.binary(.mul, g, mask, into: gx, accumulate: acc) }
        }
    }

    /// 0 with probability p, else 1/(1 − p). Each 64-bit draw decides two elements (32 bits each).
    private static func dropoutMask(_ shape: [Int], _ p: Float, _ seed: UInt64) -> Tensor {
        let mask = Tensor(uninitialized: shape)
        let width = max(shape.last ?? 1, 1), rows = mask.count / width
        let keep = 1 / (1 - p), m = mask.pointer
        let threshold = UInt64(Double(p) * 0x1p32)
        Parallel.forChunks(rows, minChunk: max(1, 16_384 / width)) { r in
            for row in r {
                var rng = SeededRandom(seed: SeededRandom.mix(seed, UInt64(row)))
                let dst = m + row * width
                var j = 0
                while j < width {
                    let bits = rng.next()
                    dst[j] = bits & 0xFFFF_FFFF < threshold ? 0 : keep
                    if j + 1 < width { dst[j + 1] = bits >> 32 < threshold ? 0 : keep }
                    j += 2
                }
            }
        }
        return mask
    }
}

extension SeededRandom {
    /// A seed derived from `seed` and `stream`, decorrelated from both (SplitMix64's finalizer), for
    /// independent generators per row, per layer or per step.
    public static func mix(_ seed: UInt64, _ stream: UInt64) -> UInt64 {
        var x = seed ^ ((stream &+ 0x9E37_79B9_7F4A_7C15) &* 0xD6E8_FEB8_6659_FD93)
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }
}
