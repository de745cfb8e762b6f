import Core
import NN

/// A Llama-style decoder (SmolLM2 and kin): RMSNorm, grouped-query attention with rotary embeddings, SwiGLU
/// MLP, optionally tied input and output embeddings. Parameter names follow Hugging Face checkpoints.
public final class Llama: @unchecked Sendable {
    public let config: LlamaConfig
    public let parameters: ParameterStore
    let embed: Embedding
    let blocks: [Block]
    let norm: RMSNorm
    let lmHead: Linear?

    struct Block {
        let inputNorm: RMSNorm
        let attention: SelfAttention
        let postAttentionNorm: RMSNorm
        let mlp: SwiGLUMLP
    }

    /// A model with randomly initialized weights (std 0.02, norms at 1) drawn from `seed`.
    public init(config: LlamaConfig, seed: UInt64 = 0) {
        if let problem = config.validationError() { check(false, "Llama: invalid configuration: \(problem)") }
        self.config = config
        let store = ParameterStore()
        parameters = store
        embed = Embedding(store, "model.embed_tokens", vocab: config.vocabSize, dim: config.hidden)
        blocks = (0..<config.layers).map { i in
            let p = "model.layers.\(i)"
            return Block(
                inputNorm: RMSNorm(store, "\(p).input_layernorm", dim: config.hidden, eps: config.rmsNormEps),
                attention: SelfAttention(store, "\(p).self_attn", hidden: config.hidden, heads: config.heads,
                                         kvHeads: config.kvHeads, headDim: config.headDim, ropeBase: config.ropeBase),
                postAttentionNorm: RMSNorm(store, "\(p).post_attention_layernorm", dim: config.hidden, eps: config.rmsNormEps),
                mlp: SwiGLUMLP(store, "\(p).mlp", hidden: config.hidden, intermediate: config.intermediate))
        }
        norm = RMSNorm(store, "model.norm", dim: config.hidden, eps: config.rmsNormEps)
        lmHead = config.tiedEmbeddings ? nil : Linear(store, "lm_head", inFeatures: config.hidden, outFeatures: config.vocabSize)
        store.allocate(seed: seed)
    }

    /// Final hidden states [batch·length, hidden] for `tokens` laid out as `batch` rows of `length`.
    public func hiddenStates(_ tokens: [Int32], batch: Int, length: Int) -> Tensor {
        check(tokens.count == batch * length, "Llama: \(tokens.count) tokens do not fill batch \(batch) × length \(length)")
        var x = embed(tokens)
        for block in blocks {
            x = x + block.attention(block.inputNorm(x), batch: batch, length: length)
            x = x + block.mlp(block.postAttentionNorm(x))
        }
        return norm(x)
    }

    /// Next-token logits [batch·length, vocab].
    public func logits(_ tokens: [Int32], batch: Int, length: Int) -> Tensor {
        let h = hiddenStates(tokens, batch: batch, length: length)
        return h.linear(lmHead?.weight.tensor ?? embed.weight.tensor)
    }

    /// Mean next-token cross-entropy; `labels[i]` is the target for position i (`Tensor.ignoreIndex` to skip).
    public func loss(_ tokens: [Int32], labels: [Int32], batch: Int, length: Int) -> Tensor {
        logits(tokens, batch: batch, length: length).crossEntropy(labels: labels)
    }
}
