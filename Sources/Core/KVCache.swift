/// Keys and values of one sequence's past tokens, per layer, for incremental decoding. Keys are stored
/// already rotated, so each new token attends to the cache without recomputing anything.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let capacity: Int
    /// kvHeads · headDim.
    public let width: Int
    /// Tokens stored so far (the position of the next token).
    public private(set) var length = 0
    let keys: [Storage], values: [Storage]

    public init(layers: Int, capacity: Int, kvHeads: Int, headDim: Int) {
        check(layers > 0 && capacity > 0 && kvHeads > 0 && headDim > 0,
              "KVCache: sizes must be positive (layers \(layers), capacity \(capacity), kv heads \(kvHeads), head dim \(headDim))")
        self.layers = layers
        self.capacity = capacity
        width = kvHeads * headDim
        keys = (0..<layers).map { _ in Storage(uninitializedCount: capacity * kvHeads * headDim) }
        values = (0..<layers).map { _ in Storage(uninitializedCount: capacity * kvHeads * headDim) }
    }

    /// Marks `count` more tokens as stored (after every layer has written them).
    public func advance(by count: Int) {
        check(length + count <= capacity, "KVCache: \(length + count) tokens exceed the capacity of \(capacity)")
        length += count
    }
}

extension Tensor {
    /// Attention for inference with per-sequence caches: `qkv` holds the new tokens of several sequences,
    /// `segments[i]` rows for sequence i, whose earlier tokens are in its cache. Queries and keys rotate at
    /// their absolute positions; the new keys and values are written into each cache (at `cache.length`,
    /// which the caller advances once every layer has run). Records no gradient.
    public func cachedSelfAttention(_ shape: AttentionShape, segments: [(rows: Range<Int>, cache: KVCache)], layer: Int) -> Tensor {
        check(!requiresGrad || !Autograd.isRecording, "cachedSelfAttention: inference only; wrap the call in Autograd.withNoGrad")
        check(rank == 2 && shape.qkvWidth == self.shape[1],
              "cachedSelfAttention: qkv shape \(self.shape) does not match width \(shape.qkvWidth)")
        let qkv = contiguous()
        let out = Tensor(uninitialized: [self.shape[0], shape.outWidth])
        for (rows, cache) in segments {
            check(rows.lowerBound >= 0 && rows.upperBound <= self.shape[0], "cachedSelfAttention: rows \(rows) outside \(self.shape[0])")
            check(layer >= 0 && layer < cache.layers && cache.width == shape.kvHeads * shape.headDim,
                  "cachedSelfAttention: cache (layers \(cache.layers), width \(cache.width)) does not fit layer \(layer)")
            check(cache.length + rows.count <= cache.capacity,
                  "cachedSelfAttention: \(cache.length + rows.count) tokens exceed the cache capacity of \(cache.capacity)")
            Tensor.backend.cachedAttention(qkv, rows: rows, shape, cache: cache, layer: layer, into: out)
        }
        return out
    }
}
