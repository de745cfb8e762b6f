import Core
import Foundation

/// The `checkpoints` folder of a run: saves complete checkpoints atomically, keeps the newest few, and
/// finds the newest for `--resume`.
///
/// A save writes `step-000120.tmp-<pid>/`, syncs every file, and renames the folder to `step-000120/`, so a
/// folder named `step-N` is always complete; an interrupted save leaves only a `.tmp-` folder, which
/// listings ignore and the next save removes. The newest checkpoint is the one with the highest step.
public struct CheckpointDirectory: Sendable {
    /// `<output>/checkpoints`.
    public let url: URL
    /// How many checkpoints to keep (at least 1).
    public let keep: Int

    public init(output: URL, keep: Int = 3) {
        check(keep >= 1, "CheckpointDirectory: keep must be at least 1, got \(keep)")
        self.url = output.appendingPathComponent("checkpoints")
        self.keep = keep
    }

    /// The folder of the checkpoint at `step`.
    public func folder(step: Int) -> URL {
        let digits = String(step)
        return url.appendingPathComponent("step-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits)
    }

    /// Saves a complete checkpoint for `state.step` (replacing one of the same step), then removes all but
    /// the newest `keep`; the one just saved is never removed. Returns its folder.
    @discardableResult
    public func save(model: [CheckpointTensor], optimizer: [CheckpointTensor], state: TrainerState) throws -> URL {
        try makeFolder()
        try removeLeftovers()
        let final = folder(step: state.step)
        let temp = URL(fileURLWithPath: final.path + ".tmp-\(getpid())")
        try fileOperation(temp.path) { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: false) }
        do {
            try Checkpoint.write(model: model, optimizer: optimizer, state: state, to: temp)
            AtomicFile.syncDirectory(temp.path)
            try moveIntoPlace(temp, final)
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
        AtomicFile.syncDirectory(url.path)
        try prune(keeping: state.step)
        return final
    }

    /// Steps of the complete checkpoints, ascending.
    public func steps() throws -> [Int] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        return try entries().compactMap(Self.step(ofFolder:)).sorted()
    }

    /// The newest complete checkpoint, validated; nil when there is none.
    public func latest() throws -> Checkpoint? {
        guard let step = try steps().last else { return nil }
        return try Checkpoint(at: folder(step: step))
    }

    /// The newest checkpoint that reads back whole, and a line for each newer one that does not (an empty or
    /// damaged `step-N` folder): resume falls back past them rather than stopping.
    public func latestValid() throws -> (checkpoint: Checkpoint?, skipped: [String]) {
        var skipped: [String] = []
        for step in try steps().reversed() {
            do {
                return (try Checkpoint(at: folder(step: step)), skipped)
            } catch {
                skipped.append("\(folder(step: step).lastPathComponent): \(error)")
            }
        }
        return (nil, skipped)
    }

    /// Removes the checkpoints after `step`: when a run resumes from an older checkpoint, the newer ones
    /// belong to the abandoned continuation (as do their metrics rows, which `MetricsLog` drops).
    public func discard(after step: Int) throws {
        for s in try steps() where s > step { try remove(folder(step: s)) }
    }

    /// The step of a folder named `step-<digits>`; nil for anything else.
    static func step(ofFolder name: String) -> Int? {
        guard name.hasPrefix("step-") else { return nil }
        let digits = name.dropFirst(5)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    private func makeFolder() throws {
        try fileOperation(url.path) { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    }

    private func entries() throws -> [String] {
        try fileOperation(url.path) { try FileManager.default.contentsOfDirectory(atPath: url.path) }
    }

    /// Folders left by interrupted saves (`.tmp-`) or replacements (`.old-`).
    private func removeLeftovers() throws {
        for name in try entries() where name.contains(".tmp-") || name.contains(".old-") {
            try remove(url.appendingPathComponent(name))
        }
    }

    /// Renames the finished folder to its final name, first moving aside a checkpoint of the same step.
    private func moveIntoPlace(_ temp: URL, _ final: URL) throws {
        var replaced: URL?
        if FileManager.default.fileExists(atPath: final.path) {
            let old = URL(fileURLWithPath: final.path + ".old-\(getpid())")
            try rename(final, old)
            replaced = old
        }
        try rename(temp, final)
        if let replaced { try remove(replaced) }
    }

    private func prune(keeping step: Int) throws {
        let others = try steps().filter { $0 != step }
        for s in others.dropLast(keep - 1) { try remove(folder(step: s)) }
    }

    private func rename(_ from: URL, _ to: URL) throws {
        guard Foundation.rename(from.path, to.path) == 0 else {
            throw FileError(path: to.path, "cannot rename \(from.lastPathComponent) into place: \(String(cString: strerror(errno)))")
        }
    }

    private func remove(_ folder: URL) throws {
        try fileOperation(folder.path) { try FileManager.default.removeItem(at: folder) }
    }

    /// Runs a FileManager call, reporting its failure as a `FileError` on `path`.
    private func fileOperation<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw FileError(path: path, (error as NSError).localizedFailureReason ?? error.localizedDescription)
        }
    }
}
