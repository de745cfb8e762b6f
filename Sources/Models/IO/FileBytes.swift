import Foundation
import Core

/// The read-only bytes of a model file.
///
/// Files are memory-mapped: opening a 100 MB checkpoint copies nothing, and only the tensors that are read
/// are paged in. `@unchecked Sendable` is sound because the bytes never change after `init` and the mapping
/// lives exactly as long as this object.
final class FileBytes: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Maps the file at `path`.
    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError(path: path, "cannot open: \(FileError.systemReason())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(path: path, "cannot stat: \(FileError.systemReason())") }
        // S_IFMT / S_IFREG are macros Swift does not import on every platform.
        guard info.st_mode & 0o170000 == 0o100000 else {
            throw FileError(path: path, "not a regular file")
        }
        let size = Int(info.st_size)
        self.path = path
        self.mapped = size > 0
        guard size > 0 else {  // mmap rejects empty lengths
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              base != UnsafeMutableRawPointer(bitPattern: -1) else {  // MAP_FAILED
            throw FileError(path: path, "cannot map \(size) bytes: \(FileError.systemReason())")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// A private copy of `data`, reported under `name` (for bytes that are not in a file).
    init(copying data: Data, name: String) {
        path = name
        mapped = false
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        data.withUnsafeBytes { buffer.copyMemory(from: $0) }
        bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: data.count)
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else if let base = bytes.baseAddress {
            base.deallocate()
        }
    }

    var count: Int { bytes.count }

    /// `bytes[range]`, or an error naming `what` when the range is not inside the file.
    func slice(_ range: Range<Int>, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw FileError(path: path, "\(what()) (bytes \(range.lowerBound)..<\(range.upperBound)) lies outside the file (size \(count))")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[range])
    }

}
