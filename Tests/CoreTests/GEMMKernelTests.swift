import XCTest
@testable import Core

/// remask's own GEMM kernels (CGEMM) against OpenBLAS, every family this CPU runs (so the AVX2 path is tested on
/// an AVX-512 machine too), and the bf16 products against the Swift fallback (rounded operands, OpenBLAS).
final class GEMMKernelTests: XCTestCase {
    // The kernels the process chose (REMASK_GEMM may force a family for the whole suite), restored after each test.
    private var savedFamily = GEMMKernels.active, savedDot = GEMMKernels.useBF16Dot

    override func setUp() {
        super.setUp()
        savedFamily = GEMMKernels.active
        savedDot = GEMMKernels.useBF16Dot
    }

    override func tearDown() {
        GEMMKernels.active = savedFamily
        GEMMKernels.useBF16Dot = savedDot
        super.tearDown()
    }

    /// The own families this machine runs (AVX-512 and AVX2 on an AVX-512 x86 machine, NEON on arm64).
    private var ownFamilies: [GEMMKernels.Family] {
        GEMMKernels.Family.allCases.filter { $0 != .openblas && $0.isSupported }
    }

    private struct Case {
        var transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float
    }

    /// Shapes around the tile sizes (6/8 rows, 16/32 columns), the packing blocks (8-sliver A blocks, 256/512-deep
    /// slices, 512-column B blocks, C wider than a block on each thread: op(A) packed again per block) and odd k
    /// (bf16 pairs), every transpose combination.
    private var cases: [Case] {
        var out: [Case] = []
        let shapes = [(1, 1, 1), (5, 17, 3), (8, 32, 16), (9, 33, 17), (16, 16, 600), (70, 45, 257), (130, 530, 300),
                      (64, 640, 1031), (300, 20, 64), (40, 2000, 576)]
        for (i, (m, n, k)) in shapes.enumerated() {
            for t in 0..<4 {
                out.append(Case(transA: t & 1 == 1, transB: t & 2 == 2, m: m, n: n, k: k,
                                alpha: i % 2 == 0 ? 1 : 0.5, beta: [0, 1, 0.25][(i + t) % 3]))
            }
        }
        return out
    }

    /// C for one case under the active family; C starts as NaN where beta is 0 (which must never be read).
    private func run(_ c: Case, precision: Precision = .fp32, parallel: Bool = true, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        let a = (0..<(c.m * c.k)).map { _ in rng.nextFloat() * 2 - 1 }
        let b = (0..<(c.k * c.n)).map { _ in rng.nextFloat() * 2 - 1 }
        var out = (0..<(c.m * c.n)).map { _ in c.beta == 0 ? Float.nan : rng.nextFloat() * 2 - 1 }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: pa.baseAddress!,
                              b: pb.baseAddress!, beta: c.beta, c: pc.baseAddress!, parallel: parallel, precision: precision)
                }
            }
        }
        return out
    }

    private func assertClose(_ x: [Float], _ y: [Float], tolerance: Float, _ what: String) {
        XCTAssertEqual(x.count, y.count)
        var worst: Float = 0
        for (u, v) in zip(x, y) {
            XCTAssertFalse(u.isNaN, "\(what): NaN (C read where beta is 0?)")
            worst = max(worst, abs(u - v) / max(1, abs(v)))
        }
        XCTAssertLessThanOrEqual(worst, tolerance, what)
    }

    func testEveryOwnFamilyMatchesOpenBLAS() throws {
        if ownFamilies.isEmpty { throw XCTSkip("no own GEMM kernels for this CPU") }
        for (i, c) in cases.enumerated() {
            GEMMKernels.active = .openblas
            let reference = run(c, seed: UInt64(i))
            for family in ownFamilies {
                GEMMKernels.active = family
                assertClose(run(c, seed: UInt64(i)), reference, tolerance: 2e-6 * Float(c.k).squareRoot(),
                            "\(family) \(c)")
            }
        }
    }

    func testTheForcedAVX2PathIsTakenAndAgreesWithAVX512() throws {
        guard GEMMKernels.Family.avx2.isSupported, GEMMKernels.Family.avx512.isSupported else {
            throw XCTSkip("needs a CPU with both AVX2 and AVX-512")
        }
        GEMMKernels.active = .avx2
        XCTAssertEqual(GEMMKernels.tile.rows, 6, "the AVX2 family's 6×16 tile")
        let c = Case(transA: false, transB: true, m: 100, n: 200, k: 700, alpha: 0.5, beta: 0.25)
        let avx2 = run(c, seed: 7)
        GEMMKernels.active = .avx512
        XCTAssertEqual(GEMMKernels.tile.rows, 8)
        // Both sum each element over k in the same order, with the same fused multiply-adds: the same bits.
        XCTAssertEqual(avx2, run(c, seed: 7), "AVX2 vs AVX-512")
    }

    /// bf16 through every own family, with and without the dot-product instruction, against the Swift fallback:
    /// operands rounded to bfloat16 into Float32 copies, then OpenBLAS. Only the order of the Float32 sums differs.
    func testBF16ProductsMatchTheRoundedOperandFallback() throws {
        if ownFamilies.isEmpty { throw XCTSkip("no own GEMM kernels for this CPU") }
        for (i, c) in cases.enumerated() {
            GEMMKernels.active = .openblas
            let fallback = run(c, precision: .bf16, seed: UInt64(100 + i))
            let fp32 = run(c, seed: UInt64(100 + i))
            for family in ownFamilies {
                GEMMKernels.active = family
                for dot in GEMMKernels.hasBF16Dot && family == .avx512 ? [true, false] : [false] {
                    GEMMKernels.useBF16Dot = dot
                    let own = run(c, precision: .bf16, seed: UInt64(100 + i))
                    assertClose(own, fallback, tolerance: 2e-6 * Float(c.k).squareRoot(), "bf16 \(family) dot \(dot) \(c)")
                }
            }
            // And bf16 is really rounding: for a long enough sum it differs from Float32, by about 2⁻⁸ relative.
            if c.k >= 64 {
                let diff = zip(run(c, precision: .bf16, seed: UInt64(100 + i)), fp32).map { abs($0 - $1) }.max() ?? 0
                XCTAssertGreaterThan(diff, 0, "bf16 equals Float32 on \(c)")
                assertClose(fallback, fp32, tolerance: 0.02 * Float(c.k).squareRoot(), "bf16 vs fp32 \(c)")
            }
        }
    }

    /// Each element's sums are the same however C is split across threads.
    func testResultsDoNotDependOnTheThreadSplit() throws {
        let c = Case(transA: true, transB: false, m: 333, n: 700, k: 513, alpha: 1, beta: 0.5)
        for precision in [Precision.fp32, .bf16] {
            XCTAssertEqual(run(c, precision: precision, parallel: true, seed: 3),
                           run(c, precision: precision, parallel: false, seed: 3), "\(precision)")
        }
    }

    /// `linear` under bf16: output and both gradients within bfloat16 rounding of Float32's, and not equal to them.
    func testLinearUnderBF16StaysCloseToFloat32() {
        var rng = SeededRandom(seed: 11)
        let x = Tensor.randn([48, 96], rng: &rng, requiresGrad: true)
        let w = Tensor.randn([80, 96], std: 0.1, rng: &rng, requiresGrad: true)
        assertBF16CloseToFloat32([x, w]) { x.linear(w) }
    }

    /// Attention's products under bf16 (forward, and backward in forward's precision): output and the QKV gradient
    /// within bfloat16 rounding of Float32's, and not equal to them.
    func testAttentionUnderBF16StaysCloseToFloat32() {
        var rng = SeededRandom(seed: 12)
        let s = AttentionShape(batch: 2, length: 70, heads: 4, kvHeads: 2, headDim: 16)
        let qkv = Tensor.randn([s.batch * s.length, s.qkvWidth], rng: &rng, requiresGrad: true)
        assertBF16CloseToFloat32([qkv]) { qkv.causalSelfAttention(s) }
    }

    /// Runs `body` and backward from a seed of ones in Float32 and in bf16; the output and each input's gradient
    /// must differ (bf16 applied) by less than 1% of the Float32 values' largest magnitude.
    private func assertBF16CloseToFloat32(_ inputs: [Tensor], _ body: () -> Tensor, line: UInt = #line) {
        func pass(_ p: Precision) -> [[Float]] {
            for x in inputs { x.grad = nil }
            let y = Tensor.withTrainingPrecision(p) { body() }
            y.backward(seed: Tensor.full(y.shape, 1))  // outside the scope: backward keeps forward's precision
            return [y.values] + inputs.map { $0.grad!.values }
        }
        let fp32 = pass(.fp32), bf16 = pass(.bf16)
        XCTAssertEqual(Tensor.trainingPrecision, .fp32, "restored after the scope", line: line)
        for (i, (a, b)) in zip(bf16, fp32).enumerated() {
            let name = i == 0 ? "output" : "gradient of input \(i - 1)"
            let scale = b.map(abs).max()!
            let worst = zip(a, b).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 0.01 * scale, name, line: line)
            XCTAssertGreaterThan(worst, 0, "\(name): bf16 did not apply", line: line)
        }
    }

    func testKernelPeakIsMeasuredForOwnFamilies() throws {
        if ownFamilies.isEmpty { throw XCTSkip("no own GEMM kernels for this CPU") }
        let peak = try XCTUnwrap(GEMMKernels.kernelPeakGFLOPS(bf16: false, seconds: 0.02))
        XCTAssertGreaterThan(peak, 1)
    }
}
