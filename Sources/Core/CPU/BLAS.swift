import COpenBLAS
import CGEMM

/// Row-major single-precision GEMM: C = alpha * op(A) op(B) + beta * C, where op(A) is M×K and op(B) is K×N.
/// Leading dimensions default to the packed row lengths. `parallel: false` keeps the call on the current thread
/// (for callers that already split their work across threads). `precision` bf16 rounds both operands to
/// bfloat16 and sums the products in Float32.
///
/// Products run remask's own kernels (`GEMMKernels`: AVX-512, AVX2 or NEON, chosen from the CPU at run time);
/// OpenBLAS runs where none applies and for Float32 products with fewer than 16 rows or columns (decoding, where
/// packing a whole weight matrix for one row would cost more than the product). Both run single-threaded per
/// call; remask splits C across its own worker threads (on small machines OpenBLAS's idle workers spin between
/// calls and take the core from the next kernel).
public enum BLAS {
    public static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
                            b: UnsafePointer<Float>, ldb: Int? = nil,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil, parallel: Bool = true,
                            precision: Precision = .fp32) {
        if m == 0 || n == 0 { return }
        let ldc = ldc ?? n
        if k == 0 {
            for i in 0..<m { scaleOrZero(c + i * ldc, n, beta) }
            return
        }
        let lda = lda ?? (transA ? m : k)
        let ldb = ldb ?? (transB ? k : n)
        let family = GEMMKernels.active
        if family != .openblas && (precision == .bf16 || min(m, n) >= 16) {
            return ownGEMM(family, bf16: precision == .bf16, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                           a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, parallel: parallel)
        }
        if precision == .bf16 {
            return roundedGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                               beta: beta, c: c, ldc: ldc, parallel: parallel)
        }
        openBLAS(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                 beta: beta, c: c, ldc: ldc, parallel: parallel)
    }

    /// CGEMM, C split across the workers by whole register tiles along its longer side (each element's
    /// arithmetic is the same whichever way C is split, so results do not depend on the thread count).
    private static func ownGEMM(_ family: GEMMKernels.Family, bf16: Bool, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool) {
        let tile = GEMMKernels.tile
        let byRows = m >= n
        let step = byRows ? tile.rows : tile.cols, extent = byRows ? m : n
        let tiles = (extent + step - 1) / step
        // Below ~1 MFLOP per chunk the hand-off to a worker costs more than it saves.
        let minTiles = max(1, (1 << 20) / max(1, 2 * step * (byRows ? n : m) * k))
        let rowStep = transA ? 1 : lda, colStep = transB ? ldb : 1
        let dot: Int32 = GEMMKernels.useBF16Dot ? 1 : 0
        withoutActuallyEscaping({ (r: Range<Int>) in
            let lo = r.lowerBound * step, hi = min(extent, r.upperBound * step)
            let rc: Int32
            if byRows {
                rc = rg_gemm(family.code, bf16 ? 1 : 0, dot, transA ? 1 : 0, transB ? 1 : 0, Int32(hi - lo), Int32(n), Int32(k),
                             alpha, a + lo * rowStep, lda, b, ldb, beta, c + lo * ldc, ldc)
            } else {
                rc = rg_gemm(family.code, bf16 ? 1 : 0, dot, transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(hi - lo), Int32(k),
                             alpha, a, lda, b + lo * colStep, ldb, beta, c + lo, ldc)
            }
            check(rc == 0, "GEMM: the \(family.rawValue) kernels could not run (no memory for their packing buffers)")
        }) { body in
            if parallel { Parallel.forChunks(tiles, minChunk: minTiles, body) } else { body(0..<tiles) }
        }
    }

    /// bf16 where no own kernel runs: the operands rounded to bfloat16 into Float32 copies, then OpenBLAS.
    private static func roundedGEMM(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool) {
        let aRows = transA ? k : m, bRows = transB ? n : k
        let ra = roundedCopy(a, rows: aRows, cols: transA ? m : k, ld: lda)
        let rb = roundedCopy(b, rows: bRows, cols: transB ? k : n, ld: ldb)
        defer { ra.deallocate(); rb.deallocate() }
        openBLAS(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ra, lda: transA ? m : k, b: rb,
                 ldb: transB ? k : n, beta: beta, c: c, ldc: ldc, parallel: parallel)
    }

    private static func roundedCopy(_ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int) -> UnsafeMutablePointer<Float> {
        let out = UnsafeMutablePointer<Float>.allocate(capacity: rows * cols)
        for i in 0..<rows {
            for j in 0..<cols { out[i * cols + j] = bfloat16ToFloat(floatToBFloat16(x[i * ld + j])) }
        }
        return out
    }

    private static func openBLAS(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool) {
        // Split the rows of C across workers; with few rows (decoding one token), split its columns instead.
        // Rows of op(A) are rows of A (columns when transposed); columns of op(B) are columns of B (rows when
        // transposed).
        let rowStep = transA ? 1 : lda, colStep = transB ? ldb : 1
        let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
        if m < 32 && n >= 256 {
            withoutActuallyEscaping({ (r: Range<Int>) in
                cblas_sgemm(CblasRowMajor, ta, tb, blasint(m), blasint(r.count), blasint(k), alpha, a, blasint(lda),
                            b + r.lowerBound * colStep, blasint(ldb), beta, c + r.lowerBound, blasint(ldc))
            }) { body in
                if parallel { Parallel.forChunks(n, minChunk: 128, body) } else { body(0..<n) }
            }
            return
        }
        let minRows = max(16, (1 << 21) / max(1, n * k))
        withoutActuallyEscaping({ (r: Range<Int>) in
            cblas_sgemm(CblasRowMajor, ta, tb, blasint(r.count), blasint(n), blasint(k), alpha, a + r.lowerBound * rowStep,
                        blasint(lda), b, blasint(ldb), beta, c + r.lowerBound * ldc, blasint(ldc))
        }) { body in
            if parallel { Parallel.forChunks(m, minChunk: minRows, body) } else { body(0..<m) }
        }
    }

    private static func scaleOrZero(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ beta: Float) {
        if beta == 0 { p.update(repeating: 0, count: n) } else { scaleInPlace(p, n, beta) }
    }
}
