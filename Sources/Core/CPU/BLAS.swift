import COpenBLAS

/// Row-major single-precision GEMM through OpenBLAS: C = alpha * op(A) op(B) + beta * C, where op(A) is
/// M×K and op(B) is K×N. Leading dimensions default to the packed row lengths. `parallel: false` keeps the
/// call on the current thread (for callers that already split their work across threads).
///
/// OpenBLAS runs single-threaded; remask splits the rows of C across its own worker threads instead. On
/// small machines OpenBLAS's idle workers spin between calls and take the core from the next kernel.
public enum BLAS {
    public static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
                            b: UnsafePointer<Float>, ldb: Int? = nil,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil, parallel: Bool = true) {
        if m == 0 || n == 0 { return }
        let ldc = ldc ?? n
        if k == 0 {
            for i in 0..<m { scaleOrZero(c + i * ldc, n, beta) }
            return
        }
        let lda = lda ?? (transA ? m : k)
        let ldb = ldb ?? (transB ? k : n)
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
