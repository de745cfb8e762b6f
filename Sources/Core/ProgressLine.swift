import Foundation

/// The tool's one progress line, on standard error: a label, a bar, done of total, a percentage, a status and
/// the time left — `train ██████░░░░░░░░░░░░░░ 120/400 30% loss 2.3145 | 812 tok/s | ETA 3:05`. Redraws in
/// place at most ten times a second on a terminal; elsewhere (a log file, CI) prints a plain line at most every
/// ten seconds, and always the last.
public final class ProgressLine {
    public let label: String
    public let total: Int
    private let first: Int
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let isTerminal = isatty(2) == 1

    /// `first` is where the work starts (or resumes) from; the time left is estimated from the progress since.
    public init(_ label: String, total: Int, first: Int = 0) {
        self.label = label
        self.total = total
        self.first = first
    }

    /// Shows `done` of `total` with a status text (`loss 2.31 | 812 tok/s`).
    public func update(_ done: Int, _ status: String = "") {
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDraw) >= (isTerminal ? 0.1 : 10) else { return }
        lastDraw = now
        let progressed = done - first
        let eta = progressed > 0 ? now.timeIntervalSince(start) / Double(progressed) * Double(total - done) : nil
        let text = Self.text(label, done: done, total: total, status: status, eta: eta)
        FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
    }

    /// Ends the redrawn line (call before printing anything else).
    public func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// The line's text.
    public static func text(_ label: String, done: Int, total: Int, status: String, eta: Double?) -> String {
        let width = 20, filled = total > 0 ? max(0, min(width, width * done / total)) : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let percent = total > 0 ? 100 * done / total : 100
        return "\(label) \(bar) \(done)/\(total) \(percent)%\(status.isEmpty ? "" : " " + status) | ETA \(eta.map(clock) ?? "--:--")"
    }

    /// `m:ss`, or `h:mm:ss` from an hour.
    public static func clock(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
