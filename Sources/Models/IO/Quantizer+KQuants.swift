import Core

/// ggml's K-quant reference quantizers (`quantize_row_q6_K_ref`, `quantize_row_q4_K_ref` in ggml-quants.c),
/// blocks of 256 values. Each step is ggml's float arithmetic in ggml's order (no fused multiply-adds, sums
/// left to right), since a search for the best scale turns any rounding difference into different bytes.
extension Quantizer {
    /// ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it is all zeros.
    private static let groupMaxEps: Float = 1e-15

    /// Q6_K, 256 values in 210 bytes (`u8 ql[128], u8 qh[64], i8 scales[16], f16 d`): each 16 values get the
    /// scale of ggml's `make_qx_quants` (weighted by x²); the 16 scales are quantized to 8 bits against the one
    /// of largest magnitude, and the values to 6 bits against their rounded scale.
    static func q6_K(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { levels in
            let L = levels.baseAddress!
            var scales = [Float](repeating: 0, count: 16)
            var maxScale: Float = 0, maxAbsScale: Float = 0
            for ib in 0..<16 {
                let scale = sixBitLevels(x + 16 * ib, L + 16 * ib)
                scales[ib] = scale
                if abs(scale) > maxAbsScale {
                    maxAbsScale = abs(scale)
                    maxScale = scale
                }
            }
            if maxAbsScale < groupMaxEps { return }  // an all-zero block (the output is zeroed)
            let iscale = -128 / maxScale
            storeHalf(1 / iscale, out, 208)
            let d = loadHalf(out, 208)
            for ib in 0..<16 {
                let q = Int8(truncatingIfNeeded: min(127, nearestInt(iscale * scales[ib])))
                out.storeBytes(of: q, toByteOffset: 192 + ib, as: Int8.self)
                let step = d * Float(q)
                if step == 0 { continue }  // keeps make_qx_quants' levels, as ggml does
                for i in 16 * ib..<(16 * ib + 16) { L[i] = UInt8(max(-32, min(31, nearestInt(x[i] / step))) + 32) }
            }
            // Each half of 128 values: the low 4 bits of values l and l+64 share ql[l], of l+32 and l+96 share
            // ql[l+32]; the top 2 bits of l, l+32, l+64, l+96 fill qh[l] from its low bits up.
            for half in 0..<2 {
                let q = L + 128 * half, ql = 64 * half, qh = 128 + 32 * half
                for l in 0..<32 {
                    storeByte((q[l] & 0xF) | (q[l + 64] & 0xF) << 4, out, ql + l)
                    storeByte((q[l + 32] & 0xF) | (q[l + 96] & 0xF) << 4, out, ql + l + 32)
                    storeByte(q[l] >> 4 | (q[l + 32] >> 4) << 2 | (q[l + 64] >> 4) << 4 | (q[l + 96] >> 4) << 6, out, qh + l)
                }
            }
        }
    }

    /// Q4_K, 256 values in 144 bytes (`f16 d, f16 dmin, u8 scales[12], u8 qs[128]`): each 32 values get a
    /// scale and a minimum from ggml's `make_qkx2_quants` (weighted by rms + |x|); scales and minimums are
    /// quantized to 6 bits against the largest of each, and the values to 4 bits against their rounded pair.
    static func q4_K(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { levels in
            let L = levels.baseAddress!
            var scales = [Float](repeating: 0, count: 8), mins = [Float](repeating: 0, count: 8)
            var weights = [Float](repeating: 0, count: 32)
            var maxScale: Float = 0, maxMin: Float = 0
            for j in 0..<8 {
                let g = x + 32 * j
                var sumX2: Float = 0
                for l in 0..<32 { sumX2 += g[l] * g[l] }
                let rms = (sumX2 / 32).squareRoot()
                for l in 0..<32 { weights[l] = rms + abs(g[l]) }
                (scales[j], mins[j]) = fourBitLevels(g, weights, L + 32 * j)
                if scales[j] > maxScale { maxScale = scales[j] }
                if mins[j] > maxMin { maxMin = mins[j] }
            }
            let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
            let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
            // get_scale_min_k4's packing: sub-blocks 0–3 in the low 6 bits of bytes j (scale) and j+4 (min);
            // 4–7 in the nibbles of byte j+4 with their top 2 bits in the spare high bits of bytes j-4 and j.
            let packed = out + 4
            for j in 0..<8 {
                let ls = min(63, UInt8(truncatingIfNeeded: nearestInt(inverseScale * scales[j])))
                let lm = min(63, UInt8(truncatingIfNeeded: nearestInt(inverseMin * mins[j])))
                if j < 4 {
                    storeByte(ls, packed, j)
                    storeByte(lm, packed, j + 4)
                } else {
                    storeByte((ls & 0xF) | (lm & 0xF) << 4, packed, j + 4)
                    storeByte(packed.load(fromByteOffset: j - 4, as: UInt8.self) | (ls >> 4) << 6, packed, j - 4)
                    storeByte(packed.load(fromByteOffset: j, as: UInt8.self) | (lm >> 4) << 6, packed, j)
                }
            }
            storeHalf(maxScale / 63, out, 0)
            storeHalf(maxMin / 63, out, 2)
            let d = loadHalf(out, 0), dmin = loadHalf(out, 2)
            for j in 0..<8 {
                let (sc, m) = Dequantizer.scaleMin(j, packed)
                let step = d * Float(sc)
                if step == 0 { continue }  // keeps make_qkx2_quants' levels, as ggml does
                let offset = dmin * Float(m)
                for i in 32 * j..<(32 * j + 32) { L[i] = UInt8(max(0, min(15, nearestInt((x[i] + offset) / step)))) }
            }
            // Each 64 values share 32 bytes: the first 32 in the low nibbles, the next 32 in the high ones.
            for group in 0..<4 {
                let q = L + 64 * group
                for l in 0..<32 { storeByte(q[l] | q[l + 32] << 4, out, 16 + 32 * group + l) }
            }
        }
    }

    /// ggml's `make_qx_quants(16, 32, x, L, rmse_type = 1, NULL)`: levels 0…63 (value / scale + 32) for 16
    /// values and the scale that minimizes the x²-weighted squared error over 19 candidate reciprocals.
    private static func sixBitLevels(_ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<UInt8>) -> Float {
        let n = 16, nmax: Int32 = 32
        var signedMax: Float = 0, amax: Float = 0
        for i in 0..<n where abs(x[i]) > amax {
            amax = abs(x[i])
            signedMax = x[i]
        }
        if amax < groupMaxEps {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        func level(_ v: Float) -> Int32 { max(-nmax, min(nmax - 1, nearestInt(v))) }
        var iscale = Float(-nmax) / signedMax
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let l = level(iscale * x[i])
            L[i] = UInt8(l + nmax)
            let w = x[i] * x[i], fl = Float(l)
            sumlx += w * x[i] * fl
            suml2 += w * fl * fl
        }
        var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
        var best = scale * sumlx
        for candidate in -9...9 where candidate != 0 {
            iscale = -(Float(nmax) + 0.1 * Float(candidate)) / signedMax
            sumlx = 0
            suml2 = 0
            for i in 0..<n {
                let w = x[i] * x[i], fl = Float(level(iscale * x[i]))
                sumlx += w * x[i] * fl
                suml2 += w * fl * fl
            }
            if suml2 > 0 && sumlx * sumlx > best * suml2 {
                for i in 0..<n { L[i] = UInt8(level(iscale * x[i]) + nmax) }
                scale = sumlx / suml2
                best = scale * sumlx
            }
        }
        return scale
    }

    /// ggml's `make_qkx2_quants(32, 15, x, weights, L, &the_min, Laux, -1, 0.1, 20, false)`: levels 0…15 for
    /// 32 values and the scale and minimum (returned negated, as ggml's `the_min`) of least weighted squared
    /// error, trying 21 stretches of the range by least squares.
    private static func fourBitLevels(_ x: UnsafePointer<Float>, _ weights: [Float],
                                      _ L: UnsafeMutablePointer<UInt8>) -> (scale: Float, min: Float) {
        let n = 32, nmax: Int32 = 15, rmin: Float = -1, rdelta: Float = 0.1, steps = 20
        var lo = x[0], hi = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < lo { lo = x[i] }
            if x[i] > hi { hi = x[i] }
            sumW += weights[i]
            sumX += weights[i] * x[i]
        }
        if lo > 0 { lo = 0 }
        if hi == lo {
            for i in 0..<n { L[i] = 0 }
            return (0, -lo)
        }
        func level(_ v: Float) -> UInt8 { UInt8(max(0, min(nmax, nearestInt(v)))) }
        var iscale = Float(nmax) / (hi - lo)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            L[i] = level(iscale * (x[i] - lo))
            let diff = scale * Float(L[i]) + lo - x[i]
            bestError += weights[i] * (diff * diff)
        }
        var trial = [UInt8](repeating: 0, count: n)
        for step in 0...steps {
            iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (hi - lo)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                trial[i] = level(iscale * (x[i] - lo))
                let w = weights[i], fl = Float(trial[i])
                sumL += w * fl
                sumL2 += w * fl * fl
                sumXL += w * fl * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            guard D > 0 else { continue }
            var thisScale = (sumW * sumXL - sumX * sumL) / D
            var thisMin = (sumL2 * sumX - sumL * sumXL) / D
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var error: Float = 0
            for i in 0..<n {
                let diff = thisScale * Float(trial[i]) + thisMin - x[i]
                error += weights[i] * (diff * diff)
            }
            if error < bestError {
                for i in 0..<n { L[i] = trial[i] }
                bestError = error
                scale = thisScale
                lo = thisMin
            }
        }
        return (scale, -lo)
    }

    /// ggml's `nearest_int`: adding 1.5·2²³ leaves round(v) (ties to even) in the low mantissa bits. Exact for
    /// |v| < 2²²; larger or non-finite v give some level that the callers clamp, as ggml's do.
    @inline(__always)
    static func nearestInt(_ v: Float) -> Int32 {
        Int32(bitPattern: (v + 12_582_912).bitPattern & 0x007F_FFFF) - 0x0040_0000
    }
}
