import Foundation
import Core

/// `metrics.jsonl`: one `MetricsRow` per line, appended and written through to the file line by line, so
/// the log is current while training runs and complete up to the last line if the process dies.
///
/// A fresh run starts an empty log. A resumed run keeps the rows up to the step it resumed from and drops
/// the rest (they belong to steps that will be trained again), so the file never holds a step twice.
public final class MetricsLog {
    public let url: URL
    private let fd: Int32

    /// Opens the log for appending. `resumingFrom` is the step of the checkpoint a run resumes from (nil
    /// for a fresh run): rows after it, and a torn last line, are removed first.
    public init(url: URL, resumingFrom step: Int? = nil) throws {
        self.url = url
        let kept = try step.map { try Self.lines(of: url, upTo: $0) } ?? []
        try AtomicFile.write(Data(kept.map { $0 + "\n" }.joined().utf8), to: url)
        fd = open(url.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: url.path, "cannot open for appending: \(FileError.systemReason())") }
    }

    deinit { close(fd) }

    /// Appends one row as one line.
    public func append(_ row: MetricsRow) throws {
        try AtomicFile.writeAll(Data((row.jsonLine + "\n").utf8), to: fd, path: url.path)
    }

    /// Every row of a log (a torn last line is skipped; any other bad line is an error naming it).
    public static func read(_ url: URL) throws -> [MetricsRow] {
        try parsedLines(of: url).map(\.row)
    }

    /// The lines of the log whose rows are at or before `step`.
    private static func lines(of url: URL, upTo step: Int) throws -> [String] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        return try parsedLines(of: url).filter { $0.row.step <= step }.map(\.text)
    }

    private static func parsedLines(of url: URL) throws -> [(text: String, row: MetricsRow)] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileError(path: url.path, "cannot read: \(error.localizedDescription)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [(String, MetricsRow)] = []
        let decoder = JSONDecoder()
        for (i, line) in lines.enumerated() where !line.isEmpty {
            do {
                out.append((String(line), try decoder.decode(MetricsRow.self, from: Data(line.utf8))))
            } catch {
                if i == lines.count - 1 { break }  // a line cut short by a crash: no newline after it
                throw FileError(path: url.path, "line \(i + 1) is not a metrics row: \(line.prefix(80))")
            }
        }
        return out
    }
}
