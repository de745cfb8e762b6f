import Foundation
import Core

/// An exclusive advisory lock on a file (`flock`), held until `unlock()` or until the process ends — a
/// killed process never leaves a stale lock behind. Separate processes use it to claim shared work.
public final class FileLock {
    public let path: String
    private var fd: Int32

    /// Takes the lock without waiting; nil when another process holds it. `holder` (a line naming this
    /// process) replaces the file's contents once the lock is taken, for a refused process to report.
    public static func tryLock(_ url: URL, holder: String? = nil) throws -> FileLock? {
        try take(url, waiting: false, holder: holder)
    }

    /// Takes the lock, waiting while another process holds it.
    public static func lock(_ url: URL) throws -> FileLock {
        guard let lock = try take(url, waiting: true, holder: nil) else {
            throw FileError(path: url.path, "cannot lock")  // a waiting take returns a lock or throws
        }
        return lock
    }

    private static func take(_ url: URL, waiting: Bool, holder: String?) throws -> FileLock? {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileError(path: url.path, "cannot open the lock file: \(FileError.systemReason())")
        }
        var status: Int32
        repeat { status = flock(fd, waiting ? LOCK_EX : LOCK_EX | LOCK_NB) } while status != 0 && errno == EINTR
        if status == 0 {
            if let holder, ftruncate(fd, 0) == 0 { try? AtomicFile.writeAll(Data((holder + "\n").utf8), to: fd, path: url.path) }
            return FileLock(path: url.path, fd: fd)
        }
        let reason = errno
        close(fd)
        guard reason == EWOULDBLOCK && !waiting else {
            throw FileError(path: url.path, "cannot lock: \(String(cString: strerror(reason)))")
        }
        return nil
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    public func unlock() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { unlock() }
}
