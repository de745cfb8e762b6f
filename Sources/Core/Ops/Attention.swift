/// Fused causal self-attention (grouped-query heads, rotary embeddings).
extension Tensor {
    /// qkv: [batch·length, (heads + 2·kvHeads)·headDim], per row the query heads, then key heads, then value
    /// heads. Returns [batch·length, heads·headDim]. Scores are scaled by 1/sqrt(headDim); each token attends
    /// to itself and earlier tokens of its own sequence, or to what `s.layout` allows.
    public func causalSelfAttention(_ s: AttentionShape) -> Tensor {
        check(s.batch > 0 && s.length > 0 && s.heads > 0 && s.kvHeads > 0 && s.heads % s.kvHeads == 0,
              "attention: \(s.heads) query heads must be a positive multiple of \(s.kvHeads) key/value heads (batch \(s.batch), length \(s.length))")
        check(s.rotaryDim % 2 == 0 && s.rotaryDim <= s.headDim,
              "attention: rotary dimension \(s.rotaryDim) must be even and at most the head dimension \(s.headDim)")
        check(shape == [s.batch * s.length, s.qkvWidth],
              "attention: qkv shape \(shape) does not match [batch·length, (heads + 2·kvHeads)·headDim] = [\(s.batch * s.length), \(s.qkvWidth)]")
        if let problem = s.layout?.validationError(batch: s.batch, length: s.length) { check(false, "attention: \(problem)") }
        let qkv = contiguous()
        let saved = AttentionSaved(qkvRotated: Tensor(uninitialized: qkv.shape),
                                   probs: Tensor(uninitialized: [s.batch, s.heads, s.length, s.length]),
                                   precision: Tensor.trainingPrecision)
        let out = Tensor(uninitialized: [s.batch * s.length, s.outWidth])
        Tensor.backend.attention(qkv, s, into: out, saved: saved)
        let slot = qkv.slot  // backward reads the saved rotated copy, never qkv itself
        return Tensor.record(out, "attention", [qkv]) { g in
            slot.accumulateGrad { gq, acc in Tensor.backend.attentionBackward(g, s, saved: saved, into: gq, accumulate: acc) }
        }
    }
}
