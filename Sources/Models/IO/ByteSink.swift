import Core
import Foundation

/// Buffered little-endian output to an open file.
struct ByteSink {
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 20
    /// Bytes appended so far.
    private(set) var count = 0

    fileprivate init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(Self.capacity)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        count += bytes.count
        if buffer.count + bytes.count > Self.capacity { try flush() }
        if bytes.count >= Self.capacity {
            try AtomicFile.writeAll(bytes, to: fd, path: path)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) throws {
        try withUnsafeBytes(of: value.littleEndian) { try append($0) }
    }

    /// A u64 byte length and the UTF-8 bytes.
    mutating func append(_ string: String) throws {
        var s = string
        try s.withUTF8 { utf8 in
            try append(UInt64(utf8.count))
            try append(UnsafeRawBufferPointer(utf8))
        }
    }

    /// Zero bytes up to the next multiple of `alignment`.
    mutating func pad(toMultipleOf alignment: Int) throws {
        let padding = (alignment - count % alignment) % alignment
        let zeros = [UInt8](repeating: 0, count: padding)
        try zeros.withUnsafeBytes { try append($0) }
    }

    /// A tensor's values in row-major order, encoded as F32, F16 or BF16 a chunk at a time.
    mutating func append(_ tensor: Tensor, as encoding: FloatEncoding) throws {
        try withContiguousValues(tensor) { values in
            if encoding == .f32 { return try append(UnsafeRawBufferPointer(values)) }  // little-endian host
            var chunk = [UInt16](repeating: 0, count: min(values.count, 1 << 16))
            var start = 0
            while start < values.count {
                let n = min(chunk.count, values.count - start)
                for i in 0..<n {
                    chunk[i] = encoding == .f16 ? floatToHalf(values[start + i]) : floatToBFloat16(values[start + i])
                }
                try chunk.withUnsafeBytes { try append(UnsafeRawBufferPointer(rebasing: $0.prefix(2 * n))) }
                start += n
            }
        }
    }

    mutating func flush() throws {
        try buffer.withUnsafeBytes { try AtomicFile.writeAll($0, to: fd, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// How `ByteSink.append(_:as:)` stores floats.
enum FloatEncoding { case f32, f16, bf16 }

/// Calls `body` with a tensor's values in row-major order, copying only when the tensor is a strided view.
func withContiguousValues<R>(_ tensor: Tensor, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    if tensor.isContiguous { return try body(UnsafeBufferPointer(start: tensor.pointer, count: tensor.count)) }
    return try tensor.values.withUnsafeBufferPointer(body)
}

/// Writes `path` atomically (`AtomicFile`), `body` appending its bytes to a sink.
func writeAtomically(to path: String, _ body: (inout ByteSink) throws -> Void) throws {
    try AtomicFile.write(to: path) { fd in
        var sink = ByteSink(fd: fd, path: path)
        try body(&sink)
        try sink.flush()
    }
}
