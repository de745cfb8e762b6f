import XCTest
@testable import Core
@testable import Models

/// The quantized-weight kernels against a Float64 reference computed from the dequantized weights and the
/// dequantized 16-bit activations (what the kernels multiply), for every storage format: the portable Swift
/// kernels, and CQuant's AVX2 kernels where this CPU has AVX2.
final class QuantizedMatMulTests: XCTestCase {
    /// Random blocks whose scale fields are sane f16 values (random bytes elsewhere are valid codes).
    static func randomRows(_ format: QuantFormat, rows: Int, columns: Int, _ rng: inout SeededRandom) -> [UInt8] {
        let blocks = rows * columns / format.blockElements
        var bytes = (0..<(blocks * format.blockBytes)).map { _ in UInt8(truncatingIfNeeded: rng.nextInt(in: 0...255)) }
        func half(_ at: Int, _ value: Float) {
            let h = floatToHalf(value)
            bytes[at] = UInt8(h & 0xFF)
            bytes[at + 1] = UInt8(h >> 8)
        }
        for b in 0..<blocks {
            let o = b * format.blockBytes
            let scale = Float(rng.nextInt(in: 1...99)) / 1000
            switch format {
            case .q4_0, .q8_0, .q5_0: half(o, scale)
            case .q4_1: half(o, scale); half(o + 2, -scale * 8)
            case .q4_K: half(o, scale / 10); half(o + 2, scale / 20)
            case .q6_K: half(o + 208, scale / 10)
            case .f16: half(o, scale - 0.05)
            case .bf16: let v = floatToBFloat16(scale - 0.05); bytes[o] = UInt8(v & 0xFF); bytes[o + 1] = UInt8(v >> 8)
            case .f32: withUnsafeBytes(of: scale - 0.05) { for i in 0..<4 { bytes[o + i] = $0[i] } }
            }
        }
        return bytes
    }

    /// The activations as the kernels see them: quantized to 16-bit blocks then dequantized.
    static func seenActivations(_ x: [Float], count: Int, n: Int, format: ActivationFormat) -> [Double] {
        let rowBytes = format.rowBytes(n)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: count * rowBytes, alignment: 64)
        defer { buffer.deallocate() }
        x.withUnsafeBufferPointer { ActivationQuantizer.rows($0.baseAddress!, count: count, n: n, stride: n, format: format, into: buffer) }
        var out: [Double] = []
        for a in 0..<count {
            let row = buffer + a * rowBytes
            for i in 0..<n {
                switch format {
                case .float: out.append(Double(x[a * n + i]))
                case .q16:
                    let block = row + (i / 32) * ActivationQuantizer.blockBytes
                    out.append(Double(block.load(as: Float.self)) * Double(block.load(fromByteOffset: 12 + 2 * (i % 32), as: Int16.self)))
                }
            }
        }
        return out
    }

    func testEveryFormatMatchesTheDequantizedProductInBothKernels() throws {
        var rng = SeededRandom(seed: 7)
        let rows = 7, n = 512
        // One activation row takes the decoding loops (weight rows in pairs, then the odd one), five the tiled ones.
        for (count, format) in [1, 5].flatMap({ c in QuantFormat.allCases.map { (c, $0) } }) {
            let bytes = Self.randomRows(format, rows: rows, columns: n, &rng)
            let x = (0..<(count * n)).map { _ in Float(rng.nextInt(in: -1000...1000)) / 250 }
            var weights = [Float](repeating: 0, count: rows * n)
            bytes.withUnsafeBytes { b in
                weights.withUnsafeMutableBufferPointer { Dequantizer.run(GGMLType(format), from: b, into: $0.baseAddress!, count: rows * n) }
            }
            let seen = Self.seenActivations(x, count: count, n: n, format: format.activation)
            var want = [Double](repeating: 0, count: count * rows), scale = [Double](repeating: 0, count: count * rows)
            for a in 0..<count {
                for r in 0..<rows {
                    for i in 0..<n {
                        want[a * rows + r] += Double(weights[r * n + i]) * seen[a * n + i]
                        scale[a * rows + r] += abs(Double(weights[r * n + i]) * seen[a * n + i])
                    }
                }
            }
            // The portable Swift kernels, CQuant's AVX2 loops and, where the CPU has it, its AVX-512 decoding loops.
            var variants: [(name: String, c: Bool, avx512: Bool)] = [("Swift", false, false)]
            if QuantizedMatMul.useCKernels { variants.append(("CQuant AVX2", true, false)) }
            if QuantizedMatMul.useCKernels && QuantizedMatMul.hasAVX512 { variants.append(("CQuant AVX-512", true, true)) }
            for variant in variants {
                let saved = (QuantizedMatMul.useCKernels, QuantizedMatMul.useAVX512)
                QuantizedMatMul.useCKernels = variant.c
                QuantizedMatMul.useAVX512 = variant.avx512
                defer { (QuantizedMatMul.useCKernels, QuantizedMatMul.useAVX512) = saved }
                var got = [Float](repeating: .nan, count: count * rows)
                bytes.withUnsafeBytes { b in
                    let m = QuantizedMatrix(format: format, rows: rows, columns: n, bytes: b.baseAddress!, owner: nil)
                    x.withUnsafeBufferPointer { xp in
                        got.withUnsafeMutableBufferPointer {
                            QuantizedMatMul.multiply(xp.baseAddress!, count: count, columns: n, xStride: n, by: [m],
                                                     into: $0.baseAddress!, outStride: rows, scratch: QuantizedScratch())
                        }
                    }
                }
                for i in 0..<(count * rows) {
                    XCTAssertEqual(Double(got[i]), want[i], accuracy: 1e-5 * scale[i] + 1e-6,
                                   "\(format) \(variant.name) kernel, \(count) rows, output \(i)")
                }
            }
        }
    }

    /// From `blasRows` activation rows on, tiles are dequantized and multiplied in Float32 by OpenBLAS, or with
    /// `precision: .bf16` in bfloat16 (CQuant's AVX512-BF16 kernel where the CPU has it, and the Swift loops),
    /// against a Float64 product of the operands rounded as each path rounds them.
    func testManyRowsTakeTheDequantizedPathsWithTheSameProducts() {
        var rng = SeededRandom(seed: 11)
        let rows = 45, n = 256
        var variants: [(precision: Precision, c: Bool)] = [(.fp32, false), (.bf16, false)]
        if BFloat16Kernels.hasAVX512BF16 { variants.append((.bf16, true)) }
        for format in QuantFormat.allCases {
            let bytes = Self.randomRows(format, rows: rows, columns: n, &rng)
            var weights = [Float](repeating: 0, count: rows * n)
            bytes.withUnsafeBytes { b in
                weights.withUnsafeMutableBufferPointer { Dequantizer.run(GGMLType(format), from: b, into: $0.baseAddress!, count: rows * n) }
            }
            // 15 rows fill one group of 16 in part; 70 take a group of four, then one of one.
            for count in [QuantizedMatMul.blasRows + 3, 70] {
                let x = (0..<(count * n)).map { _ in Float(rng.nextInt(in: -1000...1000)) / 250 }
                for variant in variants {
                    let saved = BFloat16Kernels.useCKernels
                    BFloat16Kernels.useCKernels = variant.c
                    defer { BFloat16Kernels.useCKernels = saved }
                    var got = [Float](repeating: .nan, count: count * rows)
                    bytes.withUnsafeBytes { b in
                        // Two matrices side by side (20 + 25 rows), so that a tile spans both.
                        let kernel = Dequantizer.kernel(for: GGMLType(format))!
                        let parts = [0..<20, 20..<rows].map { part in
                            let m = QuantizedMatrix(format: format, rows: part.count, columns: n) { b.baseAddress! + (part.lowerBound + $0) * b.count / rows }
                            m.dequantize = { kernel($0, $1, $2) }
                            return m
                        }
                        x.withUnsafeBufferPointer { xp in
                            got.withUnsafeMutableBufferPointer {
                                QuantizedMatMul.multiply(xp.baseAddress!, count: count, columns: n, xStride: n, by: parts,
                                                         into: $0.baseAddress!, outStride: rows, scratch: QuantizedScratch(),
                                                         precision: variant.precision)
                            }
                        }
                    }
                    let round: (Float) -> Double = variant.precision == .bf16 ? { Double(bfloat16ToFloat(floatToBFloat16($0))) } : { Double($0) }
                    for a in 0..<count {
                        for r in 0..<rows {
                            var want = 0.0, scale = 0.0
                            for i in 0..<n {
                                want += round(weights[r * n + i]) * round(x[a * n + i])
                                scale += abs(round(weights[r * n + i]) * round(x[a * n + i]))
                            }
                            XCTAssertEqual(Double(got[a * rows + r]), want, accuracy: 1e-5 * scale + 1e-6,
                                           "\(format) \(variant), \(count) rows: row \(a), output \(r)")
                        }
                    }
                }
            }
        }
    }

    func testSeveralMatricesShareOneCallAtTheirOffsets() {
        var rng = SeededRandom(seed: 3)
        let n = 256, count = 3
        let formats: [QuantFormat] = [.q4_1, .q6_K, .q8_0]
        let rowsOf = [40, 24, 33]
        let storage = zip(formats, rowsOf).map { Self.randomRows($0, rows: $1, columns: n, &rng) }
        let x = (0..<(count * n)).map { _ in Float(rng.nextInt(in: -100...100)) / 50 }
        let total = rowsOf.reduce(0, +)
        func product(_ matrices: [Int]) -> [Float] {
            let width = matrices.reduce(0) { $0 + rowsOf[$1] }
            var out = [Float](repeating: 0, count: count * width)
            let views = matrices.map { j in
                storage[j].withUnsafeBytes { b in
                    QuantizedMatrix(format: formats[j], rows: rowsOf[j], columns: n) { b.baseAddress! + $0 * b.count / rowsOf[j] }
                }
            }
            x.withUnsafeBufferPointer { xp in
                out.withUnsafeMutableBufferPointer {
                    QuantizedMatMul.multiply(xp.baseAddress!, count: count, columns: n, xStride: n, by: views,
                                             into: $0.baseAddress!, outStride: width, scratch: QuantizedScratch())
                }
            }
            return out
        }
        let together = product([0, 1, 2])
        var offset = 0
        for j in 0..<3 {
            let alone = product([j])
            for a in 0..<count {
                XCTAssertEqual(Array(together[(a * total + offset)..<(a * total + offset + rowsOf[j])]),
                               Array(alone[(a * rowsOf[j])..<((a + 1) * rowsOf[j])]), "matrix \(j), row \(a)")
            }
            offset += rowsOf[j]
        }
    }
}
