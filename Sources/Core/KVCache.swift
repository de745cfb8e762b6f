import Foundation

/// Keys and values of one sequence's past tokens, per layer, for incremental decoding. Keys are stored
/// already rotated, so each new token attends to the cache without recomputing anything.
///
/// A cache can continue another one (`KVCache(continuing:sharing:capacity:)`): it then sees the first
/// `sharing` tokens of that cache (and of its own ancestors) without copying them, and stores only its own
/// tokens. This is how a few-shot prefix is computed once per run and shared by every item, and how each
/// answer choice continues from its question. The parent may still grow: it only writes rows past the ones
/// it shares.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let capacity: Int
    /// kvHeads · headDim.
    public let width: Int
    /// Tokens stored in this cache so far.
    public private(set) var length = 0
    let keys: [Storage], values: [Storage]
    /// The ancestors' tokens this cache sees, oldest first: each part's storages and how many of its rows.
    let shared: [Part]
    /// Tokens seen from ancestors.
    public let sharedLength: Int

    struct Part {
        /// The cache whose rows these are.
        let owner: KVCache
        let keys: [Storage], values: [Storage]
        let count: Int
    }

    /// Per layer, bfloat16 copies of the first rows of this cache's keys and transposed values (`bfloat16Keys`,
    /// `bfloat16Values`).
    private var roundedKeys: [(count: Int, rows: UnsafeMutablePointer<UInt16>)?]
    private var roundedValues: [(count: Int, rows: UnsafeMutablePointer<UInt16>)?]
    private let roundedLock = NSLock()

    public init(layers: Int, capacity: Int, kvHeads: Int, headDim: Int) {
        check(layers > 0 && capacity > 0 && kvHeads > 0 && headDim > 0,
              "KVCache: sizes must be positive (layers \(layers), capacity \(capacity), kv heads \(kvHeads), head dim \(headDim))")
        self.layers = layers
        self.capacity = capacity
        width = kvHeads * headDim
        keys = (0..<layers).map { _ in Storage(uninitializedCount: capacity * kvHeads * headDim) }
        values = (0..<layers).map { _ in Storage(uninitializedCount: capacity * kvHeads * headDim) }
        roundedKeys = Array(repeating: nil, count: layers)
        roundedValues = Array(repeating: nil, count: layers)
        shared = []
        sharedLength = 0
    }

    /// A cache that sees the first `sharing` tokens of `parent` (default: all of them) and has room for
    /// `capacity` tokens of its own.
    public init(continuing parent: KVCache, sharing: Int? = nil, capacity: Int) {
        let visible = sharing ?? parent.position
        check(visible >= 0 && visible <= parent.position,
              "KVCache: cannot share \(visible) tokens of a cache holding \(parent.position)")
        check(capacity > 0, "KVCache: capacity must be positive, got \(capacity)")
        layers = parent.layers
        self.capacity = capacity
        width = parent.width
        keys = (0..<layers).map { _ in Storage(uninitializedCount: capacity * parent.width) }
        values = (0..<layers).map { _ in Storage(uninitializedCount: capacity * parent.width) }
        roundedKeys = Array(repeating: nil, count: layers)
        roundedValues = Array(repeating: nil, count: layers)
        var parts: [Part] = []
        var left = visible
        let own = Part(owner: parent, keys: parent.keys, values: parent.values, count: parent.length)
        for part in parent.shared + [own] where left > 0 && part.count > 0 {
            let n = min(left, part.count)
            parts.append(Part(owner: part.owner, keys: part.keys, values: part.values, count: n))
            left -= n
        }
        shared = parts
        sharedLength = visible
    }

    deinit {
        for rounded in roundedKeys + roundedValues { rounded?.rows.deallocate() }
    }

    /// At least the first `count` rows of one layer's keys rounded to bfloat16 (rows of `width`), for the bf16
    /// products of the many sequences that share them.
    func bfloat16Keys(layer: Int, count: Int) -> UnsafePointer<UInt16> {
        rounded(&roundedKeys[layer], count: count) { copy, held in
            BFloat16Kernels.round(keys[layer].pointer, count: held * width, into: copy)
        }.rows
    }

    /// At least the first `count` rows of one layer's values, transposed and rounded to bfloat16: `width` rows
    /// of `stride` (an even number ≥ count; columns past the rows held are zero).
    func bfloat16Values(layer: Int, count: Int) -> (rows: UnsafePointer<UInt16>, stride: Int) {
        let (rows, held) = rounded(&roundedValues[layer], count: count) { copy, held in
            let stride = Self.evenStride(held), v = values[layer].pointer
            for c in 0..<width {
                let row = copy + c * stride
                for t in 0..<held { row[t] = floatToBFloat16(v[t * width + c]) }
                if stride > held { row[held] = 0 }
            }
        }
        return (rows, Self.evenStride(held))
    }

    private static func evenStride(_ count: Int) -> Int { (count + 1) / 2 * 2 }

    /// A copy of all the rows held, made by `fill(copy, rows held)` when the one in `slot` has fewer than `count`
    /// (made on the first call, again only as the cache grows); the copy and the rows it holds.
    private func rounded(_ slot: inout (count: Int, rows: UnsafeMutablePointer<UInt16>)?, count: Int,
                         _ fill: (UnsafeMutablePointer<UInt16>, Int) -> Void) -> (rows: UnsafePointer<UInt16>, held: Int) {
        roundedLock.lock()
        defer { roundedLock.unlock() }
        check(count <= length, "KVCache: \(count) rows asked for, \(length) stored")
        if let slot, slot.count >= count { return (UnsafePointer(slot.rows), slot.count) }
        slot?.rows.deallocate()
        let copy = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, Self.evenStride(length) * width))
        fill(copy, length)
        slot = (length, copy)
        return (UnsafePointer(copy), length)
    }

    /// The position of the next token: the shared tokens plus this cache's own.
    public var position: Int { sharedLength + length }

    /// One layer's keys and values in position order: each ancestor's shared rows, then this cache's own
    /// rows including `newRows` just written after them.
    func keyValueBlocks(layer: Int, newRows: Int) -> [(keys: UnsafePointer<Float>, values: UnsafePointer<Float>, count: Int)] {
        shared.map { (UnsafePointer($0.keys[layer].pointer), UnsafePointer($0.values[layer].pointer), $0.count) }
            + [(UnsafePointer(keys[layer].pointer), UnsafePointer(values[layer].pointer), length + newRows)]
    }

    /// Marks `count` more tokens as stored (after every layer has written them).
    public func advance(by count: Int) {
        check(length + count <= capacity, "KVCache: \(length + count) tokens exceed the capacity of \(capacity)")
        length += count
    }
}

extension Tensor {
    /// Segments of at most this many new tokens take the decoding kernel.
    static let decodeRows = 8

    /// Attention for inference with per-sequence caches: `qkv` holds the new tokens of several sequences,
    /// `segments[i]` rows for sequence i, whose earlier tokens are in its cache. Queries and keys rotate at
    /// their absolute positions; the new keys and values are written into each cache (at `cache.length`,
    /// which the caller advances once every layer has run). Records no gradient.
    /// `precision` sets the arithmetic of the products over a prefix the sequences share (bf16: its keys and
    /// values rounded once, the queries and probabilities per call).
    public func cachedSelfAttention(_ shape: AttentionShape, segments: [(rows: Range<Int>, cache: KVCache)], layer: Int,
                                    precision: Precision = .fp32) -> Tensor {
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
        }
        // Long segments (prompts) use GEMMs per head; short ones (decoding) run together, a thread per sequence and head.
        let decoding = segments.filter { $0.rows.count <= Self.decodeRows }
        if !decoding.isEmpty { Tensor.backend.cachedDecodeAttention(qkv, segments: decoding, shape, layer: layer, precision: precision,
                                                                           into: out) }
        let prompts = segments.filter { $0.rows.count > Self.decodeRows }
        if !prompts.isEmpty { Tensor.backend.cachedAttention(qkv, segments: prompts, shape, layer: layer, precision: precision, into: out) }
        return out
    }
}
