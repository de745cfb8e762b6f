import Core
import Foundation
import Models
import XCTest

/// Hand-built blocks, with expected values computed from the format's definition in the test itself.
final class GGUFDequantizationTests: XCTestCase {
    private func half(_ x: Float) -> [UInt8] {
        let bits = Float16(x).bitPattern
        return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
    }

    private func load(type: UInt32, dims: [UInt64], data: [UInt8]) throws -> Tensor {
        var file = GGUFTestFile()
        file.addTensor("t", dims: dims, type: type, data: data)
        return try GGUFFile(data: file.data, name: "test.gguf").tensor("t")
    }

    func testF32ShapeIsRowMajorWithTheInnermostDimensionLast() throws {
        var data: [UInt8] = []
        for v in 0..<6 { data.appendLE(Float(v).bitPattern) }
        let t = try load(type: 0, dims: [3, 2], data: data)
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.values, [0, 1, 2, 3, 4, 5])
    }

    func testF16AndBF16() throws {
        let values: [Float] = [0, 1, -2.5, 65504, 0.000_061_035_156]
        var f16: [UInt8] = [], bf16: [UInt8] = []
        for v in values {
            f16 += half(v)
            bf16.appendLE(UInt16(v.bitPattern >> 16))  // these values are exact in bfloat16's top half
        }
        XCTAssertEqual(try load(type: 1, dims: [5], data: f16).values, values)
        XCTAssertEqual(try load(type: 30, dims: [5], data: bf16).values, [0, 1, -2.5, 65280, 0.000_061_035_156])
    }

    func testQ4_0() throws {
        // Two rows of one block each: y[j] = (low nibble - 8)·d, y[j+16] = (high nibble - 8)·d.
        var data: [UInt8] = []
        var expected: [Float] = []
        for d: Float in [0.5, -2] {
            data += half(d)
            var low: [Float] = [], high: [Float] = []
            for j in 0..<16 {
                data.append(UInt8(j) | UInt8(15 - j) << 4)
                low.append(Float(j - 8) * d)
                high.append(Float(15 - j - 8) * d)
            }
            expected += low + high
        }
        let t = try load(type: 2, dims: [32, 2], data: data)
        XCTAssertEqual(t.shape, [2, 32])
        XCTAssertEqual(t.values, expected)
    }

    func testQ4_1() throws {
        let d: Float = 0.25, m: Float = -1.5
        var data = half(d) + half(m)
        var low: [Float] = [], high: [Float] = []
        for j in 0..<16 {
            let lo = (j * 7) % 16, hi = (j * 3 + 5) % 16
            data.append(UInt8(lo) | UInt8(hi) << 4)
            low.append(Float(lo) * d + m)
            high.append(Float(hi) * d + m)
        }
        XCTAssertEqual(try load(type: 3, dims: [32], data: data).values, low + high)
    }

    func testQ8_0() throws {
        let d: Float = 0.125
        var data = half(d)
        var expected: [Float] = []
        for j in 0..<32 {
            let q = Int8(j * 8 - 128)  // -128 … 120
            data.append(UInt8(bitPattern: q))
            expected.append(Float(q) * d)
        }
        XCTAssertEqual(try load(type: 8, dims: [32], data: data).values, expected)
    }

    func testQ4_K() throws {
        // 8 sub-blocks of 32 weights with 6-bit scales and mins; y = d·scale·q - dmin·min.
        let d: Float = 0.5, dmin: Float = 0.25
        let sc: [UInt8] = [1, 17, 33, 63, 5, 40, 2, 60]
        let mn: [UInt8] = [0, 3, 63, 20, 47, 1, 16, 31]
        // Packing of the 12 scale bytes, as ggml's quantize_row_q4_K writes them.
        var scales = [UInt8](repeating: 0, count: 12)
        for j in 0..<8 {
            if j < 4 {
                scales[j] = sc[j]
                scales[j + 4] = mn[j]
            } else {
                scales[j + 4] = (sc[j] & 0xF) | ((mn[j] & 0xF) << 4)
                scales[j - 4] |= (sc[j] >> 4) << 6
                scales[j] |= (mn[j] >> 4) << 6
            }
        }
        var rng = SeededRandom(seed: 4)
        let q = (0..<256).map { _ in UInt8(rng.nextInt(below: 16)) }
        // 4 groups of 64 weights share 32 bytes: low nibbles hold the first 32, high nibbles the next 32.
        var qs = [UInt8](repeating: 0, count: 128)
        for i in 0..<256 {
            let group = i / 64, l = i % 32, high = (i % 64) >= 32
            qs[32 * group + l] |= high ? q[i] << 4 : q[i]
        }
        let data = half(d) + half(dmin) + scales + qs
        XCTAssertEqual(data.count, 144)
        let expected = (0..<256).map { i in
            let s = i / 32
            return d * Float(sc[s]) * Float(q[i]) - dmin * Float(mn[s])
        }
        XCTAssertEqual(try load(type: 12, dims: [256], data: data).values, expected)
    }

    func testQ6_K() throws {
        // 16 signed scales, one per 16 weights; 6-bit q split into ql (low 4 bits) and qh (high 2 bits).
        let d: Float = 0.0625
        let scales: [Int8] = [-128, 127, 1, -1, 64, -37, 0, 5, 100, -100, 3, 2, -7, 9, 77, -64]
        var rng = SeededRandom(seed: 6)
        let q = (0..<256).map { _ in UInt8(rng.nextInt(below: 64)) }
        // Per half of 128 weights: weight 32k + l (k < 4, l < 32) keeps its low bits in ql[l + 32·(k % 2)]
        // (low nibble for k < 2, high nibble otherwise) and its high bits at bits 2k…2k+1 of qh[l].
        var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
        for i in 0..<256 {
            let h = i / 128, k = (i % 128) / 32, l = i % 32
            ql[64 * h + l + 32 * (k % 2)] |= k < 2 ? q[i] & 0xF : (q[i] & 0xF) << 4
            qh[32 * h + l] |= (q[i] >> 4) << (2 * k)
        }
        let data = ql + qh + scales.map { UInt8(bitPattern: $0) } + half(d)
        XCTAssertEqual(data.count, 210)
        let expected = (0..<256).map { i in d * Float(scales[i / 16]) * Float(Int(q[i]) - 32) }
        XCTAssertEqual(try load(type: 14, dims: [256], data: data).values, expected)
    }

    func testQuantizedTensorsSpanManyBlocksAndRows() throws {
        // 3 rows of 4 Q8_0 blocks each, every block with its own scale.
        var data: [UInt8] = []
        var expected: [Float] = []
        for b in 0..<12 {
            let d = Float(b + 1) / 16
            data += half(d)
            for j in 0..<32 {
                let q = Int8(j - 16 + b)
                data.append(UInt8(bitPattern: q))
                expected.append(Float(q) * d)
            }
        }
        let t = try load(type: 8, dims: [128, 3], data: data)
        XCTAssertEqual(t.shape, [3, 128])
        XCTAssertEqual(t.values, expected)
    }

    func testUnknownAndUnsupportedTypesThrowWhenRead() throws {
        var file = GGUFTestFile()
        file.addTensor("mystery", dims: [4], type: 99, data: [1, 2, 3, 4])
        file.addTensor("q5k", dims: [256], type: 13, data: [UInt8](repeating: 0, count: 176))
        file.addTensor("ok", dims: [1], type: 0, data: [0, 0, 128, 63])
        let gguf = try GGUFFile(data: file.data, name: "m.gguf")
        XCTAssertEqual(try gguf.tensor("ok").values, [1])
        XCTAssertNil(gguf.info("mystery")?.byteCount)
        XCTAssertThrowsError(try gguf.tensor("mystery")) { error in
            XCTAssertEqual("\(error)", "m.gguf: unknown tensor type 99 for tensor mystery")
        }
        XCTAssertThrowsError(try gguf.tensor("q5k")) { error in
            XCTAssertTrue("\(error)".contains("tensor 'q5k' has type Q5_K, which remask cannot dequantize"), "\(error)")
        }
        XCTAssertThrowsError(try gguf.tensor("absent")) { error in
            XCTAssertEqual("\(error)", "m.gguf: missing tensor absent")
        }
    }
}
