import Core
import Foundation
import Models
import XCTest
import TestSupport

final class GGUFRoundTripTests: XCTestCase {
    private static let everyValueType: [String: GGUFValue] = [
        "t.u8": .uint8(200), "t.i8": .int8(-100), "t.u16": .uint16(60_000), "t.i16": .int16(-30_000),
        "t.u32": .uint32(4_000_000_000), "t.i32": .int32(-2_000_000_000), "t.u64": .uint64(.max),
        "t.i64": .int64(.min), "t.f32": .float32(3.5), "t.f64": .float64(-1e300), "t.bool": .bool(true),
        "t.string": .string("héllo ✓ Ġworld"), "t.empty": .string(""),
        "a.u8": .array(.uint8([0, 255])), "a.i8": .array(.int8([-128, 127])),
        "a.u16": .array(.uint16([1, 65535])), "a.i16": .array(.int16([-1, 2])),
        "a.u32": .array(.uint32([7])), "a.i32": .array(.int32([3, -3, 1])),
        "a.u64": .array(.uint64([1 << 40])), "a.i64": .array(.int64([-(1 << 40)])),
        "a.f32": .array(.float32([0.5, -2])), "a.f64": .array(.float64([1e-300])),
        "a.bool": .array(.bool([true, false])), "a.string": .array(.string(["a", "", "ü"])),
        "a.empty": .array(.int16([])),
        "a.nested": .array(.array([.uint8([1, 2]), .string(["x"]), .array([.float32([1.5]), .bool([])]), .int32([])])),
    ]

    func testMetadataOfEveryValueTypeRoundTrips() throws {
        var writer = GGUFWriter()
        for (key, value) in Self.everyValueType.sorted(by: { $0.key < $1.key }) { writer.set(key, value) }
        writer.set("t.u8", .uint8(201))  // replaces the earlier value
        let path = try makeScratchFolder().path + "/meta.gguf"
        try writer.write(to: path)

        let file = try GGUFFile(path: path)
        var expected = Self.everyValueType
        expected["t.u8"] = .uint8(201)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.metadata.values, expected)
        XCTAssertTrue(file.tensors.isEmpty)
    }

    func testTypedAccessorsConvertAndNameTheKeyInErrors() throws {
        var writer = GGUFWriter()
        for (key, value) in Self.everyValueType.sorted(by: { $0.key < $1.key }) { writer.set(key, value) }
        let path = try makeScratchFolder().path + "/meta.gguf"
        try writer.write(to: path)
        let m = try GGUFFile(path: path).metadata

        XCTAssertEqual(try m.int("t.u32"), 4_000_000_000)
        XCTAssertEqual(try m.int("t.i8"), -100)
        XCTAssertEqual(try m.float("t.f32"), 3.5)
        XCTAssertEqual(try m.bool("t.bool"), true)
        XCTAssertEqual(try m.string("t.string"), "héllo ✓ Ġworld")
        XCTAssertEqual(try m.stringArray("a.string"), ["a", "", "ü"])
        XCTAssertEqual(try m.intArray("a.i32"), [3, -3, 1])
        XCTAssertEqual(try m.intArray("a.u16"), [1, 65535])
        XCTAssertEqual(try m.floatArray("a.f32"), [0.5, -2])

        XCTAssertThrowsError(try m.int("llama.block_count")) { error in
            XCTAssertEqual((error as? FileError)?.reason, "missing metadata key 'llama.block_count'")
            XCTAssertEqual((error as? FileError)?.path, path)
        }
        XCTAssertThrowsError(try m.int("t.string")) { error in
            XCTAssertEqual((error as? FileError)?.reason,
                           "metadata key 't.string' is string, expected an integer that fits in Int")
        }
        XCTAssertThrowsError(try m.int("t.u64"))  // UInt64.max does not fit in Int
        XCTAssertThrowsError(try m.stringArray("a.i32")) { error in
            XCTAssertTrue("\(error)".contains("'a.i32' is array of int32"), "\(error)")
        }
        XCTAssertThrowsError(try m.floatArray("t.f32"))
    }

    func testTensorsRoundTripAsF32F16AndQ8_0() throws {
        var rng = SeededRandom(seed: 7)
        let a = Tensor.randn([3, 64], std: 2, rng: &rng)
        let b = Tensor.randn([5], rng: &rng)
        let c = Tensor.randn([4, 2, 96], rng: &rng)
        let q = Tensor.randn([6, 64], std: 0.1, rng: &rng)
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.add("a", a)
        writer.add("b", b, as: .f16)
        writer.add("c", c, as: .f32)
        writer.add("q", q, as: .q8_0)
        let path = try makeScratchFolder().path + "/t.gguf"
        try writer.write(to: path)

        let file = try GGUFFile(path: path)
        XCTAssertEqual(file.tensors.map(\.name), ["a", "b", "c", "q"])
        XCTAssertEqual(file.tensors.map(\.shape), [[3, 64], [5], [4, 2, 96], [6, 64]])
        XCTAssertEqual(file.tensors.map(\.type), [.f32, .f16, .f32, .q8_0])
        for t in file.tensors { XCTAssertEqual((file.dataOffset + t.offset) % 32, 0, t.name) }

        XCTAssertEqual(try file.tensor("a").values, a.values)
        XCTAssertEqual(try file.tensor("c").values, c.values)
        XCTAssertEqual(try file.tensor("b").values, b.values.map { Float(Float16($0)) })

        // Q8_0: each value is within half a step (d/2) plus the f16 rounding of d (relative 2^-11, times |q| ≤ 127).
        let original = q.values, restored = try file.tensor("q").values
        XCTAssertEqual(try file.tensor("q").shape, [6, 64])
        for block in stride(from: 0, to: original.count, by: 32) {
            let amax = original[block..<(block + 32)].map(abs).max()!
            let bound = amax / 127 * 0.5 + amax * 0x1p-11 * 1.01
            for i in block..<(block + 32) {
                XCTAssertLessThanOrEqual(abs(original[i] - restored[i]), bound, "element \(i)")
            }
            XCTAssertEqual(restored[block..<(block + 32)].map(abs).max()!, amax, accuracy: amax * 0x1p-10)
        }
    }

    func testQ8_0OfAnAllZeroBlockIsZero() throws {
        var writer = GGUFWriter()
        writer.add("z", Tensor.zeros([32]), as: .q8_0)
        let path = try makeScratchFolder().path + "/z.gguf"
        try writer.write(to: path)
        XCTAssertEqual(try GGUFFile(path: path).tensor("z").values, [Float](repeating: 0, count: 32))
    }

    func testCustomAlignmentIsRecordedAndHonoured() throws {
        var writer = GGUFWriter(alignment: 64)
        writer.add("x", Tensor([1, 2, 3], shape: [3]))
        writer.add("y", Tensor([4, 5], shape: [1, 2]), as: .f16)
        let path = try makeScratchFolder().path + "/aligned.gguf"
        try writer.write(to: path)
        let file = try GGUFFile(path: path)
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(try file.metadata.int("general.alignment"), 64)
        XCTAssertEqual(file.dataOffset % 64, 0)
        XCTAssertEqual(file.tensors.map(\.offset), [0, 64])
        XCTAssertEqual(try file.tensor("y").values, [4, 5])

        // Metadata copied from another file carries its alignment with it.
        var copy = GGUFWriter()
        for (key, value) in file.metadata.values { copy.set(key, value) }
        XCTAssertEqual(copy.alignment, 64)
    }

    func testWritingReplacesTheFileAndLeavesNoTemporaryFiles() throws {
        let folder = try makeScratchFolder().path
        let path = folder + "/m.gguf"
        for value in [1, 2] as [Float] {
            var writer = GGUFWriter()
            writer.add("v", Tensor([value], shape: [1]))
            try writer.write(to: path)
        }
        XCTAssertEqual(try GGUFFile(path: path).tensor("v").values, [2])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["m.gguf"])
    }

    func testWritingIntoAMissingFolderThrowsAndNamesThePath() {
        var writer = GGUFWriter()
        writer.add("v", Tensor([1], shape: [1]))
        XCTAssertThrowsError(try writer.write(to: "/nonexistent-remask-dir/m.gguf")) { error in
            XCTAssertEqual((error as? FileError)?.path, "/nonexistent-remask-dir/m.gguf")
        }
    }
}
