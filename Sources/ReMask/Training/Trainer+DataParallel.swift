import Foundation
import Core

extension Trainer {
    /// The micro-batches of `batches` (planned by `planner`) this rank computes: dealt out so that the ranks' padded
    /// tokens balance (the largest first, each to the rank with the least so far; ties to the lower index), the
    /// same on every rank.
    func share(of batches: [[[Int]]], planner: BatchPlanner) -> [Int] {
        guard group.size > 1 else { return Array(batches.indices) }
        let costs = batches.map { planner.paddedTokens($0) }
        var load = [Int](repeating: 0, count: group.size)
        var mine: [Int] = []
        for j in batches.indices.sorted(by: { (costs[$0], $1) > (costs[$1], $0) }) {
            let rank = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
            load[rank] += costs[j]
            if rank == group.rank { mine.append(j) }
        }
        return mine.sorted()
    }

    /// `startingState()` on rank 0, which alone reads the folder (other hosts may not see it), then sent to every
    /// rank: the state and, when resuming, the trainable weights and the optimizer's buffers.
    func startingStateOnEveryRank() throws -> TrainerState {
        guard group.size > 1 else { return try startingState() }
        let encoded = group.isLeader ? try JSONEncoder().encode(try startingState()) : Data()
        let state = try JSONDecoder().decode(TrainerState.self, from: group.broadcast(encoded))
        guard state.step > 0 else { return state }
        group.broadcast(trainable.valuePointer, count: trainable.count)
        let buffers = optimizer.stateBuffers
        for buffer in buffers { group.broadcast(buffer.storage.pointer, count: buffer.storage.count) }
        if !group.isLeader {
            try optimizer.restore(step: state.step, buffers: Dictionary(uniqueKeysWithValues: buffers.map {
                ($0.name, Array(UnsafeBufferPointer(start: $0.storage.pointer, count: $0.storage.count)))
            }))
            log("resuming from rank 0's checkpoint: step \(state.step) of \(totalSteps)")
        }
        return state
    }

    /// Checks that every rank's trainable weights are rank 0's, bit for bit (they take the same updates from the
    /// same summed gradients; a difference means the ranks ran apart and the checkpoint would hide it).
    func requireSameWeights() throws {
        guard group.size > 1 else { return }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let words = UnsafeRawPointer(trainable.valuePointer).assumingMemoryBound(to: UInt32.self)
        for i in 0..<trainable.count { hash = (hash ^ UInt64(words[i])) &* 0x100_0000_01B3 }
        try group.requireSame(["trainable weights (FNV-1a of their bits)": String(hash, radix: 16)], what: "weights")
    }
}
