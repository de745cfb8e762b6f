import Core

/// A little-endian cursor over a file's bytes.
///
/// Every read checks the bytes that remain and throws a `FileError` that names what was being read,
/// so a truncated or hostile file can never read out of bounds.
struct BinaryReader {
    let file: FileBytes
    private(set) var offset: Int

    init(_ file: FileBytes, offset: Int = 0) {
        self.file = file
        self.offset = offset
    }

    var remaining: Int { file.count - offset }

    func error(_ reason: String) -> FileError { FileError(path: file.path, reason) }

    private func truncated(_ what: String, needing count: Int) -> FileError {
        error("file ends while reading \(what): needs \(count) bytes at offset \(offset), file size is \(file.count)")
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw truncated(what(), needing: size) }
        let value = file.bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    mutating func float32(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func float64(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A u64 count, checked to fit in `Int`.
    mutating func count(_ what: @autoclosure () -> String) throws -> Int {
        let raw = try read(UInt64.self, what())
        guard let n = Int(exactly: raw) else { throw error("\(what()) \(raw) is too large") }
        return n
    }

    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw truncated(what(), needing: count) }
        let slice = UnsafeRawBufferPointer(rebasing: file.bytes[offset..<(offset + count)])
        offset += count
        return slice
    }

    /// A string stored as a u64 byte length and UTF-8 bytes. The length is checked against the bytes that
    /// remain before anything is allocated, and invalid UTF-8 is an error rather than silently repaired.
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let length = try count("length of \(what())")
        let utf8 = try bytes(length, what())
        guard let s = String(validating: utf8, as: UTF8.self) else {
            throw error("\(what()) at offset \(offset - length) is not valid UTF-8")
        }
        return s
    }
}

/// `a + b`, or nil on overflow. Sizes computed from file values go through these so a hostile value
/// cannot wrap around into a plausible one.
func checkedSum(_ a: Int, _ b: Int) -> Int? {
    let (r, overflow) = a.addingReportingOverflow(b)
    return overflow ? nil : r
}

/// `a * b`, or nil on overflow.
func checkedProduct(_ a: Int, _ b: Int) -> Int? {
    let (r, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? nil : r
}

/// The product of `dims`, or nil on overflow.
func checkedProduct(_ dims: [Int]) -> Int? {
    var n = 1
    for d in dims {
        guard let p = checkedProduct(n, d) else { return nil }
        n = p
    }
    return n
}
