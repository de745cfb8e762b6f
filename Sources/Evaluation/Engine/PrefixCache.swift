import Core
import Models

/// The few-shot prefix most items share, run through the model once per evaluation. Each item's cache
/// continues it for as many tokens as the item's own tokens agree with it, so an item with another prefix
/// (or none) still gets exactly its own prompt.
struct PrefixCache {
    let tokens: [Int32]
    let cache: KVCache?

    /// Fills a cache with the most common of `prefixes` (by count; ties: the first seen). Empty prefixes
    /// give no cache.
    init(model: CausalLM, mostCommonOf prefixes: [[Int32]]) {
        var counts: [[Int32]: Int] = [:]
        var best: [Int32] = []
        for p in prefixes where !p.isEmpty {
            counts[p, default: 0] += 1
            if counts[p]! > counts[best, default: 0] { best = p }
        }
        tokens = best
        if best.isEmpty {
            cache = nil
        } else {
            let c = model.makeCache(capacity: best.count)
            model.fill([best], caches: [c])
            cache = c
        }
    }

    /// A cache for `sequence`, continuing the prefix where they agree (at most `limit` tokens), with room for
    /// the rest of `sequence` plus `extra` tokens; and how many of `sequence`'s tokens it already holds.
    func cache(for sequence: [Int32], limit: Int, extra: Int, model: CausalLM) -> (cache: KVCache, reused: Int) {
        var shared = 0
        let n = min(limit, tokens.count, sequence.count)
        while shared < n && tokens[shared] == sequence[shared] { shared += 1 }
        let capacity = max(sequence.count - shared + extra, 1)
        if let cache, shared > 0 {
            return (KVCache(continuing: cache, sharing: shared, capacity: capacity), shared)
        }
        return (model.makeCache(capacity: capacity), 0)
    }
}
