import Foundation

/// A one-line progress bar on standard error: count, percentage, rate, ETA and a status text.
/// Redraws at most ten times a second; prints plain lines when standard error is not a terminal.
final class ProgressBar {
    let total: Int
    let label: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let isTTY = isatty(2) == 1

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func update(_ done: Int, _ status: String = "") {
        let now = Date()
        let finished = done >= total
        if !finished && now.timeIntervalSince(lastDraw) < (isTTY ? 0.1 : 10) { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 24, filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let line = String(format: "%@ %@ %d/%d %3.0f%% %.1f/s ETA %@ %@", label, bar, done, total,
                          100 * Double(done) / Double(max(total, 1)), rate, Self.clock(eta), status)
        FileHandle.standardError.write(Data((isTTY ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    func finish() {
        if isTTY { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
