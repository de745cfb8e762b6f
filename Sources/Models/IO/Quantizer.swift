import Core

/// ggml's reference quantizers (`quantize_row_*_ref`), block by block, bit for bit: what llama.cpp writes for
/// these types, so a file exported here holds the bytes `llama-quantize` would. Each block of 32 values stores
/// its scale (and minimum) as f16 and the values as 8 or 4 bits.
public enum Quantizer {
    /// The types this quantizer writes.
    public static let types: [GGMLType] = [.q8_0, .q4_0, .q4_1]

    /// `values` (a multiple of 32, all finite) as blocks of `type`.
    public static func quantize(_ values: UnsafeBufferPointer<Float>, as type: GGMLType) -> [UInt8] {
        check(values.count % 32 == 0, "Quantizer: \(values.count) values are not whole blocks of 32")
        check(types.contains(type), "Quantizer: cannot write \(type)")
        var out: [UInt8] = []
        out.reserveCapacity(values.count / 32 * (type.layout?.bytes ?? 0))
        for start in stride(from: 0, to: values.count, by: 32) {
            let x = UnsafeBufferPointer(rebasing: values[start..<(start + 32)])
            switch type {
            case .q8_0: q8_0(x, into: &out)
            case .q4_0: q4_0(x, into: &out)
            default: q4_1(x, into: &out)
            }
        }
        return out
    }

    /// d = max|x| / 127; q = round(x / d) with the unrounded d.
    private static func q8_0(_ x: UnsafeBufferPointer<Float>, into out: inout [UInt8]) {
        let amax = x.reduce(0) { max($0, abs($1)) }
        let d = amax / 127
        // 1/d overflows only when d is far below f16's range and stores as 0, so q does not matter.
        let id: Float = (1 / d).isFinite ? 1 / d : 0
        appendHalf(d, to: &out)
        for v in x { out.append(UInt8(bitPattern: Int8(max(-127, min(127, (v * id).rounded()))))) }
    }

    /// d = (the value of largest magnitude) / -8; q = min(15, trunc(x / d + 8.5)), two per byte: the block's
    /// first 16 values in the low nibbles, the next 16 in the high ones.
    private static func q4_0(_ x: UnsafeBufferPointer<Float>, into out: inout [UInt8]) {
        var amax: Float = 0, extreme: Float = 0
        for v in x where amax < abs(v) {
            amax = abs(v)
            extreme = v
        }
        let d = extreme / -8
        let id: Float = d != 0 ? 1 / d : 0
        appendHalf(d, to: &out)
        for j in 0..<16 { out.append(nibble(x[j] * id + 8.5) | nibble(x[j + 16] * id + 8.5) << 4) }
    }

    /// d = (max − min) / 15, m = min; q = min(15, trunc((x − min) / d + 0.5)), packed as Q4_0.
    private static func q4_1(_ x: UnsafeBufferPointer<Float>, into out: inout [UInt8]) {
        let lo = x.min() ?? 0, hi = x.max() ?? 0
        let d = (hi - lo) / 15
        let id: Float = d != 0 ? 1 / d : 0
        appendHalf(d, to: &out)
        appendHalf(lo, to: &out)
        for j in 0..<16 { out.append(nibble((x[j] - lo) * id + 0.5) | nibble((x[j + 16] - lo) * id + 0.5) << 4) }
    }

    /// `min(15, (int8_t)v)` as ggml computes it (truncation toward zero; v is never below 0 here). A scale
    /// too small for its reciprocal makes v infinite or NaN, which x86's conversion turns into 0.
    @inline(__always)
    private static func nibble(_ v: Float) -> UInt8 { v.isFinite ? UInt8(min(15, max(0, Int(v)))) : 0 }

    private static func appendHalf(_ x: Float, to out: inout [UInt8]) {
        let bits = floatToHalf(x)
        out.append(UInt8(truncatingIfNeeded: bits))
        out.append(UInt8(truncatingIfNeeded: bits >> 8))
    }
}
