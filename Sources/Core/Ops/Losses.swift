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
}
