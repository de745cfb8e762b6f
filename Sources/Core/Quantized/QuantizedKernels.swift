/// The portable kernels: what CQuant's AVX2 kernels compute, in plain Swift (for arm64 and x86-64 CPUs
/// without AVX2, and as the reference the tests compare CQuant against). Integer sums per block are exact,
/// so the two differ only in the order of the float additions.
enum QuantizedKernels {
    /// out[a · outStride + r] = dot(row r, activation row a) for r < rows, a < nx; `n` values per row.
    typealias Kernel = (_ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ n: Int, _ x: UnsafeRawPointer, _ nx: Int,
                        _ out: UnsafeMutablePointer<Float>, _ outStride: Int) -> Void

    static func kernel(_ format: QuantFormat) -> Kernel {
        switch format {
        case .q4_0: q4_0
        case .q4_1: q4_1
        case .q5_0: q5_0
        case .q8_0: q8_0
        case .q4_K: q4_K
        case .q6_K: q6_K
        case .f16: { w, rb, rows, n, x, nx, out, os in floats(w, rb, rows, n, x, nx, out, os) { loadHalf($0, 2 * $1) } }
        case .bf16: { w, rb, rows, n, x, nx, out, os in
            floats(w, rb, rows, n, x, nx, out, os) { bfloat16ToFloat($0.loadUnaligned(fromByteOffset: 2 * $1, as: UInt16.self)) } }
        case .f32: { w, rb, rows, n, x, nx, out, os in
            floats(w, rb, rows, n, x, nx, out, os) { $0.loadUnaligned(fromByteOffset: 4 * $1, as: Float.self) } }
        }
    }

    /// An activation block: its scale, the scaled sums of its two halves, its 32 codes.
    struct Block {
        let d: Float, s0: Float, s1: Float
        let q: UnsafePointer<Int16>

        @inline(__always)
        init(_ p: UnsafeRawPointer) {
            d = p.load(as: Float.self)
            s0 = p.load(fromByteOffset: 4, as: Float.self)
            s1 = p.load(fromByteOffset: 8, as: Float.self)
            q = (p + 12).assumingMemoryBound(to: Int16.self)
        }
    }

    /// Each (weight block, activation blocks) pair: `body(weight block, its first activation block) -> Float`,
    /// summed per row. A weight block of `perBlock` values spans perBlock / 32 activation blocks.
    @inline(__always)
    private static func blocks(_ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ n: Int, _ x: UnsafeRawPointer, _ nx: Int,
                               _ out: UnsafeMutablePointer<Float>, _ outStride: Int, perBlock: Int, blockBytes: Int,
                               _ body: (UnsafeRawPointer, UnsafeRawPointer) -> Float) {
        let xBlocks = n / 32, span = perBlock / 32
        for r in 0..<rows {
            for a in 0..<nx {
                var sum: Float = 0
                for b in 0..<(n / perBlock) {
                    sum += body(w + r * rowBytes + b * blockBytes, x + (a * xBlocks + b * span) * ActivationQuantizer.blockBytes)
                }
                out[a * outStride + r] = sum
            }
        }
    }

    /// Σ w(i) · q[i] over 32 values.
    @inline(__always)
    private static func dot32(_ q: UnsafePointer<Int16>, _ w: (Int) -> Int32) -> Int32 {
        var sum: Int32 = 0
        for i in 0..<32 { sum += w(i) * Int32(q[i]) }
        return sum
    }

    private static func q4_0(_ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ n: Int, _ x: UnsafeRawPointer, _ nx: Int,
                             _ out: UnsafeMutablePointer<Float>, _ outStride: Int) {
        blocks(w, rowBytes, rows, n, x, nx, out, outStride, perBlock: 32, blockBytes: 18) { blk, y in
            let a = Block(y), qs = (blk + 2).assumingMemoryBound(to: UInt8.self)
            return loadHalf(blk, 0) * a.d * Float(dot32(a.q) { Int32(($0 < 16 ? qs[$0] & 0xF : qs[$0 - 16] >> 4)) - 8 })
        }
    }

    private static func q4_1(_ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ n: Int, _ x: UnsafeRawPointer, _ nx: Int,
                             _ out: UnsafeMutablePointer<Float>, _ outStride: Int) {
        blocks(w, rowBytes, rows, n, x, nx, out, outStride, perBlock: 32, blockBytes: 20) { blk, y in
            let a = Block(y), qs = (blk + 4).assumingMemoryBound(to: UInt8.self)
            return loadHalf(blk, 0) * a.d * Float(dot32(a.q) { Int32($0 < 16 ? qs[$0] & 0xF : qs[$0 - 16] >> 4) })
                + loadHalf(blk, 2) * (a.s0 + a.s1)
        }
    }

    private static func q5_0(_ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ n: Int, _ x: UnsafeRawPointer, _ nx: Int,
                             _ out: UnsafeMutablePointer<Float>, _ outStride: Int) {
        blocks(w, rowBytes, rows, n, x, nx, out, outStride, perBlock: 32, blockBytes: 22) { blk, y in
            let a = Block(y), qh = blk.loadUnaligned(fromByteOffset: 2, as: UInt32.self), qs = (blk + 6).assumingMemoryBound(to: UInt8.self)
            return loadHalf(blk, 0) * a.d * Float(dot32(a.q) {
                Int32(($0 < 16 ? qs[$0] & 0xF : qs[$0 - 16] >> 4) | UInt8((qh >> UInt32($0)) & 1) << 4) - 16
            })
        }
    }

    private static func q8_0(_ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ n: Int, _ x: UnsafeRawPointer, _ nx: Int,
                             _ out: UnsafeMutablePointer<Float>, _ outStride: Int) {
        blocks(w, rowBytes, rows, n, x, nx, out, outStride, perBlock: 32, blockBytes: 34) { blk, y in
            let a = Block(y), qs = (blk + 2).assumingMemoryBound(to: Int8.self)
            return loadHalf(blk, 0) * a.d * Float(dot32(a.q) { Int32(qs[$0]) })
        }
    }

    /// ggml's get_scale_min_k4: the 6-bit scale and minimum of Q4_K sub-block j.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (Int32, Int32) {
        if j < 4 { return (Int32(q[j] & 63), Int32(q[j + 4] & 63)) }
        return (Int32((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4)), Int32((q[j + 4] >> 4) | ((q[j] >> 6) << 4)))
    }

    private static func q4_K(_ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ n: Int, _ x: UnsafeRawPointer, _ nx: Int,
                             _ out: UnsafeMutablePointer<Float>, _ outStride: Int) {
        blocks(w, rowBytes, rows, n, x, nx, out, outStride, perBlock: 256, blockBytes: 144) { blk, y in
            let d = loadHalf(blk, 0), dmin = loadHalf(blk, 2)
            let scales = (blk + 4).assumingMemoryBound(to: UInt8.self), qs = (blk + 16).assumingMemoryBound(to: UInt8.self)
            var sum: Float = 0
            for j in 0..<8 {
                let a = Block(y + j * ActivationQuantizer.blockBytes), (sc, m) = scaleMinK4(j, scales)
                let bytes = qs + 32 * (j / 2), high = j % 2 == 1
                sum += d * Float(sc) * a.d * Float(dot32(a.q) { Int32(high ? bytes[$0] >> 4 : bytes[$0] & 0xF) })
                    - dmin * Float(m) * (a.s0 + a.s1)
            }
            return sum
        }
    }

    private static func q6_K(_ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ n: Int, _ x: UnsafeRawPointer, _ nx: Int,
                             _ out: UnsafeMutablePointer<Float>, _ outStride: Int) {
        blocks(w, rowBytes, rows, n, x, nx, out, outStride, perBlock: 256, blockBytes: 210) { blk, y in
            let ql = blk.assumingMemoryBound(to: UInt8.self), qh = (blk + 128).assumingMemoryBound(to: UInt8.self)
            let sc = (blk + 192).assumingMemoryBound(to: Int8.self), d = loadHalf(blk, 208)
            var sum: Float = 0
            // Sub-block j = 4c + k: weights 128c + 32k + l take ql's low (k even) or high (k odd ≥ 2) nibbles and
            // qh's bits 2k, 2k+1, as in ggml's dequantize_row_q6_K.
            for j in 0..<8 {
                let c = j / 4, k = j % 4, a = Block(y + j * ActivationQuantizer.blockBytes)
                let low = ql + 64 * c + (k % 2 == 1 ? 32 : 0), h = qh + 32 * c
                var halves: (Int32, Int32) = (0, 0)
                for l in 0..<32 {
                    let nibble = k < 2 ? low[l] & 0xF : low[l] >> 4
                    let q = Int32(nibble | (((h[l] >> (2 * k)) & 3) << 4)) - 32
                    if l < 16 { halves.0 += q * Int32(a.q[l]) } else { halves.1 += q * Int32(a.q[l]) }
                }
                let s = sc + 8 * c + 2 * k
                sum += d * a.d * (Float(s[0]) * Float(halves.0) + Float(s[1]) * Float(halves.1))
            }
            return sum
        }
    }

    /// Unquantized rows against float activations; `value(row, i)` reads weight i of a row.
    @inline(__always)
    private static func floats(_ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ n: Int, _ x: UnsafeRawPointer, _ nx: Int,
                               _ out: UnsafeMutablePointer<Float>, _ outStride: Int, _ value: (UnsafeRawPointer, Int) -> Float) {
        let xf = x.assumingMemoryBound(to: Float.self)
        for r in 0..<rows {
            let row = w + r * rowBytes
            for a in 0..<nx {
                var sum: Float = 0
                for i in 0..<n { sum += value(row, i) * xf[a * n + i] }
                out[a * outStride + r] = sum
            }
        }
    }
}
