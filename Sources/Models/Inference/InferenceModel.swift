import Core

/// What generation, evaluation and serving need of a network: caches and next-token logits. `CausalLM`
/// (Float32 weights, trainable, LoRA) and `QuantizedCausalLM` (GGUF blocks kept as they are) both provide it.
public protocol InferenceModel: AnyObject, Sendable {
    var config: DecoderConfig { get }
    /// A cache sized for this model.
    func makeCache(capacity: Int) -> KVCache
    /// Appends `tokens[i]` to sequence i (whose past is in `caches[i]`) and returns the next-token logits
    /// `logits` asks for: [sequences, vocab] for `.lastRow`, [total new tokens, vocab] for `.allRows`.
    func extend(_ tokens: [[Int32]], caches: [KVCache], logits: ExtendLogits) -> Tensor
    /// Appends `tokens[i]` to the cache of sequence i without computing logits (a prompt or a shared prefix).
    func fill(_ tokens: [[Int32]], caches: [KVCache])
}

/// Which rows' next-token logits `InferenceModel.extend` returns.
public enum ExtendLogits: Sendable {
    /// After each sequence's last new token: [sequences, vocab].
    case lastRow
    /// After every new token, sequences one after the other: [total new tokens, vocab].
    case allRows
}

extension InferenceModel {
    /// Next-token logits after each sequence's last new token.
    public func extend(_ tokens: [[Int32]], caches: [KVCache]) -> Tensor { extend(tokens, caches: caches, logits: .lastRow) }
}
