import Core
import Models

/// Greedy generation for many prompts with continuous batching: up to `batchSize` sequences advance together,
/// and a finished sequence's slot goes to the next prompt at once (its prompt is prefilled in the same model
/// call as the others' next tokens). The few-shot prefix most prompts share is computed once.
public struct BatchGenerator {
    public let model: any InferenceModel
    public let tokenizer: BPETokenizer
    public var batchSize: Int
    public var maxNewTokens: Int
    /// Tokens that end a sequence (not included in the output).
    public var stopTokens: Set<Int32>

    public init(model: any InferenceModel, tokenizer: BPETokenizer, batchSize: Int, maxNewTokens: Int) {
        self.model = model
        self.tokenizer = tokenizer
        self.batchSize = max(1, batchSize)
        self.maxNewTokens = max(1, maxNewTokens)
        stopTokens = ChatSession.stopTokens(tokenizer)
    }

    public struct Output: Sendable {
        /// The generated text, cut before the first stop string.
        public var text: String
        /// Tokens generated (including any that form the stop string).
        public var tokens: Int
        public var stop: StopReason
    }

    /// Generates after every item's context; `progress(finished, generatedTokens)` is called as items finish.
    public func generate(_ items: [GenerativeItem], progress: (Int, Int) -> Void = { _, _ in }) throws(EvaluationError) -> [Output] {
        let tokens = ModelTokens(tokenizer: tokenizer, vocab: model.config.vocabSize, context: model.config.maxPositions)
        var contexts: [[Int32]] = []
        for item in items {
            let context = try tokens.encode(item.context, item: item.id, startsSequence: true)  // whole, as the harness tokenizes it
            guard !context.isEmpty else { throw EvaluationError("item \(item.id): the prompt is empty") }
            try tokens.checkFits(context.count + maxNewTokens, item: item.id,
                                 "the prompt (\(context.count) tokens) with up to \(maxNewTokens) new ones (--max-new-tokens)")
            contexts.append(context)
        }
        let prefix = try PrefixCache(model: model, tokens: tokens, items: items.map { ($0.id, $0.fewShot) })

        struct Slot {
            let item: Int
            let cache: KVCache
            var pending: [Int32]
            var generated: [Int32] = []
        }
        var outputs = [Output?](repeating: nil, count: items.count)
        var slots: [Slot] = []
        var next = 0, finished = 0, generatedTokens = 0
        let vocab = model.config.vocabSize
        while next < items.count || !slots.isEmpty {
            while slots.count < batchSize && next < items.count {
                let context = contexts[next]
                // Keep at least the last context token to run, for the first next-token logits.
                let (cache, reused) = prefix.cache(for: context, limit: context.count - 1, extra: maxNewTokens, model: model)
                slots.append(Slot(item: next, cache: cache, pending: Array(context[reused...])))
                next += 1
            }
            let logits = model.extend(slots.map(\.pending), caches: slots.map(\.cache))
            var kept: [Slot] = []
            for (row, var slot) in slots.enumerated() {
                let token = argmax(logits.pointer + row * vocab, vocab)
                var stop: StopReason?
                var text = ""
                if stopTokens.contains(token) {
                    stop = .endOfSequence
                    text = tokenizer.decode(slot.generated)
                } else {
                    slot.generated.append(token)
                    generatedTokens += 1
                    text = tokenizer.decode(slot.generated)
                    if let cut = Self.firstStop(in: text, items[slot.item].stopStrings) {
                        text = String(text[..<cut])
                        stop = .stopString
                    } else if slot.generated.count >= maxNewTokens {
                        stop = .maxTokens
                    }
                }
                if let stop {
                    outputs[slot.item] = Output(text: text, tokens: slot.generated.count, stop: stop)
                    finished += 1
                    progress(finished, generatedTokens)
                } else {
                    slot.pending = [token]
                    kept.append(slot)
                }
            }
            slots = kept
        }
        return outputs.map { $0! }
    }

    /// Where the earliest of `stops` begins in `text`, if any occurs.
    static func firstStop(in text: String, _ stops: [String]) -> String.Index? {
        stops.compactMap { text.range(of: $0)?.lowerBound }.min()
    }

    private func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int32 {
        var best = 0
        for i in 1..<n where p[i] > p[best] { best = i }
        return Int32(best)
    }
}
