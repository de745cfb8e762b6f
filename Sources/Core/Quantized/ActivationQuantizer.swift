/// Quantizes activation rows into CQuant's `cq_block_q16` layout: per block of 32, d = max|x| / 32767 and
/// q = round(x / d) (to nearest, ties away from zero), with s[h] = d · Σ q over each half of 16 (the kernels
/// need those sums for the formats with a minimum or an offset).
enum ActivationQuantizer {
    /// { Float d, Float s[2], Int16 q[32] }.
    static let blockBytes = 76

    /// `n` values (a multiple of 32) → n / 32 blocks.
    static func q16(_ x: UnsafePointer<Float>, _ n: Int, into y: UnsafeMutableRawPointer) {
        for b in 0..<(n / 32) {
            let src = x + 32 * b, dst = y + blockBytes * b
            var amax: Float = 0
            for i in 0..<32 { amax = max(amax, abs(src[i])) }
            let d = amax / 32767
            let id: Float = d > 0 ? 1 / d : 0
            let q = (dst + 12).assumingMemoryBound(to: Int16.self)
            var sums = (0, 0)
            for i in 0..<32 {
                let v = Int16(max(-32767, min(32767, (src[i] * id).rounded())))
                q[i] = v
                if i < 16 { sums.0 += Int(v) } else { sums.1 += Int(v) }
            }
            dst.storeBytes(of: d, as: Float.self)
            dst.storeBytes(of: d * Float(sums.0), toByteOffset: 4, as: Float.self)
            dst.storeBytes(of: d * Float(sums.1), toByteOffset: 8, as: Float.self)
        }
    }

    /// Rows of `n` floats, `count` of them, `stride` apart, into consecutive rows of `format`.
    static func rows(_ x: UnsafePointer<Float>, count: Int, n: Int, stride: Int, format: ActivationFormat,
                     into y: UnsafeMutableRawPointer) {
        let rowBytes = format.rowBytes(n)
        for r in 0..<count {
            switch format {
            case .float: (y + r * rowBytes).copyMemory(from: x + r * stride, byteCount: rowBytes)
            case .q16: q16(x + r * stride, n, into: y + r * rowBytes)
            }
        }
    }
}
