import Foundation

/// The trainer's progress line on standard error: a bar, step of total, the loss and its parts, tokens per
/// second and the time left. Redraws in place at most ten times a second on a terminal; elsewhere (a log
/// file, CI) prints a plain line at most every ten seconds, and always for the last step.
public final class TrainingProgress {
    public let totalSteps: Int
    private let firstStep: Int
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let isTerminal = isatty(2) == 1

    /// `firstStep` is the step the run starts (or resumes) from; the time left is estimated from the steps
    /// taken since.
    public init(totalSteps: Int, firstStep: Int = 0) {
        self.totalSteps = totalSteps
        self.firstStep = firstStep
    }

    /// Shows `step` (steps completed) with named values such as `("loss", 2.31), ("ce_full", 2.4)`.
    public func update(step: Int, values: [(String, Double)], tokensPerSecond: Double) {
        let now = Date()
        guard step >= totalSteps || now.timeIntervalSince(lastDraw) >= (isTerminal ? 0.1 : 10) else { return }
        lastDraw = now
        let done = step - firstStep
        let eta = done > 0 ? now.timeIntervalSince(start) / Double(done) * Double(totalSteps - step) : nil
        let text = Self.line(step: step, total: totalSteps, values: values, tokensPerSecond: tokensPerSecond, eta: eta)
        FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
    }

    /// Ends the redrawn line (call before printing anything else).
    public func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// The progress text, e.g. `train ██████░░░░ 120/400 30% loss 2.3145 ce_full 2.4011 | 812 tok/s | ETA 3:05`.
    static func line(step: Int, total: Int, values: [(String, Double)], tokensPerSecond: Double, eta: Double?) -> String {
        let width = 20, filled = total > 0 ? min(width, width * step / total) : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let percent = total > 0 ? 100 * step / total : 100
        let parts = values.map { "\($0.0) \(String(format: "%.4f", $0.1))" }.joined(separator: " ")
        return "train \(bar) \(step)/\(total) \(percent)% \(parts) | \(String(format: "%.0f", tokensPerSecond)) tok/s | ETA \(eta.map(clock) ?? "--:--")"
    }

    /// `m:ss`, or `h:mm:ss` from an hour.
    static func clock(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
