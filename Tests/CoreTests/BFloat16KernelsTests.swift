import XCTest
@testable import Core

/// CQuant's AVX512-BF16 kernels against the Swift loops they stand in for: the same rounding, the same panel
/// bytes, the same sums up to float rounding, on shapes with every remainder (rows not a multiple of six,
/// activation rows not a multiple of 16, pairs of columns not a multiple of 16).
final class BFloat16KernelsTests: XCTestCase {
    func run<T>(c: Bool, _ body: () -> T) -> T {
        let saved = BFloat16Kernels.useCKernels
        BFloat16Kernels.useCKernels = c
        defer { BFloat16Kernels.useCKernels = saved }
        return body()
    }

    func testCQuantAgreesWithTheSwiftLoops() throws {
        try XCTSkipUnless(BFloat16Kernels.hasAVX512BF16, "this CPU has no AVX512-BF16")
        var rng = SeededRandom(seed: 3)
        for (rows, count, n) in [(1, 1, 2), (7, 17, 38), (13, 70, 64), (6, 16, 290)] {
            let w = (0..<(rows * n)).map { _ in Float(rng.nextInt(in: -100_000...100_000)) / 30_000 }
            let x = (0..<(count * (n + 3))).map { _ in Float(rng.nextInt(in: -100_000...100_000)) / 70_000 }
            let words = BFloat16Kernels.panelWords(rows: count, n: n)
            func results(c: Bool) -> (rounded: [UInt16], panel: [UInt32], out: [Float]) {
                run(c: c) {
                    var rounded = [UInt16](repeating: 0, count: rows * n), panel = [UInt32](repeating: 0xDEAD, count: words)
                    var out = [Float](repeating: .nan, count: count * (rows + 1))
                    w.withUnsafeBufferPointer { BFloat16Kernels.round($0.baseAddress!, count: rows * n, into: &rounded) }
                    x.withUnsafeBufferPointer { BFloat16Kernels.pack($0.baseAddress!, stride: n + 3, count: count, n: n, into: &panel) }
                    BFloat16Kernels.multiply(rounded, wStride: n, rows: rows, n: n, panel: panel, count: count, into: &out, outStride: rows + 1)
                    return (rounded, panel, out)
                }
            }
            let swift = results(c: false), cquant = results(c: true)
            XCTAssertEqual(cquant.rounded, swift.rounded, "rounding, \(rows)×\(n)")
            XCTAssertEqual(cquant.panel, swift.panel, "panel, \(count)×\(n)")
            for a in 0..<count {
                for r in 0..<rows {
                    let i = a * (rows + 1) + r
                    XCTAssertEqual(cquant.out[i], swift.out[i], accuracy: 1e-5 * max(1, abs(swift.out[i])), "\(rows)×\(count)×\(n): \(a), \(r)")
                }
                XCTAssertTrue(swift.out[a * (rows + 1) + rows].isNaN && cquant.out[a * (rows + 1) + rows].isNaN, "writes only its outputs")
            }
        }
    }

    func testRoundingIsToNearestEven() {
        for c in [false, true] where !c || BFloat16Kernels.hasAVX512BF16 {
            // 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷: it goes to the even one (1); 1 + 3·2⁻⁸ goes up to 1 + 2⁻⁶.
            let x: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8, -2.5, 1e30]
            var y = [UInt16](repeating: 0, count: x.count)
            run(c: c) { x.withUnsafeBufferPointer { BFloat16Kernels.round($0.baseAddress!, count: x.count, into: &y) } }
            XCTAssertEqual(y.map(bfloat16ToFloat), [1, 1 + 0x1p-6, -2.5, bfloat16ToFloat(floatToBFloat16(1e30))], "C kernels: \(c)")
        }
    }
}
