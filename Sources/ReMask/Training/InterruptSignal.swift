import Foundation
import Synchronization

/// Ctrl-C (SIGINT) and SIGTERM as a request the training loop polls: the first signal sets a flag, so the
/// loop can finish its step, save a checkpoint and exit cleanly; a second one exits at once (status 128 +
/// the signal's number: 130 for Ctrl-C).
///
/// The handler only touches a lock-free atomic and calls `write` and `_exit`, which is all a signal
/// handler may safely do.
public enum InterruptSignal {
    /// Starts catching SIGINT and SIGTERM (calling it again changes nothing).
    public static func install() {
        signal(SIGINT, handle)
        signal(SIGTERM, handle)
    }

    /// Restores the default actions (the process dies on the next signal) and clears the request.
    public static func uninstall() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        received.store(0, ordering: .sequentiallyConsistent)
    }

    /// The signal that asked the run to stop (SIGINT or SIGTERM), or nil while none has.
    public static var requested: Int32? {
        let signal = received.load(ordering: .sequentiallyConsistent)
        return signal == 0 ? nil : signal
    }

    /// The conventional exit status after stopping for `signal` (128 + its number: 130 for Ctrl-C).
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }
}

/// The first signal received (0: none).
private let received = Atomic<Int32>(0)

private func handle(_ signal: Int32) {
    let (exchanged, _) = received.compareExchange(expected: 0, desired: signal, ordering: .sequentiallyConsistent)
    if exchanged {
        let message: StaticString = "\nremask: stopping after this step and saving a checkpoint (interrupt again to quit at once)\n"
        _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
    } else {
        let message: StaticString = "\nremask: interrupted again; quitting without saving\n"
        _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
        _exit(InterruptSignal.exitStatus(for: signal))
    }
}
