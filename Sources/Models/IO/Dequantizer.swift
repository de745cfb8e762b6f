import Core

/// Converts ggml blocks to Float32, following ggml's `dequantize_row_*` reference kernels exactly.
///
/// Block layouts (little-endian, f16 = IEEE binary16):
/// - Q4_0, 32 weights in 18 bytes: `f16 d, u8 qs[16]`; low nibbles are weights 0–15, high nibbles 16–31.
/// - Q4_1, 32 weights in 20 bytes: `f16 d, f16 m, u8 qs[16]`.
/// - Q5_0, 32 weights in 22 bytes: `f16 d, u32 qh, u8 qs[16]`; qs as Q4_0, bit j of qh is weight j's fifth bit.
/// - Q8_0, 32 weights in 34 bytes: `f16 d, i8 qs[32]`.
/// - Q4_K, 256 weights in 144 bytes: `f16 d, f16 dmin, u8 scales[12], u8 qs[128]`.
/// - Q6_K, 256 weights in 210 bytes: `u8 ql[128], u8 qh[64], i8 scales[16], f16 d`.
enum Dequantizer {
    /// Converts `blocks` consecutive blocks starting at `src` into `dst`.
    typealias Kernel = (_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) -> Void

    static let supported: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q4_K, .q6_K]

    static func supports(_ type: GGMLType) -> Bool { kernel(for: type) != nil }

    static func kernel(for type: GGMLType) -> Kernel? {
        switch type {
        case .f32: f32
        case .f16: f16
        case .bf16: bf16
        case .q8_0: q8_0
        case .q4_0: q4_0
        case .q4_1: q4_1
        case .q5_0: q5_0
        case .q4_K: q4_K
        case .q6_K: q6_K
        default: nil
        }
    }

    /// Dequantizes `count` values of `type` (a whole number of blocks, all inside `src`) into `dst`, in
    /// parallel chunks of blocks for large tensors. The caller has checked that the type is supported.
    static func run(_ type: GGMLType, from src: UnsafeRawBufferPointer, into dst: UnsafeMutablePointer<Float>, count: Int) {
        guard let kernel = kernel(for: type), let layout = type.layout, let base = src.baseAddress else { return }
        let blocks = count / layout.elements
        check(blocks * layout.bytes <= src.count, "Dequantizer: \(blocks) \(type) blocks exceed \(src.count) bytes")
        Parallel.forChunks(blocks, minChunk: max(1, 65536 / layout.elements)) { range in
            kernel(base + range.lowerBound * layout.bytes, dst + range.lowerBound * layout.elements, range.count)
        }
    }

    private static func f32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n * 4)  // little-endian host
    }

    private static func f16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { dst[i] = loadHalf(src, 2 * i) }
    }

    private static func bf16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            dst[i] = bfloat16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    private static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + 34 * b, y = dst + 32 * b
            let d = loadHalf(block, 0)
            for j in 0..<32 { y[j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
        }
    }

    private static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + 18 * b, y = dst + 32 * b
            let d = loadHalf(block, 0)
            for j in 0..<16 {
                let q = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                y[j] = Float(Int32(q & 0xF) - 8) * d
                y[j + 16] = Float(Int32(q >> 4) - 8) * d
            }
        }
    }

    private static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + 20 * b, y = dst + 32 * b
            let d = loadHalf(block, 0), m = loadHalf(block, 2)
            for j in 0..<16 {
                let q = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                y[j] = Float(q & 0xF) * d + m
                y[j + 16] = Float(q >> 4) * d + m
            }
        }
    }

    private static func q5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + 22 * b, y = dst + 32 * b
            let d = loadHalf(block, 0)
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            for j in 0..<16 {
                let q = block.load(fromByteOffset: 6 + j, as: UInt8.self)
                let high0 = Int32((qh >> j) & 1) << 4, high1 = Int32((qh >> (j + 16)) & 1) << 4
                y[j] = Float((Int32(q & 0xF) | high0) - 16) * d
                y[j + 16] = Float((Int32(q >> 4) | high1) - 16) * d
            }
        }
    }

    /// ggml's `get_scale_min_k4`: the 6-bit scale and min of sub-block `j` (0..<8), packed in 12 bytes.
    /// Sub-blocks 0–3 use the low 6 bits of bytes j and j+4; sub-blocks 4–7 take their low 4 bits from
    /// byte j+4 and their top 2 bits from the spare high bits of bytes j-4 and j.
    @inline(__always)
    static func scaleMin(_ j: Int, _ q: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        func byte(_ i: Int) -> UInt8 { q.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (byte(j) & 63, byte(j + 4) & 63) }
        return ((byte(j + 4) & 0xF) | ((byte(j - 4) >> 6) << 4), (byte(j + 4) >> 4) | ((byte(j) >> 6) << 4))
    }

    private static func q4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + 144 * b
            let d = loadHalf(block, 0), dmin = loadHalf(block, 2)
            let scales = block + 4
            // Each 64 weights share 32 bytes of qs: low nibbles for the first 32, high nibbles for the next.
            for group in 0..<4 {
                let q = block + 16 + 32 * group, y = dst + 256 * b + 64 * group
                let (sc1, m1) = scaleMin(2 * group, scales)
                let (sc2, m2) = scaleMin(2 * group + 1, scales)
                let d1 = d * Float(sc1), min1 = dmin * Float(m1)
                let d2 = d * Float(sc2), min2 = dmin * Float(m2)
                for l in 0..<32 {
                    let byte = q.load(fromByteOffset: l, as: UInt8.self)
                    y[l] = d1 * Float(byte & 0xF) - min1
                    y[l + 32] = d2 * Float(byte >> 4) - min2
                }
            }
        }
    }

    private static func q6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + 210 * b
            let d = loadHalf(block, 208)
            // Two halves of 128 weights, each with 64 bytes of ql, 32 of qh and 8 scales (one per 16 weights).
            for half in 0..<2 {
                let ql = block + 64 * half, qh = block + 128 + 32 * half, sc = block + 192 + 8 * half
                let y = dst + 256 * b + 128 * half
                for l in 0..<32 {
                    let s = l / 16
                    let lo = ql.load(fromByteOffset: l, as: UInt8.self)
                    let hi = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                    let h = qh.load(fromByteOffset: l, as: UInt8.self)
                    let q1 = Int32((lo & 0xF) | ((h & 3) << 4)) - 32
                    let q2 = Int32((hi & 0xF) | (((h >> 2) & 3) << 4)) - 32
                    let q3 = Int32((lo >> 4) | (((h >> 4) & 3) << 4)) - 32
                    let q4 = Int32((hi >> 4) | (((h >> 6) & 3) << 4)) - 32
                    y[l] = d * Float(sc.load(fromByteOffset: s, as: Int8.self)) * Float(q1)
                    y[l + 32] = d * Float(sc.load(fromByteOffset: s + 2, as: Int8.self)) * Float(q2)
                    y[l + 64] = d * Float(sc.load(fromByteOffset: s + 4, as: Int8.self)) * Float(q3)
                    y[l + 96] = d * Float(sc.load(fromByteOffset: s + 6, as: Int8.self)) * Float(q4)
                }
            }
        }
    }
}
