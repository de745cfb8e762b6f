import Foundation
import XCTest
import Core
import TestSupport
@testable import Models

/// The quantizers against gguf-py's reference ones (tools/make_quant_fixture.py), byte for byte, and through a
/// GGUF file and back.
final class QuantizerTests: XCTestCase {
    /// The types the fixture holds (gguf-py quantizes no K-quants; KQuantizerTests checks those and Q5_0).
    static let types: [GGMLType] = [.q8_0, .q4_0, .q4_1]

    func fixture() throws -> (values: [Float], bytes: [String: String]) {
        let url = fixturesDirectory.appendingPathComponent("quants_gguf_py.json")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let values = try XCTUnwrap(object["values"] as? [Double]).map(Float.init)
        return (values, object.compactMapValues { $0 as? String })
    }

    func testBlocksMatchTheReferenceQuantizers() throws {
        let (values, expected) = try fixture()
        for type in Self.types {
            let name = "\(type)".lowercased()
            let bytes = values.withUnsafeBufferPointer { Quantizer.quantize($0, as: type) }
            let hex = bytes.map { String(format: "%02x", $0) }.joined()
            let reference = try XCTUnwrap(expected[name], "no \(name) in the fixture")
            if hex != reference {
                let size = try XCTUnwrap(type.layout).bytes
                let block = Array(zip(hex, reference)).firstIndex { $0 != $1 }.map { $0 / 2 / size } ?? -1
                XCTFail("\(name): block \(block) differs from gguf-py's")
            }
        }
    }

    func testQuantizedTensorsRoundTripThroughAGGUFFile() throws {
        let (values, _) = try fixture()
        let tensor = Tensor(values, shape: [values.count / 64, 64])
        var writer = GGUFWriter()
        for type in Self.types { writer.add("w.\(type)", tensor, as: type) }
        let path = try makeScratchFolder().appendingPathComponent("q.gguf").path
        try writer.write(to: path)
        let file = try GGUFFile(path: path)
        for type in Self.types {
            let back = try file.tensor("w.\(type)")
            XCTAssertEqual(back.shape, tensor.shape)
            // Each value comes back within a step of its block's scale; a scale below f16's range (the block of
            // values near 1e-6) stores as 0, hence the absolute 1e-5.
            for block in 0..<(values.count / 32) {
                let slice = values[(32 * block)..<(32 * block + 32)]
                let span = type == .q4_1 ? (slice.max()! - slice.min()!) / 15 : slice.map(abs).max()! / (type == .q8_0 ? 127 : 8)
                for j in 0..<32 {
                    let i = 32 * block + j
                    XCTAssertEqual(back.values[i], values[i], accuracy: span * 1.01 + 1e-5, "\(type) value \(i)")
                }
            }
        }
    }
}
