import Core
import Models

/// The few-shot prefix most items share, run through the model once per evaluation. Each item's cache
/// continues it for as many tokens as the item's own tokens agree with it, so an item with another prefix
/// (or none) still gets exactly its own prompt.
struct PrefixCache {
    let tokens: [Int32]
    let cache: KVCache?

    /// Fills a cache with the most common few-shot prefix of `items` (by count; ties: the first seen),
    /// tokenized on its own. Items without one give no cache.
    init(model: any InferenceModel, tokens: ModelTokens, items: [(id: String, fewShot: String)]) throws(EvaluationError) {
        var counts: [String: Int] = [:]
        var best: (text: String, id: String)?
        for item in items where !item.fewShot.isEmpty {
            counts[item.fewShot, default: 0] += 1
            if counts[item.fewShot]! > best.map({ counts[$0.text]! }) ?? 0 { best = (item.fewShot, item.id) }
        }
        if let best { self.tokens = try tokens.encode(best.text, item: best.id, startsSequence: true) } else { self.tokens = [] }
        if self.tokens.isEmpty {
            cache = nil
        } else {
            let c = model.makeCache(capacity: self.tokens.count)
            model.fill([self.tokens], caches: [c])
            cache = c
        }
    }

    /// A cache for `sequence`, continuing the prefix where they agree (at most `limit` tokens), with room for
    /// the rest of `sequence` plus `extra` tokens; and how many of `sequence`'s tokens it already holds.
    func cache(for sequence: [Int32], limit: Int, extra: Int, model: any InferenceModel) -> (cache: KVCache, reused: Int) {
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
