/// First-fit bin packing in O(log n) per item: a max-tree over the free space of `slots` bins of equal
/// capacity finds the leftmost bin with room. Unopened bins are empty bins, so "leftmost with room" opens a
/// new bin exactly when no open one fits.
struct FirstFit {
    private var free: [Int]
    private let leaves: Int

    init(slots: Int, capacity: Int) {
        var n = 1
        while n < slots { n *= 2 }
        leaves = n
        free = [Int](repeating: capacity, count: 2 * n)
    }

    /// Puts an item of `size` in the leftmost bin with room and returns that bin, or nil when none has room.
    mutating func place(_ size: Int) -> Int? {
        guard free[1] >= size else { return nil }
        var node = 1
        while node < leaves { node = free[2 * node] >= size ? 2 * node : 2 * node + 1 }
        free[node] -= size
        var parent = node / 2
        while parent >= 1 {
            free[parent] = max(free[2 * parent], free[2 * parent + 1])
            parent /= 2
        }
        return node - leaves
    }
}
