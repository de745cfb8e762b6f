import Core
import Foundation
import Models
import XCTest

/// Seeded mutations of valid files: every load must succeed or throw `FileError`, and when it
/// succeeds every tensor must read or throw `FileError`. A crash fails the whole run.
final class ModelFileFuzzTests: XCTestCase {
    private static let extremes32: [UInt32] = [0, 1, 2, 3, 7, 8, 9, 12, 13, 30, 99, 0x7F, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF]
    private static let extremes64: [UInt64] = [0, 1, 31, 32, 33, 1 << 31, 1 << 32, 1 << 40, 1 << 61, 1 << 62,
                                               UInt64(Int64.max), 1 << 63, .max - 31, .max]

    /// One random mutation: byte changes, an extreme 4- or 8-byte value, a truncation, or several at once.
    private func mutate(_ original: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var b = original
        for _ in 0..<(rng.nextInt(below: 4) == 0 ? 3 : 1) {
            guard !b.isEmpty else { return b }
            let at = rng.nextInt(below: b.count)
            switch rng.nextInt(below: 10) {
            case 0, 1, 2:
                for _ in 0...rng.nextInt(below: 4) { b[rng.nextInt(below: b.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            case 3: b[at] ^= UInt8(1) << UInt8(rng.nextInt(below: 8))
            case 4, 5:
                let v = Self.extremes32[rng.nextInt(below: Self.extremes32.count)]
                for k in 0..<4 where at + k < b.count { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
            case 6, 7:
                var v = Self.extremes64[rng.nextInt(below: Self.extremes64.count)]
                if rng.nextInt(below: 3) == 0 { v = UInt64(b.count) &+ UInt64(rng.nextInt(below: 64)) &- 32 }
                for k in 0..<8 where at + k < b.count { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
            case 8: b.removeLast(b.count - at)
            default: b = rng.nextInt(below: 4) == 0 ? [] : Array(b.prefix(rng.nextInt(below: 32)))
            }
        }
        return b
    }

    private func expectModelFileError(_ body: () throws -> Void) {
        do { try body() } catch is FileError {} catch { XCTFail("not a FileError: \(error)") }
    }

    /// A small GGUF with every metadata type and one tensor of every readable type, plus an unknown one.
    private func sampleGGUF() -> [UInt8] {
        var f = GGUFTestFile()
        f.add("general.architecture", string: "llama")
        f.add("llama.block_count", uint32: 2)
        f.add("tokenizer.ggml.tokens", strings: ["<s>", "Ġa", "b", "ü"])
        var nested: [UInt8] = []
        nested.appendLE(UInt32(9))
        nested.appendLE(UInt64(2))
        for n in [1, 2] {
            nested.appendLE(UInt32(5))
            nested.appendLE(UInt64(n))
            for i in 0..<n { nested.appendLE(Int32(i)) }
        }
        f.add("nested", type: 9, payload: nested)
        for (type, size) in [(0, 1), (1, 1), (2, 2), (3, 2), (4, 4), (5, 4), (6, 4), (7, 1), (10, 8), (11, 8), (12, 8)] as [(UInt32, Int)] {
            f.add("v.\(type)", type: type, payload: [UInt8](repeating: 1, count: size))
        }
        var rng = SeededRandom(seed: 11)
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next() & 0x3B) } }
        f.addTensor("f32", dims: [4, 2], type: 0, data: bytes(32))
        f.addTensor("f16", dims: [8], type: 1, data: bytes(16))
        f.addTensor("bf16", dims: [8], type: 30, data: bytes(16))
        f.addTensor("q4_0", dims: [32, 2], type: 2, data: bytes(36))
        f.addTensor("q4_1", dims: [32], type: 3, data: bytes(20))
        f.addTensor("q8_0", dims: [64], type: 8, data: bytes(68))
        f.addTensor("q4_k", dims: [256], type: 12, data: bytes(144))
        f.addTensor("q6_k", dims: [256], type: 14, data: bytes(210))
        f.addTensor("q5_k", dims: [256], type: 13, data: bytes(176))
        f.addTensor("odd", dims: [3], type: 77, data: bytes(3))
        return f.bytes
    }

    private func loadGGUF(_ bytes: [UInt8]) -> Bool {
        var loaded = false
        expectModelFileError {
            let file = try GGUFFile(data: Data(bytes), name: "fuzz.gguf")
            loaded = true
            for t in file.tensors { expectModelFileError { _ = try file.tensor(t.name) } }
        }
        return loaded
    }

    func testMutatedGGUFFilesLoadOrThrow() throws {
        let original = sampleGGUF()
        XCTAssertNoThrow(try GGUFFile(data: Data(original), name: "sample.gguf"))
        var rng = SeededRandom(seed: 2024)
        var loaded = 0
        let iterations = 4000
        for _ in 0..<iterations where loadGGUF(mutate(original, &rng)) { loaded += 1 }
        print("GGUF fuzz: \(loaded) of \(iterations) mutations still loaded")
        XCTAssertGreaterThan(loaded, 0)
        XCTAssertLessThan(loaded, iterations)
    }

    func testMutatedRealGGUFHeadersLoadOrThrow() throws {
        let path = RealGGUFModelTests.modelPath
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "\(path) is not downloaded")
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: path))
        let prefix = [UInt8](try XCTUnwrap(handle.readData(ofLength: 16 << 10)))
        try handle.close()
        XCTAssertThrowsError(try GGUFFile(data: Data(prefix), name: "prefix.gguf")) { XCTAssertTrue($0 is FileError) }
        var rng = SeededRandom(seed: 99)
        for _ in 0..<1000 { _ = loadGGUF(mutate(prefix, &rng)) }
    }

    // MARK: safetensors

    private func sampleSafetensors() -> [String: Any] {
        [
            "__metadata__": ["format": "pt"],
            "a": ["dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]],
            "b": ["dtype": "F16", "shape": [4], "data_offsets": [16, 24]],
            "c": ["dtype": "BF16", "shape": [2], "data_offsets": [24, 28]],
            "d": ["dtype": "I32", "shape": [1], "data_offsets": [28, 32]],
        ]
    }

    private func serialize(_ header: [String: Any], dataSize: Int) -> [UInt8] {
        let json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        var text = [UInt8](json)
        text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
        var bytes: [UInt8] = []
        bytes.appendLE(UInt64(text.count))
        return bytes + text + (0..<dataSize).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    }

    /// A mutation of the header's structure: offsets, shapes, dtypes, keys.
    private func mutateHeader(_ rng: inout SeededRandom) -> [String: Any] {
        var header = sampleSafetensors()
        let names = ["a", "b", "c", "d"]
        let name = names[rng.nextInt(below: names.count)]
        let numbers: [Any] = [0, 1, 8, 16, 28, 32, 33, -1, -16, Int.max, Int.min, 1 << 62, 1.5, 1e300, "8", NSNull()]
        func number() -> Any { numbers[rng.nextInt(below: numbers.count)] }
        switch rng.nextInt(below: 9) {
        case 0: header["__metadata__"] = [["k": 1], "text", ["k": ["v"]], NSNull()][rng.nextInt(below: 4)]
        case 1: header[name] = [number(), "x", [] as [Any], NSNull()][rng.nextInt(below: 4)]
        case 2: header["new\(rng.nextInt(below: 3))"] = ["dtype": "F32", "shape": [number()], "data_offsets": [number(), number()]]
        default:
            var entry = header[name] as! [String: Any]
            switch rng.nextInt(below: 6) {
            case 0: entry["data_offsets"] = [number(), number()]
            case 1: entry["data_offsets"] = (header[names[rng.nextInt(below: names.count)]] as! [String: Any])["data_offsets"]
            case 2: entry["shape"] = (0..<rng.nextInt(below: 4)).map { _ in number() }
            case 3: entry["dtype"] = ["F64", "U8", "BOOL", "F8_E4M3", "X", "", "f32", 3][rng.nextInt(below: 8)]
            case 4: entry.removeValue(forKey: ["dtype", "shape", "data_offsets"][rng.nextInt(below: 3)])
            default: entry["data_offsets"] = (0..<rng.nextInt(below: 4)).map { _ in number() }
            }
            header[name] = entry
        }
        return header
    }

    private func loadSafetensors(_ bytes: [UInt8]) -> Bool {
        var loaded = false
        expectModelFileError {
            let file = try SafetensorsFile(data: Data(bytes), name: "fuzz.safetensors")
            loaded = true
            for name in file.tensorNames { expectModelFileError { _ = try file.tensor(name) } }
        }
        return loaded
    }

    func testMutatedSafetensorsFilesLoadOrThrow() {
        let original = serialize(sampleSafetensors(), dataSize: 32)
        XCTAssertTrue(loadSafetensors(original))
        var rng = SeededRandom(seed: 7)
        var loaded = 0
        let iterations = 3000
        for i in 0..<iterations {
            let bytes = i % 2 == 0
                ? mutate(original, &rng)
                : serialize(mutateHeader(&rng), dataSize: [32, 32, 32, 0, 31, 33, 64][rng.nextInt(below: 7)])
            if loadSafetensors(bytes) { loaded += 1 }
        }
        print("safetensors fuzz: \(loaded) of \(iterations) mutations still loaded")
        XCTAssertGreaterThan(loaded, 0)
    }
}
