import Foundation

/// The processes that train one model together (data parallelism): each computes the gradients of its share of
/// a global batch and the group sums them. A process on its own is a group of one (`SingleProcess`); under
/// `mpirun` the group is MPI's world (the MessagePassing module).
///
/// Every method is collective: each process of the group calls it, in the same order, with buffers of the same
/// size, or the group waits for the missing one.
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's place in the group, from 0; rank 0 writes the run's files.
    var rank: Int { get }
    /// Processes in the group.
    var size: Int { get }
    /// Replaces `buffer` on every process by the element-wise sum over the group.
    func sum(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// Replaces `buffer` on every process by the element-wise sum over the group.
    func sum(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Copies rank `root`'s bytes into every other process's `buffer`.
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int)
    /// Seconds spent in `sum` of Float buffers since the group was made (the gradient all-reduce's cost).
    var communicationSeconds: Double { get }
}

/// One process alone: every collective operation leaves the buffers as they are.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func sum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {}
    public var communicationSeconds: Double { 0 }
}

extension ProcessGroup {
    /// Whether this process writes the run's files and talks to the person running it.
    public var isLeader: Bool { rank == 0 }

    /// Element-wise sums of `values` over the group.
    public func sum(_ values: [Double]) -> [Double] {
        var out = values
        out.withUnsafeMutableBufferPointer { sum($0) }
        return out
    }

    /// Rank `root`'s bytes, on every process (the others pass anything, e.g. empty data).
    public func broadcast(_ data: Data, root: Int = 0) -> Data {
        guard size > 1 else { return data }
        var length = [Double(data.count)]
        length.withUnsafeMutableBytes { broadcast($0, root: root) }
        var bytes = rank == root ? [UInt8](data) : [UInt8](repeating: 0, count: Int(length[0]))
        bytes.withUnsafeMutableBytes { broadcast($0, root: root) }
        return Data(bytes)
    }

    /// Rank `root`'s floats, copied into `pointer[0..<count]` on every process.
    public func broadcast(_ pointer: UnsafeMutablePointer<Float>, count: Int, root: Int = 0) {
        guard size > 1 else { return }
        broadcast(UnsafeMutableRawBufferPointer(start: pointer, count: count * MemoryLayout<Float>.stride), root: root)
    }

    /// Whether any process of the group says yes.
    public func any(_ flag: Bool) -> Bool {
        size == 1 ? flag : sum([flag ? 1 : 0])[0] > 0
    }

    /// Checks that every process holds the same `settings` (names and values; `what` they are, for the message):
    /// if one does not, throws on every process, each naming every rank's settings that differ from rank 0's (each
    /// rank's detail is broadcast, so whichever process reports first has the whole story).
    public func requireSame(_ settings: [String: String], what: String) throws {
        guard size > 1 else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let mine = (try? encoder.encode(settings)) ?? Data()
        let leaders = (try? JSONDecoder().decode([String: String].self, from: broadcast(mine))) ?? [:]
        let differing = Set(leaders.keys).union(settings.keys).filter { leaders[$0] != settings[$0] }.sorted()
        guard any(!differing.isEmpty) else { return }
        let local = differing.isEmpty ? "" : "rank \(rank) holds \(what) that differ from rank 0's ("
            + differing.map { "\($0): rank 0 \(leaders[$0] ?? "unset"), rank \(rank) \(settings[$0] ?? "unset")" }
                .joined(separator: "; ") + ")"
        let all = (0..<size).map { String(decoding: broadcast(Data(local.utf8), root: $0), as: UTF8.self) }
        throw ProcessGroupError(all.filter { !$0.isEmpty }.joined(separator: "; "))
    }
}

/// A process group that cannot start or whose processes disagree.
public struct ProcessGroupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
