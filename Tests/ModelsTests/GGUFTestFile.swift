import Foundation
import XCTest

extension Array where Element == UInt8 {
    /// Appends `value` little-endian.
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Appends a GGUF string: u64 length, UTF-8 bytes.
    mutating func appendGGUFString(_ s: String) {
        appendLE(UInt64(s.utf8.count))
        append(contentsOf: Array(s.utf8))
    }
}

/// GGUF bytes assembled by hand, independently of `GGUFWriter`, so tests control every byte: raw
/// quantized blocks, unknown types, hostile values.
struct GGUFTestFile {
    var version: UInt32 = 3
    var alignment = 32
    private var metadata: [[UInt8]] = []
    private var tensors: [(name: String, dims: [UInt64], type: UInt32, data: [UInt8])] = []

    /// A metadata entry with a raw value payload.
    mutating func add(_ key: String, type: UInt32, payload: [UInt8]) {
        var entry: [UInt8] = []
        entry.appendGGUFString(key)
        entry.appendLE(type)
        entry.append(contentsOf: payload)
        metadata.append(entry)
    }

    mutating func add(_ key: String, uint32 value: UInt32) {
        var p: [UInt8] = []
        p.appendLE(value)
        add(key, type: 4, payload: p)
    }

    mutating func add(_ key: String, string value: String) {
        var p: [UInt8] = []
        p.appendGGUFString(value)
        add(key, type: 8, payload: p)
    }

    mutating func add(_ key: String, strings: [String]) {
        var p: [UInt8] = []
        p.appendLE(UInt32(8))
        p.appendLE(UInt64(strings.count))
        for s in strings { p.appendGGUFString(s) }
        add(key, type: 9, payload: p)
    }

    /// A tensor with raw data bytes; `dims` innermost first, as the file stores them.
    mutating func addTensor(_ name: String, dims: [UInt64], type: UInt32, data: [UInt8]) {
        tensors.append((name, dims, type, data))
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: Array("GGUF".utf8))
        out.appendLE(version)
        out.appendLE(UInt64(tensors.count))
        out.appendLE(UInt64(metadata.count))
        for m in metadata { out.append(contentsOf: m) }
        var offset = 0
        for t in tensors {
            out.appendGGUFString(t.name)
            out.appendLE(UInt32(t.dims.count))
            for d in t.dims { out.appendLE(d) }
            out.appendLE(t.type)
            out.appendLE(UInt64(offset))
            offset += padded(t.data.count)
        }
        out.append(contentsOf: [UInt8](repeating: 0, count: padded(out.count) - out.count))
        for t in tensors {
            out.append(contentsOf: t.data)
            out.append(contentsOf: [UInt8](repeating: 0, count: padded(t.data.count) - t.data.count))
        }
        return out
    }

    var data: Data { Data(bytes) }

    private func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}

