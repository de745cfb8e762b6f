import Dispatch
import Foundation
import COpenBLAS

/// Thread settings for CPU kernels and OpenBLAS.
public enum Parallel {
    nonisolated(unsafe) private static var _threads: Int = {
        // OpenBLAS runs inside remask's own workers (see BLAS), one thread per call.
        openblas_set_num_threads(1)
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// The workers that run every parallel region besides the calling thread; made at first use.
    nonisolated(unsafe) private static var _pool: WorkerPool?
    private static let poolLock = NSLock()

    private static var pool: WorkerPool {
        poolLock.lock()
        defer { poolLock.unlock() }
        if let p = _pool, p.workers == _threads - 1 { return p }
        _pool?.stop()
        let p = WorkerPool(workers: _threads - 1)
        _pool = p
        return p
    }

    /// Worker threads for every kernel, GEMMs included. Set once at start-up.
    public static var threads: Int {
        get { _threads }
        set {
            check(newValue >= 1, "Parallel.threads: must be at least 1, got \(newValue)")
            _threads = newValue
        }
    }

    /// Splits `0..<count` into at most `threads` contiguous chunks of at least `minChunk` items and runs
    /// `body` on each chunk concurrently. Chunk boundaries depend only on `count`, `minChunk` and the thread
    /// count, so results that combine per-chunk partials are deterministic.
    @inline(__always)
    public static func forChunks(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = chunkCount(count, minChunk: minChunk)
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        pool.run(chunks) { c in body(chunkRange(c, of: chunks, count: count)) }
    }

    /// Runs `body(c)` for c in 0..<chunks on the workers, each claiming the next chunk as it finishes one: for
    /// work whose results do not depend on how it is split, in more chunks than threads to even out the load.
    public static func forEachChunk(_ chunks: Int, _ body: (Int) -> Void) {
        if threads == 1 || chunks <= 1 {
            for c in 0..<chunks { body(c) }
            return
        }
        pool.run(chunks, body)
    }

    /// The number of chunks `forChunks` uses.
    public static func chunkCount(_ count: Int, minChunk: Int = 1) -> Int {
        min(threads, max(1, count / max(1, minChunk)))
    }

    /// Which chunk of `forChunks(count, …)` the range `r` is.
    public static func chunkIndex(of r: Range<Int>, count: Int, chunks: Int) -> Int {
        // chunkRange's lower bound is c·count/chunks; invert it, then correct for rounding.
        guard count > 0 else { return 0 }
        var c = min(chunks - 1, r.lowerBound * chunks / count)
        while c > 0 && chunkRange(c, of: chunks, count: count).lowerBound > r.lowerBound { c -= 1 }
        while c + 1 < chunks && chunkRange(c + 1, of: chunks, count: count).lowerBound <= r.lowerBound { c += 1 }
        return c
    }

    /// Chunk `c` of `chunks` over `0..<count`.
    public static func chunkRange(_ c: Int, of chunks: Int, count: Int) -> Range<Int> {
        (c * count / chunks)..<((c + 1) * count / chunks)
    }
}

/// Carries a non-Sendable value (a closure over raw buffers) into concurrent work whose safety the caller
/// guarantees by giving each worker disjoint memory.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
