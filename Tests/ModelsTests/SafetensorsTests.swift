import Core
import Foundation
import Models
import XCTest
import TestSupport

/// A safetensors file from a raw JSON header and data bytes.
func safetensorsBytes(header: String, data: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.appendLE(UInt64(header.utf8.count))
    return bytes + Array(header.utf8) + data
}

final class SafetensorsTests: XCTestCase {
    func testF32F16AndBF16RoundTripWithMetadata() throws {
        var rng = SeededRandom(seed: 3)
        let a = Tensor.randn([4, 3], rng: &rng), b = Tensor.randn([7], rng: &rng), c = Tensor.randn([2, 2, 5], rng: &rng)
        var writer = SafetensorsWriter(metadata: ["format": "pt", "note": "a/b"])
        writer.add("model.b", b, as: .f16)
        writer.add("model.a", a)
        writer.add("model.c", c, as: .bf16)
        let path = try makeScratchFolder().path + "/model.safetensors"
        try writer.write(to: path)

        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "a/b"])
        XCTAssertEqual(file.tensorNames, ["model.a", "model.b", "model.c"])
        let info = try XCTUnwrap(file.tensors["model.a"])
        XCTAssertEqual([info.name, info.dtype.rawValue, "\(info.shape)", "\(info.dataRange)"], ["model.a", "F32", "[4, 3]", "0..<48"])
        XCTAssertEqual(file.tensors["model.b"]?.dataRange, 48..<62)
        XCTAssertEqual(file.tensors["model.c"]?.dtype, .bf16)
        XCTAssertEqual(try file.tensor("model.a").values, a.values)
        XCTAssertEqual(try file.tensor("model.a").shape, [4, 3])
        XCTAssertEqual(try file.tensor("model.b").values, b.values.map { Float(Float16($0)) })
        let c2 = try file.tensor("model.c").values
        for (x, y) in zip(c.values, c2) { XCTAssertEqual(x, y, accuracy: abs(x) * 0x1p-8) }
        XCTAssertThrowsError(try file.tensor("model.d")) { error in
            XCTAssertEqual("\(error)", "\(path): missing tensor model.d")
        }
    }

    func testHeaderKeysAreSortedAndPaddedWithSpacesToEightBytes() throws {
        var writer = SafetensorsWriter(metadata: ["k": "v"])
        writer.add("z", Tensor([1, 2, 3], shape: [3]))
        writer.add("a", Tensor([4], shape: [1]))
        let path = try makeScratchFolder().path + "/m.safetensors"
        try writer.write(to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        XCTAssertEqual(length % 8, 0)
        XCTAssertEqual(bytes.count, 8 + length + 16)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"k":"v"},"a":{"data_offsets":[0,4],"dtype":"F32","shape":[1]},"z":{"data_offsets":[4,16]"#), header)
        XCTAssertTrue(header.hasSuffix("}") || header.hasSuffix(" "))
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces).last, "}")
    }

    func testEmptyTensorsAndScalars() throws {
        var writer = SafetensorsWriter()
        writer.add("empty", Tensor([], shape: [0, 3]))
        writer.add("scalar", Tensor(scalar: 2.5))
        let path = try makeScratchFolder().path + "/m.safetensors"
        try writer.write(to: path)
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(try file.tensor("empty").shape, [0, 3])
        XCTAssertEqual(try file.tensor("scalar").values, [2.5])
        XCTAssertEqual(try file.tensor("scalar").shape, [])
    }

    func testShardedCheckpointOpensEveryShard() throws {
        let folder = try makeScratchFolder().path
        var first = SafetensorsWriter(), second = SafetensorsWriter()
        first.add("embed", Tensor([1, 2], shape: [2]))
        first.add("unlisted", Tensor([9], shape: [1]))
        second.add("head", Tensor([3, 4, 5, 6], shape: [2, 2]), as: .f16)
        try first.write(to: folder + "/model-00001-of-00002.safetensors")
        try second.write(to: folder + "/model-00002-of-00002.safetensors")
        let index = #"{"metadata": {"total_size": 16}, "weight_map": {"embed": "model-00001-of-00002.safetensors", "head": "model-00002-of-00002.safetensors"}}"#
        try index.write(toFile: folder + "/model.safetensors.index.json", atomically: true, encoding: .utf8)

        for path in [folder, folder + "/model.safetensors.index.json"] {
            let checkpoint = try SafetensorsCheckpoint(path: path)
            XCTAssertEqual(checkpoint.shards.count, 2)
            XCTAssertEqual(checkpoint.tensorNames, ["embed", "head"])
            XCTAssertEqual(try checkpoint.tensor("embed").values, [1, 2])
            XCTAssertEqual(try checkpoint.tensor("head").values, [3, 4, 5, 6])
            XCTAssertEqual(checkpoint.info("head")?.dtype, .f16)
            XCTAssertThrowsError(try checkpoint.tensor("unlisted")) { error in
                XCTAssertTrue("\(error)".hasSuffix("model.safetensors.index.json: missing tensor unlisted"), "\(error)")
            }
        }
    }

    func testSingleFileCheckpoint() throws {
        let folder = try makeScratchFolder().path
        var writer = SafetensorsWriter()
        writer.add("w", Tensor([7], shape: [1]))
        try writer.write(to: folder + "/model.safetensors")
        XCTAssertEqual(try SafetensorsCheckpoint(path: folder).tensor("w").values, [7])
        XCTAssertEqual(try SafetensorsCheckpoint(path: folder + "/model.safetensors").tensorNames, ["w"])
    }

    func testBadIndexesAreRejected() throws {
        let folder = try makeScratchFolder().path
        var writer = SafetensorsWriter()
        writer.add("w", Tensor([7], shape: [1]))
        try writer.write(to: folder + "/a.safetensors")
        let cases = [
            (#"{"weight_map": {"x": "a.safetensors"}}"#, "shard 'a.safetensors' has no tensor 'x'"),
            (#"{"weight_map": {"w": "../a.safetensors"}}"#, "is not a file name in the index's folder"),
            (#"{"weight_map": {"w": "b.safetensors"}}"#, "b.safetensors: cannot open"),
            (#"{"metadata": {}}"#, "not a safetensors index"),
        ]
        for (json, phrase) in cases {
            let index = folder + "/model.safetensors.index.json"
            try json.write(toFile: index, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try SafetensorsCheckpoint(path: folder)) { error in
                XCTAssertTrue(error is FileError)
                XCTAssertTrue("\(error)".contains(phrase), "'\(error)' lacks '\(phrase)'")
            }
        }
    }

    private func assertRejected(_ header: String, data: [UInt8] = [UInt8](repeating: 0, count: 8), _ phrase: String,
                                line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(data: Data(safetensorsBytes(header: header, data: data)), name: "bad.st"),
                             line: line) { error in
            guard let e = error as? FileError else { return XCTFail("not a FileError: \(error)", line: line) }
            XCTAssertTrue(e.reason.contains(phrase), "'\(e.reason)' lacks '\(phrase)'", line: line)
        }
    }

    func testMalformedHeadersAreRejected() {
        let ok = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertNoThrow(try SafetensorsFile(data: Data(safetensorsBytes(header: ok, data: [UInt8](repeating: 0, count: 8))), name: "ok"))
        assertRejected(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, "shape [3] of F32 needs 12 bytes, but data_offsets [0, 8] hold 8")
        assertRejected(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, "lie outside the data section (8 bytes)")
        assertRejected(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, "lie outside the data section")
        assertRejected(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, "negative dimension")
        assertRejected(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, "overflows")
        assertRejected(#"{"a":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}}"#, data: [], "overflows")
        assertRejected(#"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, "tensor 'a' has unknown dtype 'Q4'")
        assertRejected(#"{"a":{"dtype":"F32","shape":[2]}}"#, "tensor 'a' needs dtype (a string), shape (integers) and data_offsets")
        assertRejected(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}"#, "needs data_offsets [begin, end]")
        assertRejected(#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}"#, "tensor 'a' needs")
        assertRejected(#"{"__metadata__":{"k":1}}"#, data: [], "__metadata__ must map strings to strings")
        assertRejected(#"["a"]"#, "header is not a JSON object")
        assertRejected(#"{"a":"#, "header is not a JSON object")
        assertRejected(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#,
                       "overlaps tensor 'a'")
        assertRejected(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, "gap of 4 bytes between the start of the data section and tensor 'a'")
        assertRejected(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "data section has 4 bytes after the last tensor")
        assertRejected(String(repeating: "[", count: 100_000), "header is not a JSON object")
    }

    func testHeaderLengthIsBounded() {
        for length in [UInt64.max, 1 << 63, 100_000_001, 9] {
            var bytes: [UInt8] = []
            bytes.appendLE(length)
            bytes += Array("{}".utf8)
            XCTAssertThrowsError(try SafetensorsFile(data: Data(bytes), name: "h")) { error in
                XCTAssertTrue("\(error)".contains("header length \(length) exceeds"), "\(error)")
            }
        }
        XCTAssertThrowsError(try SafetensorsFile(data: Data([1, 2, 3]), name: "h")) { error in
            XCTAssertTrue("\(error)".contains("file ends while reading header length"), "\(error)")
        }
    }

    func testOtherDtypesAreDescribedButNotRead() throws {
        let header = #"{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#
        let file = try SafetensorsFile(data: Data(safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 16))), name: "m")
        XCTAssertEqual(file.tensors["ids"]?.dtype, .i64)
        XCTAssertThrowsError(try file.tensor("ids")) { error in
            XCTAssertEqual("\(error)", "m: tensor 'ids' has dtype I64, which remask cannot read (it reads F32, F16 and BF16)")
        }
    }
}
