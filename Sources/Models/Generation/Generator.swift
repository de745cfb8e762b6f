import Core

/// Why a sequence stopped.
public enum StopReason: String, Sendable {
    case endOfSequence = "eos"
    case stopString = "stop"
    case maxTokens = "length"
}

/// Batched autoregressive generation with KV caches. Prompts of different lengths are prefilled together in
/// one pass (each against its own cache), then every unfinished sequence advances one token per step.
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

    /// Generates up to `maxTokens` tokens after each prompt. `onToken(sequence, token)` is called as each
    /// token is chosen (for streaming). A stop token ends a sequence without being included; a stop string
    /// ends it with the text up to the string kept.
    public func generate(_ prompts: [[Int32]], maxTokens: Int, sampling: SamplingOptions = SamplingOptions(),
                         stopStrings: [String] = [], onToken: (Int, Int32) -> Void = { _, _ in }) -> [Output] {
        check(!prompts.isEmpty && prompts.allSatisfy { !$0.isEmpty }, "generate: every prompt needs at least one token")
        let capacity = prompts.map(\.count).max()! + maxTokens
        let caches = prompts.map { _ in model.makeCache(capacity: capacity) }
        var samplers = prompts.indices.map { i in
            var o = sampling
            o.seed = sampling.seed &+ UInt64(i)
            return Sampler(o)
        }
        var outputs = prompts.map { _ in Output(tokens: [], stop: .maxTokens) }
        var active = Array(prompts.indices)
        var pending = prompts
        let vocab = model.config.vocabSize
        while !active.isEmpty {
            let logits = model.extend(active.map { pending[$0] }, caches: active.map { caches[$0] })
            var stillActive: [Int] = []
            for (row, seq) in active.enumerated() {
                let next = samplers[seq].sample(logits.pointer + row * vocab, count: vocab)
                if stopTokens.contains(next) {
                    outputs[seq].stop = .endOfSequence
                    continue
                }
                outputs[seq].tokens.append(next)
                onToken(seq, next)
                if !stopStrings.isEmpty, let decode, stopStrings.contains(where: decode(outputs[seq].tokens).contains) {
                    outputs[seq].stop = .stopString
                    continue
                }
                if outputs[seq].tokens.count >= maxTokens { continue }
                pending[seq] = [next]
                stillActive.append(seq)
            }
            active = stillActive
        }
        return outputs
    }
}
