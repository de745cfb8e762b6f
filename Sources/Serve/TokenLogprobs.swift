import Models

extension TokenLogprob {
    /// The logprob of `id` under one row of next-token logits, with the `top` most likely tokens (ties: lower
    /// id first) and `id` itself among the alternatives.
    init(id: Int32, logits row: UnsafePointer<Float>, vocab: Int, top k: Int) {
        let lse = Scoring.logSumExp(UnsafeBufferPointer(start: row, count: vocab))
        var best: [Int] = []  // ids, best first
        if k > 0 {
            best.reserveCapacity(k + 1)
            for i in 0..<vocab where best.count < k || row[i] > row[best[best.count - 1]] {
                var at = best.count
                while at > 0 && row[i] > row[best[at - 1]] { at -= 1 }
                best.insert(i, at: at)
                if best.count > k { best.removeLast() }
            }
        }
        if !best.contains(Int(id)) { best.append(Int(id)) }
        self.init(id: id, logprob: row[Int(id)] - lse, top: best.map { Alternative(id: Int32($0), logprob: row[$0] - lse) })
    }
}
