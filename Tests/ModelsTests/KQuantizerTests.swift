import Foundation
import XCTest
import Core
import TestSupport
@testable import Models

/// Q6_K, Q4_K and Q5_0 against ggml's own reference quantizers (tools/make_kquant_fixture.py), byte for byte,
/// and through a GGUF file and back.
final class KQuantizerTests: XCTestCase {
    static let types: [GGMLType] = [.q6_K, .q4_K, .q5_0]

    /// Rows of 256 values and, per type, ggml's blocks for all of them.
    func fixture() throws -> (values: [Float], blocks: [GGMLType: [UInt8]]) {
        let url = fixturesDirectory.appendingPathComponent("quants_ggml.json")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let raw = try bytes(hex: XCTUnwrap(object["values_f32le"] as? String))
        let values = stride(from: 0, to: raw.count, by: 4).map { i in
            Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
        }
        var blocks: [GGMLType: [UInt8]] = [:]
        for type in Self.types { blocks[type] = try bytes(hex: XCTUnwrap(object["\(type)".lowercased()] as? String, "no \(type) in the fixture")) }
        return (values, blocks)
    }

    func bytes(hex: String) throws -> [UInt8] {
        let digits = Array(hex.utf8)
        return try stride(from: 0, to: digits.count, by: 2).map { i in
            try XCTUnwrap(UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16), "bad hex at \(i)")
        }
    }

    func testBlocksMatchGGMLsReferenceQuantizers() throws {
        let (values, expected) = try fixture()
        for type in Self.types {
            let got = values.withUnsafeBufferPointer { Quantizer.quantize($0, as: type) }
            let want = try XCTUnwrap(expected[type])
            XCTAssertEqual(got.count, want.count, "\(type)")
            let rowBytes = want.count / (values.count / 256)
            for row in 0..<(values.count / 256) {
                let range = (row * rowBytes)..<((row + 1) * rowBytes)
                if let byte = range.first(where: { got[$0] != want[$0] }) {
                    XCTFail("\(type): row \(row) differs from ggml's at byte \(byte - range.lowerBound) of \(rowBytes)")
                }
            }
        }
    }

    /// Each value comes back within its block's step: Q6_K's levels span ±32 steps of the largest magnitude
    /// / 32, Q4_K's 15 steps of the block's range (which includes 0), Q5_0's 16 steps of the largest magnitude
    /// (the opposite extreme may clamp a whole step). Scales below f16's range store as 0, hence 1e-5.
    func testValuesRoundTripThroughAGGUFFileWithinAStep() throws {
        let (values, _) = try fixture()
        let tensor = Tensor(values, shape: [values.count / 256, 256])
        var writer = GGUFWriter()
        for type in Self.types { writer.add("w.\(type)", tensor, as: type) }
        let path = try makeScratchFolder().appendingPathComponent("k.gguf").path
        try writer.write(to: path)
        let file = try GGUFFile(path: path)
        for type in Self.types {
            let back = try file.tensor("w.\(type)")
            XCTAssertEqual(back.shape, tensor.shape, "\(type)")
            let block = try XCTUnwrap(type.layout).elements
            for start in stride(from: 0, to: values.count, by: block) {
                let x = values[start..<(start + block)]
                let step = switch type {
                case .q6_K: x.map(abs).max()! / 32
                case .q4_K: (max(0, x.max()!) - min(0, x.min()!)) / 15
                default: x.map(abs).max()! / 16
                }
                for i in x.indices where abs(back.values[i] - values[i]) > step * 1.01 + 1e-5 {
                    XCTFail("\(type) value \(i): \(values[i]) came back as \(back.values[i]) (step \(step))")
                    break
                }
            }
        }
    }

    func testNearestIntRoundsHalfToEvenLikeGGML() {
        let cases: [(Float, Int32)] = [(0.5, 0), (1.5, 2), (2.5, 2), (-0.5, 0), (-1.5, -2), (3.49, 3), (-7.51, -8), (4_194_303, 4_194_303)]
        for (v, want) in cases { XCTAssertEqual(Quantizer.nearestInt(v), want, "\(v)") }
    }
}
