/// Row lookup in an embedding table.
extension Tensor {
    /// Rows `ids` of the table [vocab, dim] → [ids.count, dim].
    public static func embedding(_ table: Tensor, ids: [Int32]) -> Tensor {
        check(table.rank == 2 && table.isContiguous, "embedding: table must be a contiguous [vocab, dim] matrix, got \(table.shape)")
        let vocab = table.shape[0]
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= vocab }) {
            check(false, "embedding: token id \(bad) outside the table's \(vocab) rows")
        }
        let out = Tensor(uninitialized: [ids.count, table.shape[1]])
        Tensor.backend.gather(table, rows: ids, into: out)
        let slot = table.slot
        return record(out, "embedding", [table]) { g in
            slot.accumulateGrad { gt, acc in Tensor.backend.scatterAdd(g, rows: ids, into: gt, accumulate: acc) }
        }
    }

    /// Rows `rows` of a matrix [n, d] → [rows.count, d]; the gradient scatters back (`embedding` over any
    /// matrix).
    public func gatheringRows(_ rows: [Int32]) -> Tensor {
        Tensor.embedding(contiguous(), ids: rows)
    }
}
