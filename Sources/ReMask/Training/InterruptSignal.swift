import Foundation
import Synchronization

/// Ctrl-C (SIGINT) and SIGTERM as a request the training loop polls: the first signal sets a flag, so the
/// loop can finish its step, save a checkpoint and exit cleanly; a second one exits at once (status 128 +
/// the signal's number: 130 for Ctrl-C).
///
/// A rank of an `mpirun` job (`install(rankOf:)`) differs, because mpirun answers Ctrl-C and SIGTERM by sending
/// every rank SIGTERM and, a second later, SIGKILL, and ends the job the same way when a rank fails: there
/// SIGUSR1, which mpirun forwards to every rank, is the request to save and stop (as is SIGINT sent to a rank
/// itself), and SIGTERM means the job is ending: the rank says so, naming the last checkpoint, and exits.
///
/// The handler only touches lock-free atomics and calls `write` and `_exit`, which is all a signal handler
/// may safely do.
public enum InterruptSignal {
    /// Starts catching SIGINT and SIGTERM (calling it again changes nothing).
    public static func install() {
        distributedRank.store(-1, ordering: .sequentiallyConsistent)
        signal(SIGINT, handle)
        signal(SIGTERM, handle)
    }

    /// Starts catching signals as rank `rank` of an `mpirun` job of `size` ranks.
    public static func install(rank: Int, of size: Int) {
        guard size > 1 else { return install() }
        distributedRank.store(rank, ordering: .sequentiallyConsistent)
        signal(SIGINT, handle)
        signal(SIGUSR1, handle)
        signal(SIGTERM, handleJobEnd)
    }

    /// Restores the default actions (the process dies on the next signal) and clears the request.
    public static func uninstall() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGUSR1, SIG_DFL)
        received.store(0, ordering: .sequentiallyConsistent)
    }

    /// The signal that asked the run to stop (SIGINT, SIGTERM or, under mpirun, SIGUSR1), or nil while none has.
    public static var requested: Int32? {
        let signal = received.load(ordering: .sequentiallyConsistent)
        return signal == 0 ? nil : signal
    }

    /// The conventional exit status after stopping for `signal` (128 + its number: 130 for Ctrl-C).
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }

    /// The checkpoint a rank ended by mpirun names in its message (the latest one saved).
    public static func setLastCheckpoint(_ path: String?) {
        let text = "remask rank \(max(distributedRank.load(ordering: .sequentiallyConsistent), 0)): the job is ending (a rank failed or mpirun was stopped); "
            + (path.map { "the last checkpoint is \($0): run the same command with --resume to continue\n" } ?? "no checkpoint was saved yet\n")
        // Its length, then its bytes, in one block that one atomic store publishes.
        let bytes = Array(text.utf8)
        let block = UnsafeMutableRawPointer.allocate(byteCount: 8 + bytes.count, alignment: 8)
        block.storeBytes(of: bytes.count, as: Int.self)
        bytes.withUnsafeBytes { (block + 8).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        // The previous message is leaked on purpose: a handler may be writing it right now.
        jobEndMessage.store(UInt(bitPattern: block), ordering: .sequentiallyConsistent)
    }
}

/// The first signal received (0: none).
private let received = Atomic<Int32>(0)
/// This process's rank under mpirun, -1 for a plain process.
private let distributedRank = Atomic<Int>(-1)
/// What a rank writes when mpirun ends the job: the address of its length and bytes.
private let jobEndMessage = Atomic<UInt>(0)

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

private func handleJobEnd(_ signal: Int32) {
    if let block = UnsafeRawPointer(bitPattern: jobEndMessage.load(ordering: .sequentiallyConsistent)) {
        _ = write(2, block + 8, block.load(as: Int.self))
    } else {
        let message: StaticString = "remask: the job is ending (a rank failed or mpirun was stopped)\n"
        _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
    }
    _exit(InterruptSignal.exitStatus(for: signal))
}
