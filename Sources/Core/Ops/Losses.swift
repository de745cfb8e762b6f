/// Losses over next-token logits.
extension Tensor {
    /// The label value that marks a position without a target.
    public static let ignoreIndex: Int32 = -100

    /// Mean cross-entropy of logits [rows, vocab] against `labels` (one per row), skipping rows whose label
    /// is `ignoreIndex` (any negative label). A scalar; 0 when no row has a label.
    public func crossEntropy(labels: [Int32]) -> Tensor {
        check(rank == 2, "crossEntropy: logits must be [rows, vocab], got \(shape)")
        check(labels.count == shape[0], "crossEntropy: \(labels.count) labels for \(shape[0]) rows of logits \(shape)")
        let vocab = shape[1]
        if let bad = labels.first(where: { $0 >= vocab }) {
            check(false, "crossEntropy: label \(bad) outside the vocabulary of \(vocab)")
        }
        let logits = contiguous()
        let lse = Tensor(uninitialized: [shape[0]])
        let (sum, n) = Tensor.backend.crossEntropy(logits, labels: labels, logSumExp: lse)
        let out = Tensor(scalar: n > 0 ? Float(sum / Double(n)) : 0)
        return Tensor.record(out, "crossEntropy", [logits]) { g in
            guard n > 0 else { return }
            let scale = g.item / Float(n)
            logits.accumulateGrad { gl, acc in
                Tensor.backend.crossEntropyBackward(logits, labels: labels, logSumExp: lse, scale: scale, into: gl, accumulate: acc)
            }
        }
    }

    /// Mean over the selected `rows` of the KL divergence between the softmax distributions of `p` and `q`
    /// (both [rows, vocab]). `direction` picks KL(p‖q), KL(q‖p) or their mean. A scalar; 0 with no rows.
    public static func klDivergence(_ p0: Tensor, _ q0: Tensor, rows: [Int32], direction: KLDirection = .symmetric) -> Tensor {
        check(p0.rank == 2 && p0.shape == q0.shape, "klDivergence: logits shapes \(p0.shape) and \(q0.shape) must be equal [rows, vocab]")
        if let bad = rows.first(where: { $0 < 0 || Int($0) >= p0.shape[0] }) {
            check(false, "klDivergence: selected row \(bad) outside \(p0.shape[0]) rows")
        }
        let p = p0.contiguous(), q = q0.contiguous()
        let lseP = Tensor(uninitialized: [p.shape[0]]), lseQ = Tensor(uninitialized: [p.shape[0]])
        let sum = Tensor.backend.klDivergence(p, q, rows: rows, direction: direction, lseP: lseP, lseQ: lseQ)
        let out = Tensor(scalar: rows.isEmpty ? 0 : Float(sum / Double(rows.count)))
        return record(out, "klDivergence", [p, q]) { g in
            guard !rows.isEmpty else { return }
            let scale = g.item / Float(rows.count)
            var gp: (Tensor, Bool)?, gq: (Tensor, Bool)?
            p.accumulateGrad { t, acc in gp = (t, acc) }
            if q === p {
                gq = gp.map { ($0.0, true) }
            } else {
                q.accumulateGrad { t, acc in gq = (t, acc) }
            }
            Tensor.backend.klDivergenceBackward(p, q, rows: rows, direction: direction, lseP: lseP, lseQ: lseQ, scale: scale, gradP: gp, gradQ: gq)
        }
    }
}
