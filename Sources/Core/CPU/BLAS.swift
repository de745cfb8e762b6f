import COpenBLAS

/// Row-major single-precision GEMM through OpenBLAS: C = alpha * op(A) op(B) + beta * C, where op(A) is
/// M×K and op(B) is K×N. Leading dimensions default to the packed row lengths.
public enum BLAS {
    public static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
                            b: UnsafePointer<Float>, ldb: Int? = nil,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m { scaleOrZero(c + i * (ldc ?? n), n, beta) }
            return
        }
        let lda = lda ?? (transA ? m : k)
        let ldb = ldb ?? (transB ? k : n)
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc ?? n))
    }

    private static func scaleOrZero(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ beta: Float) {
        if beta == 0 { p.update(repeating: 0, count: n) } else { scaleInPlace(p, n, beta) }
    }
}
