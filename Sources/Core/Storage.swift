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

/// A caching allocator keyed by exact element count, like the caching allocators of GPU frameworks.
public final class BufferPool: Sendable {
    public static let shared = BufferPool()

    private struct Free: ~Copyable {
        var lists: [Int: [UInt]] = [:]  // addresses, so the state is Sendable
    }
    private let free = Mutex(Free())

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(count, 1)
        let reused: UInt? = free.withLock { state in
            guard var list = state.lists[n], let p = list.popLast() else { return nil }
            state.lists[n] = list
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
        let n = max(count, 1)
        let address = UInt(bitPattern: p)
        free.withLock { state in
            state.lists[n, default: []].append(address)
        }
    }

    /// Returns every cached buffer to the system.
    public func trim() {
        let lists = free.withLock { state -> [Int: [UInt]] in
            let l = state.lists
            state.lists = [:]
            return l
        }
        for (_, ps) in lists { for p in ps { Foundation.free(UnsafeMutableRawPointer(bitPattern: p)) } }
    }
}
