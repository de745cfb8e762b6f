import Foundation
import Models
import XCTest
import Core
import TestSupport

/// Malformed and hostile headers, each rejected with a `FileError` that says what is wrong.
final class GGUFValidationTests: XCTestCase {
    private func assertRejected(_ bytes: [UInt8], _ phrase: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try GGUFFile(data: Data(bytes), name: "bad.gguf"), file: file, line: line) { error in
            guard let e = error as? FileError else { return XCTFail("not a FileError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.path, "bad.gguf", file: file, line: line)
            XCTAssertTrue(e.reason.contains(phrase), "'\(e.reason)' lacks '\(phrase)'", file: file, line: line)
        }
    }

    /// Header bytes up to the counts, then `rest`.
    private func header(version: UInt32 = 3, tensors: UInt64 = 0, metadata: UInt64, _ rest: [UInt8]) -> [UInt8] {
        var b = Array("GGUF".utf8)
        b.appendLE(version)
        b.appendLE(tensors)
        b.appendLE(metadata)
        return b + rest
    }

    private func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        var b: [UInt8] = []
        b.appendLE(v)
        return b
    }

    private func str(_ s: String) -> [UInt8] {
        var b: [UInt8] = []
        b.appendGGUFString(s)
        return b
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try GGUFFile(path: "/no/such/model.gguf")) { error in
            XCTAssertEqual((error as? FileError)?.path, "/no/such/model.gguf")
            XCTAssertTrue("\(error)".hasPrefix("/no/such/model.gguf: cannot open"), "\(error)")
        }
        XCTAssertThrowsError(try SafetensorsFile(path: "/no/such/model.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("/no/such/model.safetensors"), "\(error)")
        }
    }

    func testFoldersAndEmptyFilesAreRejected() throws {
        let folder = try makeScratchFolder().path
        XCTAssertThrowsError(try GGUFFile(path: folder)) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
        let empty = folder + "/empty.gguf"
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertThrowsError(try GGUFFile(path: empty)) { error in
            XCTAssertTrue("\(error)".contains("file ends while reading magic"), "\(error)")
        }
    }

    func testMagicAndVersion() {
        assertRejected(Array("GGU".utf8), "file ends while reading magic")
        assertRejected(Array("GGML".utf8) + le(UInt32(3)), "not a GGUF file")
        assertRejected(Array("GGUF".utf8) + le(UInt32(1)), "GGUF version 1 is not supported")
        assertRejected(Array("GGUF".utf8) + le(UInt32(4)), "GGUF version 4 is not supported")
        assertRejected(Array("GGUF".utf8) + le(UInt32(3).byteSwapped), "big-endian")
        assertRejected(header(tensors: 0, metadata: 0, []).dropLast(3).map { $0 }, "file ends while reading metadata count")
    }

    func testHostileCountsAreCheckedAgainstTheFileSize() {
        assertRejected(header(metadata: .max, []), "metadata count 18446744073709551615 is too large")
        assertRejected(header(metadata: 1 << 40, []), "more than the remaining 0 bytes")
        assertRejected(header(tensors: 1 << 40, metadata: 0, []), "tensor count 1099511627776 is more than")
        assertRejected(header(metadata: 1, le(UInt64(1 << 62)) + Array("key and more bytes".utf8)),
                       "file ends while reading key of metadata entry 0")
        // An array claiming 2^60 strings in a few bytes.
        assertRejected(header(metadata: 1, str("k") + le(UInt32(9)) + le(UInt32(8)) + le(UInt64(1 << 60))),
                       "array 'k' claims 1152921504606846976 elements")
    }

    func testBadValues() {
        assertRejected(header(metadata: 1, str("k") + le(UInt32(13)) + [0]), "metadata key 'k' has unknown value type 13")
        assertRejected(header(metadata: 1, str("k") + le(UInt32(9)) + le(UInt32(77)) + le(UInt64(0))),
                       "array 'k' has unknown element type 77")
        assertRejected(header(metadata: 1, str("k") + le(UInt32(7)) + [2]), "bool byte 2")
        assertRejected(header(metadata: 1, le(UInt64(2)) + [0xC3, 0x28] + le(UInt32(0)) + [0]),
                       "key of metadata entry 0 at offset 32 is not valid UTF-8")
        assertRejected(header(metadata: 2, str("k") + le(UInt32(0)) + [1] + str("k") + le(UInt32(0)) + [2]),
                       "duplicate metadata key 'k'")
        assertRejected(header(metadata: 1, str("general.alignment") + le(UInt32(4)) + le(UInt32(24))),
                       "general.alignment 24 is not a power of two")
        assertRejected(header(metadata: 1, str("general.alignment") + le(UInt32(8)) + str("x")),
                       "metadata key 'general.alignment' is string")
    }

    func testDeeplyNestedArraysAreRejectedWithoutExhaustingTheStack() {
        var nested: [UInt8] = []
        for _ in 0..<100_000 { nested += le(UInt32(9)) + le(UInt64(1)) }
        assertRejected(header(metadata: 1, str("bomb") + le(UInt32(9)) + nested), "nests arrays deeper than 16 levels")
    }

    private func withTensor(dims: [UInt64], type: UInt32 = 0, offset: UInt64 = 0, rank: UInt32? = nil,
                            metadata: [UInt8] = [], metadataCount: UInt64 = 0, dataBytes: Int = 64) -> [UInt8] {
        var info = str("w") + le(rank ?? UInt32(dims.count))
        for d in dims { info += le(d) }
        info += le(type) + le(offset)
        var b = header(tensors: 1, metadata: metadataCount, metadata + info)
        b += [UInt8](repeating: 0, count: (32 - b.count % 32) % 32 + dataBytes)
        return b
    }

    func testTensorInfos() {
        XCTAssertNoThrow(try GGUFFile(data: Data(withTensor(dims: [4, 4])), name: "ok.gguf"))
        assertRejected(withTensor(dims: [4, 5]), "tensor 'w' data [offset 0, 80 bytes) lies outside the file")
        assertRejected(withTensor(dims: [4], offset: 64), "tensor 'w' data [offset 64, 16 bytes) lies outside")
        assertRejected(withTensor(dims: [4], offset: .max), "data offset of tensor 'w' 18446744073709551615 is too large")
        assertRejected(withTensor(dims: [4], offset: 1 << 62), "lies outside the file")
        assertRejected(withTensor(dims: [4], offset: 4), "offset 4 is not a multiple of the alignment 32")
        assertRejected(withTensor(dims: [0, 4]), "tensor 'w' has dimension 0")
        assertRejected(withTensor(dims: [1 << 62, 1 << 62]), "overflow the element count")
        assertRejected(withTensor(dims: [1 << 61, 2], type: 0), "byte size overflows")
        assertRejected(withTensor(dims: [1, 1, 1, 1, 1]), "tensor 'w' has 5 dimensions")
        assertRejected(withTensor(dims: [4], rank: 0), "tensor 'w' has 0 dimensions")
        assertRejected(withTensor(dims: [33], type: 2), "innermost dimension 33 is not a multiple of the Q4_0 block size 32")
        assertRejected(withTensor(dims: [4], type: 99, offset: 1 << 20), "lies outside the file")  // unknown type: offset still checked
        var two = withTensor(dims: [4])
        two.removeLast(64)
        assertRejected(two, "lies outside the file")
    }

    func testDuplicateTensorNames() {
        var infos: [UInt8] = []
        for _ in 0..<2 { infos += str("w") + le(UInt32(1)) + le(UInt64(1)) + le(UInt32(0)) + le(UInt64(0)) }
        assertRejected(header(tensors: 2, metadata: 0, infos), "duplicate tensor name 'w'")
    }

    /// Two tensors whose data share bytes are refused (they would load, then score garbage).
    func testOverlappingTensorDataIsRejected() {
        var infos: [UInt8] = []
        for (name, offset) in [("a", UInt64(0)), ("b", UInt64(0))] {
            infos += str(name) + le(UInt32(1)) + le(UInt64(8)) + le(UInt32(0)) + le(UInt64(offset))
        }
        var bytes = header(tensors: 2, metadata: 0, infos)
        bytes += [UInt8](repeating: 0, count: (32 - bytes.count % 32) % 32 + 64)
        assertRejected(bytes, "tensors 'a' and 'b' overlap in the data section")
        var apart: [UInt8] = []
        for (name, offset) in [("a", UInt64(0)), ("b", UInt64(32))] {
            apart += str(name) + le(UInt32(1)) + le(UInt64(8)) + le(UInt32(0)) + le(UInt64(offset))
        }
        var ok = header(tensors: 2, metadata: 0, apart)
        ok += [UInt8](repeating: 0, count: (32 - ok.count % 32) % 32 + 64)
        XCTAssertNoThrow(try GGUFFile(data: Data(ok), name: "apart.gguf"))
    }
}
