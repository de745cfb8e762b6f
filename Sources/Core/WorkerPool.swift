import Foundation
import Synchronization
import CQuant

/// Worker threads that stay awake between parallel regions. Decoding one token runs about 150 short parallel
/// regions (each matrix product, attention); waking sleeping threads for each (as Dispatch does) costs several
/// microseconds a region. Workers here spin for a while after each region, so the next one starts at once,
/// and sleep on a semaphore when no work comes.
///
/// The calling thread takes part: chunks are claimed from one atomic ticket that holds the region's number,
/// its chunk count and the next chunk, so a worker late from an earlier region can never claim a chunk of
/// the next one. A call made while the pool is busy (from inside a region, or from a second thread) runs its
/// chunks on the calling thread.
final class WorkerPool: @unchecked Sendable {
    let workers: Int
    /// region (bits 40…63) | chunks (20…39) | next chunk (0…19).
    private let ticket = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    /// Bit i set: worker i is asleep (or about to be) on `wake[i]`.
    private let sleeping = Atomic<Int>(0)
    private let wake: [DispatchSemaphore]
    /// The current region's body; written before its ticket is published, read only after a chunk is claimed.
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    private var region = 0

    /// Spins about this many times (tens of microseconds) before sleeping.
    private static let spins = 20_000
    static let maxChunks = 1 << 20

    init(workers: Int) {
        self.workers = min(workers, Int.bitWidth - 2)
        wake = (0..<self.workers).map { _ in DispatchSemaphore(value: 0) }
        for i in 0..<self.workers {
            let thread = Thread { self.loop(i) }  // the thread keeps the pool alive until `stop`
            thread.name = "remask-worker-\(i)"
            thread.start()
        }
    }

    /// Runs `body(c)` for every c in 0..<chunks, in parallel; returns when all are done.
    func run(_ chunks: Int, _ body: (Int) -> Void) {
        guard workers > 0, chunks > 1, chunks < Self.maxChunks,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for c in 0..<chunks { body(c) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            region = (region + 1) & 0xFF_FFFF
            unfinished.store(chunks, ordering: .relaxed)
            ticket.store(region << 40 | chunks << 20, ordering: .releasing)
            var asleep = sleeping.exchange(0, ordering: .acquiringAndReleasing)
            while asleep != 0 {
                wake[asleep.trailingZeroBitCount].signal()
                asleep &= asleep - 1
            }
            work(region: region)
            while unfinished.load(ordering: .acquiring) > 0 { cq_spin_pause() }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs chunks of region `region` until none is left.
    private func work(region: Int) {
        while true {
            let t = ticket.load(ordering: .acquiring)
            let chunks = (t >> 20) & (Self.maxChunks - 1), next = t & (Self.maxChunks - 1)
            guard t >> 40 == region, next < chunks else { return }
            guard ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiring).exchanged else { continue }
            job!(next)
            unfinished.subtract(1, ordering: .releasing)
        }
    }

    private func loop(_ index: Int) {
        let bit = 1 << index
        var seen = ticket.load(ordering: .acquiring) >> 40
        while !stopping.load(ordering: .acquiring) {
            var spun = 0
            while ticket.load(ordering: .relaxed) >> 40 == seen && spun < Self.spins {
                cq_spin_pause()
                spun += 1
            }
            if ticket.load(ordering: .acquiring) >> 40 == seen {
                sleeping.bitwiseOr(bit, ordering: .acquiringAndReleasing)
                if ticket.load(ordering: .acquiring) >> 40 == seen && !stopping.load(ordering: .acquiring) {
                    wake[index].wait()
                } else if sleeping.bitwiseAnd(~bit, ordering: .acquiringAndReleasing).oldValue & bit == 0 {
                    wake[index].wait()  // `run` took the bit and signals: take that signal now
                }
                continue
            }
            seen = ticket.load(ordering: .acquiring) >> 40
            work(region: seen)
        }
    }

    /// Lets the workers end once they are idle.
    func stop() {
        stopping.store(true, ordering: .releasing)
        for w in wake { w.signal() }
    }
}
