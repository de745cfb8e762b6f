/// The indices of the `k` largest of `n` values, largest first (ties: the lower index first). A min-heap of
/// size k: one comparison for most values, so about linear in n.
func topK(_ values: UnsafePointer<Float>, _ n: Int, _ k: Int) -> [Int] {
    let k = min(k, n)
    guard k > 0 else { return [] }
    var heap: [Int] = []  // min-heap by (value, -index)
    heap.reserveCapacity(k)
    func less(_ a: Int, _ b: Int) -> Bool { values[a] < values[b] || (values[a] == values[b] && a > b) }
    func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && less(heap[l], heap[m]) { m = l }
            if r < heap.count && less(heap[r], heap[m]) { m = r }
            if m == i { return }
            heap.swapAt(i, m); i = m
        }
    }
    for i in 0..<n {
        if heap.count < k {
            heap.append(i)
            var c = heap.count - 1
            while c > 0 && less(heap[c], heap[(c - 1) / 2]) { heap.swapAt(c, (c - 1) / 2); c = (c - 1) / 2 }
        } else if less(heap[0], i) {
            heap[0] = i
            siftDown(0)
        }
    }
    return heap.sorted { less($1, $0) }
}
