import Foundation
import Core

/// What a command may write over, so that nothing a user owns is destroyed: an output is never one of the
/// command's own inputs (or a folder holding one), never "" or the root folder; an existing file is replaced,
/// and a non-empty folder that remask did not create is written into, only with `--overwrite`. A folder remask
/// creates for output carries a marker file, so that the next run (a resume, a rerun) may use it again, and a
/// lock while a run uses it, so that a second run on it stops and names the first.
public enum OutputPolicy {
    /// The marker in every output folder remask creates.
    public static let marker = ".remask-output"
    /// The lock file of a folder in use; it holds a line naming the holder.
    public static let lockName = ".remask-lock"

    /// Prepares `path` as an output folder and returns its lock (nil when `lock` is false: the caller shares the
    /// folder and locks finer parts of it). `flag` names the option in messages (`--out`).
    public static func claimFolder(_ path: String, inputs: [String], overwrite: Bool, lock: Bool = true,
                                   flag: String = "--out", command: String = "remask") throws -> FileLock? {
        let url = try checkPath(path, inputs: inputs, flag: flag)
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw FileError(path: url.path, "\(flag) is a file, not a folder") }
            let contents = try fm.contentsOfDirectory(atPath: url.path).filter { $0 != marker && $0 != lockName }
            let marked = fm.fileExists(atPath: url.appendingPathComponent(marker).path)
            if !contents.isEmpty && !overwrite && !marked && !isRemaskFolder(contents) {
                throw FileError(path: url.path, "\(flag) is a folder remask did not create and it is not empty "
                    + "(\(contents.sorted().prefix(3).joined(separator: ", "))\(contents.count > 3 ? ", …" : "")); choose an empty or new folder, "
                    + "or add --overwrite to write into it")
            }
        }
        try OutputDirectory.prepare(url)
        let markerURL = url.appendingPathComponent(marker)
        if !fm.fileExists(atPath: markerURL.path) {
            try AtomicFile.write(Data("an output folder of remask; remask may write into it again\n".utf8), to: markerURL)
        }
        guard lock else { return nil }
        let lockURL = url.appendingPathComponent(lockName)
        guard let held = try FileLock.tryLock(lockURL, holder: "pid \(getpid()), \(command), since \(ISO8601DateFormatter().string(from: Date()))") else {
            let holder = (try? String(contentsOf: lockURL, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            throw FileError(path: url.path, "is in use by another remask run (\(holder.isEmpty ? "holder unknown" : holder)); "
                                    + "wait for it to finish, or choose another \(flag)")
        }
        return held
    }

    /// Checks an output file before a command starts: not an input, not an existing file unless `overwrite`,
    /// and its folder exists. The write itself goes through `AtomicFile`.
    public static func checkFile(_ path: String, inputs: [String], overwrite: Bool, flag: String = "--out") throws {
        let url = try checkPath(path, inputs: inputs, flag: flag)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) {
            if isFolder.boolValue { throw FileError(path: url.path, "\(flag) is a folder, not a file") }
            if !overwrite { throw FileError(path: url.path, "\(flag) exists; add --overwrite to replace it") }
        }
        let folder = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw FileError(path: url.path, "cannot write \(flag): no such folder \(folder)")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw FileError(path: url.path, "cannot write \(flag): the folder \(folder) is not writable")
        }
    }

    /// The standardized output URL, after refusing "", "/" and any overlap with an input: the output is an input,
    /// or a folder an input lies in. Symbolic links are resolved, so another name for an input is caught too.
    static func checkPath(_ path: String, inputs: [String], flag: String) throws -> URL {
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw FileError(path: path, "\(flag) is empty; name an output")
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let resolved = url.resolvingSymlinksInPath().path
        guard resolved != "/" else { throw FileError(path: path, "\(flag) is the root folder; name an output") }
        for input in inputs where !input.isEmpty {
            let other = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
            if other == resolved {
                throw FileError(path: url.path, "\(flag) is one of this command's inputs (\(input)); write the output elsewhere")
            }
            if other.hasPrefix(resolved.hasSuffix("/") ? resolved : resolved + "/") {
                throw FileError(path: url.path, "\(flag) holds one of this command's inputs (\(input)); write the output elsewhere")
            }
        }
        return url
    }

    /// A folder written by a remask run before the marker existed: it holds `checkpoints/` or a study's record.
    private static func isRemaskFolder(_ contents: [String]) -> Bool {
        contents.contains("checkpoints") || contents.contains("study-config.txt")
    }
}
