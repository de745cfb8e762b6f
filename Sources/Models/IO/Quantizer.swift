import Core

/// ggml's reference quantizers (`quantize_row_*_ref`), block by block, bit for bit: what llama.cpp writes for
/// these types, so a file exported here holds the bytes `llama-quantize` would (without an importance matrix).
/// Q8_0, Q4_0, Q4_1 and Q5_0 blocks hold 32 values with an f16 scale (and minimum); the K-quants
/// (Quantizer+KQuants.swift) hold 256.
public enum Quantizer {
    /// The types this quantizer writes.
    public static let types: [GGMLType] = [.q8_0, .q4_0, .q4_1, .q5_0, .q4_K, .q6_K]

    /// Writes one block: its values in, its bytes out (the output is zeroed beforehand).
    typealias Kernel = (_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) -> Void

    /// `values` (whole blocks of `type`, all finite) as blocks of `type`. Blocks are independent, so large
    /// tensors are quantized in parallel chunks.
    public static func quantize(_ values: UnsafeBufferPointer<Float>, as type: GGMLType) -> [UInt8] {
        check(types.contains(type), "Quantizer: cannot write \(type)")
        let layout = type.layout!
        check(values.count % layout.elements == 0,
              "Quantizer: \(values.count) values are not whole blocks of \(layout.elements) (\(type))")
        let blocks = values.count / layout.elements
        var out = [UInt8](repeating: 0, count: blocks * layout.bytes)
        guard let x = values.baseAddress, blocks > 0 else { return out }
        let kernel = kernel(for: type)
        out.withUnsafeMutableBytes { bytes in
            let base = bytes.baseAddress!
            Parallel.forChunks(blocks, minChunk: max(1, 16384 / layout.elements)) { range in
                for b in range { kernel(x + b * layout.elements, base + b * layout.bytes) }
            }
        }
        return out
    }

    private static func kernel(for type: GGMLType) -> Kernel {
        switch type {
        case .q8_0: q8_0
        case .q4_0: q4_0
        case .q4_1: q4_1
        case .q5_0: q5_0
        case .q4_K: q4_K
        default: q6_K
        }
    }

    /// d = max|x| / 127; q = round(x / d) with the unrounded d.
    private static func q8_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        // 1/d overflows only when d is far below f16's range and stores as 0, so q does not matter.
        let id: Float = (1 / d).isFinite ? 1 / d : 0
        storeHalf(d, out, 0)
        for j in 0..<32 { out.storeBytes(of: Int8(max(-127, min(127, (x[j] * id).rounded()))), toByteOffset: 2 + j, as: Int8.self) }
    }

    /// d = (the value of largest magnitude) / -8; q = min(15, trunc(x / d + 8.5)), two per byte: the block's
    /// first 16 values in the low nibbles, the next 16 in the high ones.
    private static func q4_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        let d = extreme(x) / -8
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, out, 0)
        for j in 0..<16 { storeByte(level(x[j] * id + 8.5, max: 15) | level(x[j + 16] * id + 8.5, max: 15) << 4, out, 2 + j) }
    }

    /// d = (max − min) / 15, m = min; q = min(15, trunc((x − min) / d + 0.5)), packed as Q4_0.
    private static func q4_1(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var lo = x[0], hi = x[0]
        for j in 1..<32 {
            if x[j] < lo { lo = x[j] }
            if x[j] > hi { hi = x[j] }
        }
        let d = (hi - lo) / 15
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, out, 0)
        storeHalf(lo, out, 2)
        for j in 0..<16 {
            storeByte(level((x[j] - lo) * id + 0.5, max: 15) | level((x[j + 16] - lo) * id + 0.5, max: 15) << 4, out, 4 + j)
        }
    }

    /// As Q4_0 with 5 bits: d = (the value of largest magnitude) / -16; q = min(31, trunc(x / d + 16.5)). The
    /// low 4 bits pack as Q4_0's nibbles; the fifth bits of values 0–31 are bits 0–31 of a little-endian u32.
    private static func q5_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        let d = extreme(x) / -16
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, out, 0)
        var qh: UInt32 = 0
        for j in 0..<16 {
            let q0 = level(x[j] * id + 16.5, max: 31), q1 = level(x[j + 16] * id + 16.5, max: 31)
            storeByte((q0 & 0xF) | (q1 & 0xF) << 4, out, 6 + j)
            qh |= UInt32(q0 >> 4) << j | UInt32(q1 >> 4) << (j + 16)
        }
        out.storeBytes(of: qh.littleEndian, toByteOffset: 2, as: UInt32.self)
    }

    /// The block's value of largest magnitude (the first of equals), keeping its sign.
    private static func extreme(_ x: UnsafePointer<Float>) -> Float {
        var amax: Float = 0, extreme: Float = 0
        for j in 0..<32 where amax < abs(x[j]) {
            amax = abs(x[j])
            extreme = x[j]
        }
        return extreme
    }

    /// `min(top, (int8_t)v)` as ggml computes it (truncation toward zero; v is never below 0 here). A scale
    /// too small for its reciprocal makes v infinite or NaN, which x86's conversion turns into 0.
    @inline(__always)
    private static func level(_ v: Float, max top: Int) -> UInt8 { v.isFinite ? UInt8(min(top, max(0, Int(v)))) : 0 }

    @inline(__always)
    static func storeHalf(_ x: Float, _ out: UnsafeMutableRawPointer, _ offset: Int) {
        out.storeBytes(of: floatToHalf(x).littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always)
    static func storeByte(_ b: UInt8, _ out: UnsafeMutableRawPointer, _ offset: Int) {
        out.storeBytes(of: b, toByteOffset: offset, as: UInt8.self)
    }
}
