/// Which adjacent tokens merge: the rank and result of merging `left` and `right`, packed as
/// `rank << 32 | merged id` (unsigned 32-bit fields), or nil when they do not merge. Lower ranks go first.
protocol MergeTable: Sendable {
    func merge(_ left: Int32, _ right: Int32) -> UInt64?
}

/// The ranked merge list of a BPE vocabulary.
struct BPEMerges: MergeTable {
    /// `(left << 32 | right)` → `(rank << 32 | merged id)`, all as unsigned 32-bit fields.
    private let table: [UInt64: UInt64]

    /// `pairs` are token ids in rank order (rank = index), each with the id of the token it merges into. A
    /// pair listed twice keeps its first (better) rank.
    init(_ pairs: [(left: Int32, right: Int32, merged: Int32)]) {
        var table = [UInt64: UInt64](minimumCapacity: pairs.count)
        for (rank, p) in pairs.enumerated() {
            let key = Self.key(p.left, p.right)
            if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: p.merged)) }
        }
        self.table = table
    }

    private static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    func merge(_ left: Int32, _ right: Int32) -> UInt64? { table[Self.key(left, right)] }
}

/// The merge loop that turns one word's first tokens into its final tokens.
extension MergeTable {
    /// Applies the merges to `symbols`: repeatedly the best-ranked adjacent pair (leftmost among equals) is
    /// merged, until no adjacent pair has a merge. This is the Hugging Face `tokenizers` algorithm, including
    /// its check that a queued merge is still current (the pair at that position must still merge into the
    /// same token). A heap of candidate merges keeps long words at O(n log n).
    func apply(_ symbols: [Int32]) -> [Int32] {
        let n = symbols.count
        if n < 2 { return symbols }
        var ids = symbols
        var next = Array(1...n)  // n marks the end
        var prev = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap = MergeHeap()
        for i in 0..<(n - 1) {
            if let m = merge(ids[i], ids[i + 1]) { heap.push(rank: m >> 32, pos: i, merged: UInt32(truncatingIfNeeded: m)) }
        }
        while let top = heap.pop() {
            let pos = top.pos
            guard alive[pos], next[pos] < n else { continue }
            let right = next[pos]
            guard let m = merge(ids[pos], ids[right]), UInt32(truncatingIfNeeded: m) == top.merged else { continue }
            ids[pos] = Int32(bitPattern: top.merged)
            alive[right] = false
            next[pos] = next[right]
            if next[pos] < n { prev[next[pos]] = pos }
            if prev[pos] >= 0, let m = merge(ids[prev[pos]], ids[pos]) {
                heap.push(rank: m >> 32, pos: prev[pos], merged: UInt32(truncatingIfNeeded: m))
            }
            if next[pos] < n, let m = merge(ids[pos], ids[next[pos]]) {
                heap.push(rank: m >> 32, pos: pos, merged: UInt32(truncatingIfNeeded: m))
            }
        }
        var out: [Int32] = []
        var i = 0
        while i < n {
            out.append(ids[i])
            i = next[i]
        }
        return out
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
private struct MergeHeap {
    private var keys: [UInt64] = []  // rank << 32 | position
    private var merged: [UInt32] = []

    mutating func push(rank: UInt64, pos: Int, merged id: UInt32) {
        keys.append(rank << 32 | UInt64(pos))
        merged.append(id)
        var i = keys.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if keys[parent] <= keys[i] { break }
            keys.swapAt(parent, i)
            merged.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> (pos: Int, merged: UInt32)? {
        guard let first = keys.first else { return nil }
        let result = (pos: Int(first & 0xFFFF_FFFF), merged: merged[0])
        let lastKey = keys.removeLast(), lastMerged = merged.removeLast()
        if !keys.isEmpty {
            keys[0] = lastKey
            merged[0] = lastMerged
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < keys.count && keys[l] < keys[smallest] { smallest = l }
                if r < keys.count && keys[r] < keys[smallest] { smallest = r }
                if smallest == i { break }
                keys.swapAt(smallest, i)
                merged.swapAt(smallest, i)
                i = smallest
            }
        }
        return result
    }
}
