import Foundation

/// Whole-file writes that never leave a half-written file: the bytes go to a temporary file in the same
/// folder, are synced to disk, and the temporary file is renamed over the target. A reader sees the old
/// file or the new one; a failed write leaves the old one intact and removes the temporary file.
public enum AtomicFile {
    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        let path = url.path
        let temp = "\(path).tmp-\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw TrainingFileError(path: path, "cannot create temporary file \(temp): \(TrainingFileError.systemReason())")
        }
        var isOpen = true
        defer { if isOpen { close(fd) } }
        do {
            try writeAll(data, to: fd, path: path)
            guard fsync(fd) == 0 else { throw TrainingFileError(path: path, "cannot sync: \(TrainingFileError.systemReason())") }
            isOpen = false
            guard close(fd) == 0 else { throw TrainingFileError(path: path, "cannot close: \(TrainingFileError.systemReason())") }
            guard rename(temp, path) == 0 else {
                throw TrainingFileError(path: path, "cannot rename \(temp) into place: \(TrainingFileError.systemReason())")
            }
        } catch {
            unlink(temp)
            throw error
        }
        syncDirectory(url.deletingLastPathComponent().path)
    }

    /// Writes all of `data` to an open file descriptor, retrying short and interrupted writes.
    static func writeAll(_ data: Data, to fd: Int32, path: String) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var done = 0
            while done < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw TrainingFileError(path: path, "cannot write: \(TrainingFileError.systemReason())") }
                done += n
            }
        }
    }

    /// Syncs a folder's entries, so that a rename inside it survives a crash. Best effort: some file
    /// systems cannot sync folders, and the rename itself has already succeeded.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
