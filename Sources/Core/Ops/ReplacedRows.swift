/// Ops on a [vocab, dim] table some of whose rows are stood in for by a small matrix of their own (PEFT's
/// trainable tokens: rows `rows[j]` of the table read as row j of `replacements` [rows.count, dim]). The
/// table is typically frozen; the replacements get gradients of a few rows × dim, and the table's gradient
/// (when it tracks one) leaves the replaced rows at zero.
extension Tensor {
    /// `embedding(table, ids:)` with rows `rows` of the table read from `replacements`.
    public static func embedding(_ table: Tensor, ids: [Int32], replacingRows rows: [Int32], with replacements: Tensor) -> Tensor {
        guard !rows.isEmpty else { return embedding(table, ids: ids) }
        check(table.rank == 2 && table.isContiguous, "embedding: table must be a contiguous [vocab, dim] matrix, got \(table.shape)")
        let vocab = table.shape[0], dim = table.shape[1]
        let slotOf = replacementSlots(rows, replacements, vocab: vocab, dim: dim, op: "embedding")
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= vocab }) {
            check(false, "embedding: token id \(bad) outside the table's \(vocab) rows")
        }
        var positions: [Int32] = [], slots: [Int32] = []
        for (p, id) in ids.enumerated() {
            if let j = slotOf[id] { positions.append(Int32(p)); slots.append(j) }
        }
        let r = replacements.contiguous()
        let out = Tensor(uninitialized: [ids.count, dim])
        Tensor.backend.gather(table, rows: ids, into: out)
        for (p, j) in zip(positions, slots) {
            (out.pointer + Int(p) * dim).update(from: r.pointer + Int(j) * dim, count: dim)
        }
        let tableSlot = table.slot, rSlot = r.slot
        return record(out, "embedding", [table, r]) { g in
            if tableSlot.requiresGrad {
                // Positions read from the replacements give the table nothing.
                let kept = Tensor(uninitialized: g.shape)
                kept.pointer.update(from: g.pointer, count: g.count)
                for p in positions { (kept.pointer + Int(p) * dim).update(repeating: 0, count: dim) }
                tableSlot.accumulateGrad { gt, acc in Tensor.backend.scatterAdd(kept, rows: ids, into: gt, accumulate: acc) }
            }
            guard rSlot.requiresGrad && !positions.isEmpty else { return }
            let picked = Tensor(uninitialized: [positions.count, dim])
            Tensor.backend.gather(g, rows: positions, into: picked)
            rSlot.accumulateGrad { gr, acc in Tensor.backend.scatterAdd(picked, rows: slots, into: gr, accumulate: acc) }
        }
    }

    /// `linear(weight)` (self [..., in], weight [out, in]) with rows `rows` of the weight read from
    /// `replacements`: the full product, then the replaced columns recomputed from the replacements. Backward
    /// costs the frozen case's dX GEMM plus products of rows.count columns.
    public func linear(_ weight: Tensor, replacingRows rows: [Int32], with replacements: Tensor) -> Tensor {
        guard !rows.isEmpty else { return linear(weight) }
        check(weight.rank == 2 && weight.isContiguous && rank >= 1 && shape.last! == weight.shape[1],
              "linear: input \(shape) does not match weight \(weight.shape) (expected a contiguous [out, \(shape.last ?? 0)])")
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1], k = rows.count
        _ = Tensor.replacementSlots(rows, replacements, vocab: outFeatures, dim: inFeatures, op: "linear")
        let x = contiguous(), r = replacements.contiguous()
        let precision = Tensor.trainingPrecision
        var outShape = shape
        outShape[rank - 1] = outFeatures
        let out = Tensor(uninitialized: outShape)
        let x2 = x.flatRows(), o2 = out.flatRows()
        let n = x2.shape[0]
        Tensor.backend.gemm(x2, transA: false, weight, transB: true, into: o2, alpha: 1, beta: 0, parallel: true, precision: precision)
        let columns = Tensor(uninitialized: [n, k])
        Tensor.backend.gemm(x2, transA: false, r, transB: true, into: columns, alpha: 1, beta: 0, parallel: true, precision: precision)
        let po = o2.pointer, pc = columns.pointer
        for i in 0..<n {
            for (j, row) in rows.enumerated() { po[i * outFeatures + Int(row)] = pc[i * k + j] }
        }
        return Tensor.record(out, "linear", [x, weight, r]) { g in
            let g2 = g.flatRows(), pg = g2.pointer
            // The output gradient of the replaced columns, [n, k].
            let picked = Tensor(uninitialized: [n, k])
            let pp = picked.pointer
            for i in 0..<n {
                for (j, row) in rows.enumerated() { pp[i * k + j] = pg[i * outFeatures + Int(row)] }
            }
            x.accumulateGrad { gx, acc in
                // dX = dY W, then the replaced rows' share corrected: + dY[:, rows] (R − W[rows]).
                let gx2 = gx.flatRows()
                Tensor.backend.gemm(g2, transA: false, weight, transB: false, into: gx2, alpha: 1, beta: acc ? 1 : 0, parallel: true, precision: precision)
                let difference = Tensor(uninitialized: [k, inFeatures])
                Tensor.backend.gather(weight, rows: rows, into: difference)
                let pd = difference.pointer, pr = r.pointer
                for e in 0..<(k * inFeatures) { pd[e] = pr[e] - pd[e] }
                Tensor.backend.gemm(picked, transA: false, difference, transB: false, into: gx2, alpha: 1, beta: 1, parallel: true, precision: precision)
            }
            if weight.requiresGrad {
                // The replaced rows take no gradient: their columns of dY are zeroed first.
                let kept = Tensor(uninitialized: g2.shape)
                kept.pointer.update(from: pg, count: g2.count)
                for i in 0..<n { for row in rows { kept.pointer[i * outFeatures + Int(row)] = 0 } }
                weight.accumulateGrad { gw, acc in
                    Tensor.backend.gemm(kept, transA: true, x2, transB: false, into: gw, alpha: 1, beta: acc ? 1 : 0, parallel: true, precision: precision)
                }
            }
            r.accumulateGrad { gr, acc in
                Tensor.backend.gemm(picked, transA: true, x2, transB: false, into: gr, alpha: 1, beta: acc ? 1 : 0, parallel: true, precision: precision)
            }
        }
    }

    /// Checks that `rows` are distinct rows of a table of `vocab` rows and that `replacements` is
    /// [rows.count, dim]; returns each row's index into the replacements.
    private static func replacementSlots(_ rows: [Int32], _ replacements: Tensor, vocab: Int, dim: Int, op: String) -> [Int32: Int32] {
        check(replacements.shape == [rows.count, dim],
              "\(op): replacements \(replacements.shape) do not match \(rows.count) rows of width \(dim)")
        var slots: [Int32: Int32] = [:]
        for (j, row) in rows.enumerated() {
            check(row >= 0 && Int(row) < vocab, "\(op): replaced row \(row) outside the table's \(vocab) rows")
            check(slots.updateValue(Int32(j), forKey: row) == nil, "\(op): row \(row) replaced twice")
        }
        return slots
    }
}
