import Foundation
import Synchronization

/// A contiguous buffer of Float32 values. Buffers come from `BufferPool` and go back to it when released,
/// so a training loop that repeats the same shapes allocates nothing after its first step.
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// A pooled buffer; its contents are unspecified.
    public init(uninitializedCount count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.take(count)
    }

    /// A pooled buffer filled with zeros.
    public convenience init(zeroedCount count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit {
        BufferPool.shared.give(pointer, count)
    }
}

/// A caching allocator, like the caching allocators of GPU frameworks. Requests are rounded up to size
/// classes (eight per doubling, so at most 12.5% is wasted), so batches of varying shapes reuse each other's
/// buffers instead of faulting in fresh pages every step. Free buffers beyond `cacheLimitBytes` go back to
/// the system, so the cache cannot grow without bound.
public final class BufferPool: Sendable {
    public static let shared = BufferPool()

    /// The most bytes kept in free buffers: a third of physical memory, at most 8 GiB. A training step frees
    /// its activations at the end and takes the same sizes again at the next step; a ReMask step on the
    /// SmolLM2-135M geometry at 4 × 256 frees more than 3 GiB, and with a 3 GiB cap the rest was faulted in
    /// afresh every step (~5% of the step).
    /// Shared by the processes training on this machine (ranks of one `mpirun` job), which each keep their part.
    public static var cacheLimitBytes: Int {
        Int(min(ProcessInfo.processInfo.physicalMemory / 3, 8 << 30)) / max(processesOnThisMachine.load(ordering: .relaxed), 1)
    }
    /// Processes that share this machine's memory and each keep a cache (set by a data-parallel launch).
    public static let processesOnThisMachine = Atomic<Int>(1)

    private struct Free: ~Copyable {
        var lists: [Int: [UInt]] = [:]  // addresses, so the state is Sendable
        var bytes = 0
    }
    private let free = Mutex(Free())

    /// The element count actually allocated for a request of `count`.
    static func sizeClass(_ count: Int) -> Int {
        let n = max(count, 1)
        if n <= 4096 { return (n + 63) & ~63 }
        let step = 1 << (Int.bitWidth - n.leadingZeroBitCount - 4)  // 1/8 of the power of two below n
        return (n + step - 1) / step * step
    }

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = Self.sizeClass(count)
        let reused: UInt? = free.withLock { state in
            guard var list = state.lists[n], let p = list.popLast() else { return nil }
            state.lists[n] = list
            state.bytes -= n * MemoryLayout<Float>.stride
            return p
        }
        if let p = reused, let ptr = UnsafeMutablePointer<Float>(bitPattern: p) { return ptr }
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride)
        guard status == 0, let raw else {
            fatalError("remask: out of memory allocating \(n * 4) bytes")
        }
        return raw.bindMemory(to: Float.self, capacity: n)
    }

    func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        let n = Self.sizeClass(count), bytes = n * MemoryLayout<Float>.stride
        let address = UInt(bitPattern: p)
        let kept = free.withLock { state -> Bool in
            guard state.bytes + bytes <= Self.cacheLimitBytes else { return false }
            state.lists[n, default: []].append(address)
            state.bytes += bytes
            return true
        }
        if !kept { Foundation.free(p) }
    }

    /// Returns every cached buffer to the system.
    public func trim() {
        let lists = free.withLock { state -> [Int: [UInt]] in
            let l = state.lists
            state.lists = [:]
            state.bytes = 0
            return l
        }
        for (_, ps) in lists { for p in ps { Foundation.free(UnsafeMutableRawPointer(bitPattern: p)) } }
    }
}
