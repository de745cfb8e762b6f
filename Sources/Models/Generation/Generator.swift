import Core

/// Why a sequence stopped.
public enum StopReason: String, Sendable {
    case endOfSequence = "eos"
    case stopString = "stop"
    case maxTokens = "length"
}

/// Batched autoregressive generation with KV caches and continuous batching: up to `batchSize` sequences run
/// together, and a finished sequence's slot goes to the next waiting prompt at once (its prompt is prefilled
/// in the same model call as the other sequences' next tokens). Prompts of different lengths share each call.
public struct Generator {
    public let model: any InferenceModel
    public var stopTokens: Set<Int32>
    /// Decodes generated ids to text for stop-string checks; nil disables stop strings.
    public var decode: (([Int32]) -> String)?

    public init(model: any InferenceModel, stopTokens: Set<Int32> = [], decode: (([Int32]) -> String)? = nil) {
        self.model = model
        self.stopTokens = stopTokens
        self.decode = decode
    }

    public struct Output: Sendable {
        public var tokens: [Int32]
        public var stop: StopReason
    }

    /// Generates up to `maxTokens` tokens after each prompt, at most `batchSize` sequences at a time (nil: all
    /// at once). `onToken(sequence, token)` is called as each token is chosen (for streaming). A stop token ends
    /// a sequence without being included; a stop string ends it with the text up to the string kept. Sequence i
    /// samples with seed `sampling.seed + i`, so outputs do not depend on the batch size.
    public func generate(_ prompts: [[Int32]], maxTokens: Int, sampling: SamplingOptions = SamplingOptions(),
                         stopStrings: [String] = [], batchSize: Int? = nil,
                         onToken: (Int, Int32) -> Void = { _, _ in }) -> [Output] {
        check(!prompts.isEmpty && prompts.allSatisfy { !$0.isEmpty }, "generate: every prompt needs at least one token")
        check(batchSize.map { $0 > 0 } ?? true, "generate: the batch size must be positive")
        struct Slot {
            let sequence: Int
            let cache: KVCache
            var sampler: Sampler
            var pending: [Int32]
        }
        var outputs = prompts.map { _ in Output(tokens: [], stop: .maxTokens) }
        var slots: [Slot] = []
        var next = 0
        let vocab = model.config.vocabSize, limit = batchSize ?? prompts.count
        while next < prompts.count || !slots.isEmpty {
            while slots.count < limit && next < prompts.count {
                var o = sampling
                o.seed = sampling.seed &+ UInt64(next)
                slots.append(Slot(sequence: next, cache: model.makeCache(capacity: prompts[next].count + maxTokens),
                                  sampler: Sampler(o), pending: prompts[next]))
                next += 1
            }
            let logits = model.extend(slots.map(\.pending), caches: slots.map(\.cache))
            var kept: [Slot] = []
            for (row, var slot) in slots.enumerated() {
                let seq = slot.sequence
                let token = slot.sampler.sample(logits.pointer + row * vocab, count: vocab)
                if stopTokens.contains(token) {
                    outputs[seq].stop = .endOfSequence
                    continue
                }
                outputs[seq].tokens.append(token)
                onToken(seq, token)
                if !stopStrings.isEmpty, let decode, stopStrings.contains(where: decode(outputs[seq].tokens).contains) {
                    outputs[seq].stop = .stopString
                    continue
                }
                if outputs[seq].tokens.count >= maxTokens { continue }
                slot.pending = [token]
                kept.append(slot)
            }
            slots = kept
        }
        return outputs
    }
}
