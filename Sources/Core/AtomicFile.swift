import Foundation

/// Whole-file writes that never leave a half-written file: the bytes go to a temporary file in the same
/// folder, are synced to disk, and the temporary file is renamed over the target. A reader sees the old
/// file or the new one; a failed write leaves the old one intact and removes the temporary file.
public enum AtomicFile {
    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url.path) { fd in try writeAll(data, to: fd, path: url.path) }
    }

    /// Writes the file at `path` atomically, `body` writing its bytes to the temporary file's descriptor
    /// (for files streamed out in pieces, such as model files).
    public static func write(to path: String, _ body: (Int32) throws -> Void) throws {
        let temp = "\(path).tmp-\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileError(path: path, "cannot create temporary file \(temp): \(FileError.systemReason())")
        }
        var isOpen = true
        defer { if isOpen { close(fd) } }
        do {
            try body(fd)
            guard fsync(fd) == 0 else { throw FileError(path: path, "cannot sync: \(FileError.systemReason())") }
            isOpen = false
            guard close(fd) == 0 else { throw FileError(path: path, "cannot close: \(FileError.systemReason())") }
            guard rename(temp, path) == 0 else {
                throw FileError(path: path, "cannot rename \(temp) into place: \(FileError.systemReason())")
            }
        } catch {
            unlink(temp)
            throw error
        }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// Writes all of `data` to an open file descriptor, retrying short and interrupted writes.
    public static func writeAll(_ data: Data, to fd: Int32, path: String) throws {
        try data.withUnsafeBytes { try writeAll($0, to: fd, path: path) }
    }

    /// Writes all of `bytes` to an open file descriptor, retrying short and interrupted writes.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, base + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw FileError(path: path, "cannot write: \(FileError.systemReason())") }
            done += n
        }
    }

    /// Syncs a folder's entries, so that a rename inside it survives a crash. Best effort: some file
    /// systems cannot sync folders, and the rename itself has already succeeded.
    public static func syncDirectory(_ path: String) {
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
