import Foundation
import Core

/// The output folder of a training run, prepared before any model is loaded or step is taken, so that a
/// run that could not save its results fails in its first second rather than after hours of training.
public enum OutputDirectory {
    /// Creates `url` and any missing parents, then checks that files can be created in it by writing and
    /// removing a probe file. Throws a `FileError` naming the path when a component is a file,
    /// a folder cannot be created, or the folder is not writable.
    public static func prepare(_ url: URL) throws {
        let path = url.standardizedFileURL.path
        var prefix = ""  // a standardized file URL's path is absolute
        for component in path.split(separator: "/") {
            prefix += "/" + component
            try makeFolder(prefix, target: path)
        }
        try probe(path)
    }

    /// `mkdir` for one component; an existing folder is fine, an existing file is not.
    private static func makeFolder(_ folder: String, target: String) throws {
        if mkdir(folder, 0o755) == 0 { return }
        let reason = FileError.systemReason()
        var info = stat()
        guard stat(folder, &info) == 0 else {
            throw FileError(path: target, "cannot create folder \(folder): \(reason)")
        }
        guard info.st_mode & 0o170000 == 0o040000 else {  // S_IFMT, S_IFDIR
            throw FileError(path: target, folder == target
                ? "is a file, not a folder"
                : "cannot create the output folder: \(folder) is a file, not a folder")
        }
    }

    /// Creates, writes and removes a file in `folder`.
    private static func probe(_ folder: String) throws {
        let probe = "\(folder)/.remask-write-probe-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileError(path: folder, "folder is not writable: \(FileError.systemReason())")
        }
        defer { unlink(probe) }
        let written = write(fd, "ok", 2)
        let reason = FileError.systemReason()
        close(fd)
        guard written == 2 else { throw FileError(path: folder, "cannot write a file in the folder: \(reason)") }
    }
}
