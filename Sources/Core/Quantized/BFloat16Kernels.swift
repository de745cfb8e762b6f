import CQuant

/// The `--precision bf16` products: operands rounded to bfloat16 (nearest even), products summed in Float32,
/// the activations in CQuant's panel layout (`cq_bf16_panel`: groups of 16 rows, each pair of columns of the
/// 16 rows side by side). CQuant's AVX512-BF16 kernels run where the CPU has them; elsewhere these Swift
/// loops compute the same sums in the same order (vdpbf16ps adds a pair's odd product, then its even one),
/// slower than Float32 but with the same numbers.
public enum BFloat16Kernels {
    /// Whether CQuant's AVX512-BF16 kernels run; false runs the Swift loops below.
    nonisolated(unsafe) public static var useCKernels: Bool = cq_has_avx512bf16() != 0

    /// Whether this CPU has AVX512-BF16.
    public static var hasAVX512BF16: Bool { cq_has_avx512bf16() != 0 }

    /// UInt32 words of the panel for `rows` activation rows of `n` (even) columns.
    public static func panelWords(rows: Int, n: Int) -> Int { (rows + 15) / 16 * 16 * n / 2 }

    /// Rounds `count` floats to bfloat16.
    public static func round(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<UInt16>) {
        if useCKernels { return cq_bf16_round(x, count, y) }
        for i in 0..<count { y[i] = floatToBFloat16(x[i]) }
    }

    /// Packs `count` activation rows (`n` columns, `stride` apart) into `panel` (`panelWords` words).
    public static func pack(_ x: UnsafePointer<Float>, stride: Int, count: Int, n: Int, into panel: UnsafeMutablePointer<UInt32>) {
        if useCKernels { return cq_bf16_panel(x, stride, Int32(count), Int32(n), panel) }
        let pairs = n / 2
        for a in 0..<((count + 15) / 16 * 16) {
            let column = panel + (a / 16) * pairs * 16 + a % 16
            for p in 0..<pairs {
                column[p * 16] = a < count
                    ? UInt32(floatToBFloat16(x[a * stride + 2 * p])) | UInt32(floatToBFloat16(x[a * stride + 2 * p + 1])) << 16 : 0
            }
        }
    }

    /// `body(panel)` with `count` rows of `x` packed into a panel allocated for the call.
    public static func withPanel(_ x: UnsafePointer<Float>, stride: Int, count: Int, n: Int,
                                 _ body: (UnsafePointer<UInt32>) -> Void) {
        let panel = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, panelWords(rows: count, n: n)))
        defer { panel.deallocate() }
        pack(x, stride: stride, count: count, n: n, into: panel)
        body(UnsafePointer(panel))
    }

    /// out[a · outStride + r] = Σ_k x[a][k] · w[r][k] for r < rows, a < count: bf16 weight rows (`n` values,
    /// `wStride` apart) against a panel of `count` activation rows.
    public static func multiply(_ w: UnsafePointer<UInt16>, wStride: Int, rows: Int, n: Int, panel: UnsafePointer<UInt32>,
                                count: Int, into out: UnsafeMutablePointer<Float>, outStride: Int) {
        if useCKernels {
            return cq_gemm_bf16_panel(w, wStride, Int32(rows), Int32(n), panel, Int32(count), out, outStride)
        }
        let pairs = n / 2
        for a in 0..<count {
            let column = panel + (a / 16) * pairs * 16 + a % 16
            for r in 0..<rows {
                let row = w + r * wStride
                var sum: Float = 0
                for p in 0..<pairs {
                    let x = column[p * 16]
                    sum += bfloat16ToFloat(UInt16(truncatingIfNeeded: x >> 16)) * bfloat16ToFloat(row[2 * p + 1])
                    sum += bfloat16ToFloat(UInt16(truncatingIfNeeded: x)) * bfloat16ToFloat(row[2 * p])
                }
                out[a * outStride + r] = sum
            }
        }
    }
}
