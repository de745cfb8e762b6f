import Core
import Models

/// Log-likelihoods of multiple-choice continuations. A context is tokenized whole (as the LM Evaluation
/// Harness does), a continuation on its own. The few-shot prefix most items share is computed once, and each
/// context continues it for as many tokens as they agree; each item's own context is computed once (all but its last token); every choice then continues
/// from the item's cache, so a context is never recomputed per choice. Items are scored `batchSize` at a time
/// in one model call for the contexts and one for all their choices.
public struct ChoiceScorer {
    public let model: any InferenceModel
    public let tokenizer: BPETokenizer
    public var batchSize: Int

    public init(model: any InferenceModel, tokenizer: BPETokenizer, batchSize: Int) {
        self.model = model
        self.tokenizer = tokenizer
        self.batchSize = max(1, batchSize)
    }

    /// One item's scores: per choice, log p(continuation | context) and its token count.
    public struct Scores: Sendable {
        public var logLikelihoods: [Double]
        public var tokenCounts: [Int]
    }

    /// Scores every item; `progress(done)` is called after each batch.
    public func score(_ items: [MultipleChoiceItem], progress: (Int) -> Void = { _ in }) throws(EvaluationError) -> [Scores] {
        let tokens = ModelTokens(tokenizer: tokenizer, vocab: model.config.vocabSize, context: model.config.maxPositions)
        let prefix = try PrefixCache(model: model, tokens: tokens, items: items.map { ($0.id, $0.fewShot) })
        var results: [Scores] = []
        results.reserveCapacity(items.count)
        var start = 0
        while start < items.count {
            let batch = items[start..<min(start + batchSize, items.count)]
            results += try scoreBatch(Array(batch), tokens: tokens, prefix: prefix)
            start += batch.count
            progress(start)
        }
        return results
    }

    private func scoreBatch(_ items: [MultipleChoiceItem], tokens: ModelTokens, prefix: PrefixCache) throws(EvaluationError) -> [Scores] {
        // Contexts: every token but the last goes into the item's cache.
        var itemCaches: [KVCache] = [], fills: [[Int32]] = [], fillCaches: [KVCache] = [], lastTokens: [Int32] = []
        var continuations: [[[Int32]]] = []
        for item in items {
            var context = try tokens.encode(item.context, item: item.id, startsSequence: true)
            if context.isEmpty {
                guard let start = tokenizer.bosID ?? tokenizer.eosID else {
                    throw EvaluationError("item \(item.id): the context is empty and the tokenizer has no BOS or EOS token to start from")
                }
                context = [start]
            }
            var conts: [[Int32]] = []
            for c in item.continuations { conts.append(try tokens.encode(c, item: item.id)) }
            if let empty = conts.firstIndex(where: \.isEmpty) {
                throw EvaluationError("item \(item.id): choice \(empty) has no tokens")
            }
            try tokens.checkFits(context.count + (conts.map(\.count).max() ?? 0), item: item.id, "the context with its longest choice")
            let (cache, reused) = prefix.cache(for: context, limit: context.count - 1, extra: -1, model: model)
            let own = Array(context[reused..<(context.count - 1)])
            if !own.isEmpty {
                fills.append(own)
                fillCaches.append(cache)
            }
            itemCaches.append(cache)
            lastTokens.append(context.last!)
            continuations.append(conts)
        }
        if !fills.isEmpty { model.fill(fills, caches: fillCaches) }
        // Choices: each continues its item's cache with the context's last token and all but its own last.
        var segments: [[Int32]] = [], caches: [KVCache] = []
        for (i, conts) in continuations.enumerated() {
            for c in conts {
                segments.append([lastTokens[i]] + c.dropLast())
                caches.append(KVCache(continuing: itemCaches[i], capacity: c.count))
            }
        }
        let logits = model.extend(segments, caches: caches, logits: .allRows)
        let vocab = model.config.vocabSize
        var row = 0
        return continuations.map { conts in
            var scores = Scores(logLikelihoods: [], tokenCounts: [])
            for c in conts {
                var ll = 0.0
                for target in c {
                    let r = UnsafeBufferPointer(start: logits.pointer + row * vocab, count: vocab)
                    ll += Double(r[Int(target)] - Scoring.logSumExp(r))
                    row += 1
                }
                scores.logLikelihoods.append(ll)
                scores.tokenCounts.append(c.count)
            }
            return scores
        }
    }
}
