/// ReMask's objective over the logits of a masked and a full pass:
/// `0.5·(CE_masked + CE_full) + weight·D(p_masked, p_full)`, averaged over label-carrying positions.

/// The divergence D between the masked pass's and the full pass's next-token distributions.
public enum Divergence: String, Sendable, CaseIterable {
    /// The mean of KL(p_masked‖p_full) and KL(p_full‖p_masked) (the ReMask model card's final choice).
    case klSymmetric = "kl-sym"
    /// KL(p_masked‖p_full).
    case klForward = "kl-forward"
    /// KL(p_full‖p_masked).
    case klReverse = "kl-reverse"
    /// Mean squared difference of the probabilities over positions × vocabulary (PyTorch's `mse_loss`), the
    /// card's earlier choice.
    case mse
}

/// One label-carrying position: its logit row in the masked pass, in the full pass, and its target. Both rows
/// may be the same row when the two passes share the context (before the first masked token).
public struct ConsistencyPair: Sendable, Equatable {
    public var masked: Int32, full: Int32, label: Int32
    public init(masked: Int32, full: Int32, label: Int32) {
        self.masked = masked; self.full = full; self.label = label
    }
}

/// The loss's parts, each a mean over the `count` positions.
public struct ConsistencyLossParts: Sendable, Equatable {
    public var ceMasked: Double, ceFull: Double, divergence: Double
    public var count: Int
    public init(ceMasked: Double, ceFull: Double, divergence: Double, count: Int) {
        self.ceMasked = ceMasked; self.ceFull = ceFull; self.divergence = divergence; self.count = count
    }

    /// `0.5·(CE_masked + CE_full) + weight·D`.
    public func loss(weight: Double) -> Double { 0.5 * (ceMasked + ceFull) + weight * divergence }
}

extension Tensor {
    /// The ReMask loss over `logits` [rows, vocab] holding both passes' rows, for the positions `pairs`
    /// (each row used by at most one pair). With `detachFull`, D sends no gradient into the full pass (a
    /// fixed teacher); CE_full still does. The gradient is computed during the forward pass (one sweep over
    /// the vocabulary per position); backward only scales it.
    public static func consistencyLoss(_ logits: Tensor, pairs: [ConsistencyPair], weight: Float,
                                       divergence: Divergence = .klSymmetric,
                                       detachFull: Bool = false) -> (loss: Tensor, parts: ConsistencyLossParts) {
        check(logits.rank == 2, "consistencyLoss: logits must be [rows, vocab], got \(logits.shape)")
        let rows = logits.shape[0], vocab = logits.shape[1]
        var used = [Bool](repeating: false, count: rows)
        for p in pairs {
            check(p.masked >= 0 && Int(p.masked) < rows && p.full >= 0 && Int(p.full) < rows,
                  "consistencyLoss: pair rows (\(p.masked), \(p.full)) outside \(rows) rows of logits")
            check(p.label >= 0 && Int(p.label) < vocab, "consistencyLoss: label \(p.label) outside the vocabulary of \(vocab)")
            check(!used[Int(p.masked)] && (p.full == p.masked || !used[Int(p.full)]),
                  "consistencyLoss: a logit row is used by more than one pair")
            used[Int(p.masked)] = true; used[Int(p.full)] = true
        }
        let x = logits.contiguous()
        let gradient = x.requiresGrad && Autograd.isRecording ? Tensor(uninitialized: x.shape) : nil
        let parts = Tensor.backend.consistencyLoss(x, pairs: pairs, weight: weight, divergence: divergence,
                                                   detachFull: detachFull, gradient: gradient)
        let out = Tensor(scalar: Float(parts.loss(weight: Double(weight))))
        guard let gradient else { return (out, parts) }
        let slot = x.slot
        let loss = record(out, "consistencyLoss", [x]) { g in
            let scale = g.item
            if scale != 1 { scaleInPlace(gradient.pointer, gradient.count, scale) }
            slot.accumulateGrad(gradient, owned: true)
        }
        return (loss, parts)
    }
}
