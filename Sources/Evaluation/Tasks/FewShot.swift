/// The few-shot rule shared by every built-in task (and by `tools/arc_reference.py`): the items of the split
/// are ordered by the 64-bit FNV-1a hash of "<seed>:<id>", and an item's shots are the first `shots` items
/// of that order other than itself. So all items but the first few share one few-shot prefix, which is
/// computed once per run, and no item ever sees itself as an example.
public struct FewShotSampler: Sendable {
    public let order: [Int]
    let ids: [String]

    public init(ids: [String], seed: UInt64) {
        self.ids = ids
        let keys = ids.map { Self.fnv1a64("\(seed):\($0)") }
        order = ids.indices.sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
    }

    /// Indices of the examples for item `index`, in prompt order.
    public func shots(_ count: Int, for index: Int) -> [Int] {
        Array(order.lazy.filter { self.ids[$0] != self.ids[index] }.prefix(count))
    }

    static func fnv1a64(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
