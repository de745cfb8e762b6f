import Core
import NN

/// A decoder-only causal language model (Llama family, StableLM) built from a `DecoderConfig`. Parameter
/// names follow Hugging Face checkpoints, so loaders fill the store by name.
public final class CausalLM: @unchecked Sendable {
    public let config: DecoderConfig
    public let parameters: ParameterStore
    let embed: Embedding
    let blocks: [Block]
    let norm: Norm
    let lmHead: Linear?
    /// One entry per block while LoRA adapters are attached (see `attachLoRA`).
    var lora: [BlockLoRA]?
    /// Trainable stand-ins for vocabulary rows while LoRA adapters with trainable tokens are attached.
    var tokenRows: TrainableTokenRows?

    struct Block {
        let inputNorm: Norm
        let attention: SelfAttention
        /// nil with a parallel residual (attention and MLP share `inputNorm`).
        let postAttentionNorm: Norm?
        let mlp: SwiGLUMLP
    }

    /// A model with weights drawn from `seed` (normal, std 0.02; norms at 1, biases at 0); with no seed the
    /// weights start at zero, for loaders, which overwrite every value by name.
    public init(config: DecoderConfig, seed: UInt64? = 0) {
        if let problem = config.validationError() { check(false, "CausalLM: invalid configuration: \(problem)") }
        self.config = config
        let store = ParameterStore()
        parameters = store
        let layerNorm = config.family == .stablelm
        embed = Embedding(store, "model.embed_tokens", vocab: config.vocabSize, dim: config.hidden)
        blocks = (0..<config.layers).map { i in
            let p = "model.layers.\(i)"
            return Block(
                inputNorm: Norm(store, "\(p).input_layernorm", dim: config.hidden, eps: config.normEps, layerNorm: layerNorm),
                attention: SelfAttention(store, "\(p).self_attn", hidden: config.hidden, heads: config.heads,
                                         kvHeads: config.kvHeads, headDim: config.headDim, rotaryDim: config.rotaryDim,
                                         ropeBase: config.ropeBase, ropeScaling: config.ropeScaling, qkvBias: config.qkvBias,
                                         qkNorm: config.queryKeyNorm, normEps: config.normEps),
                postAttentionNorm: config.parallelResidual ? nil
                    : Norm(store, "\(p).post_attention_layernorm", dim: config.hidden, eps: config.normEps, layerNorm: layerNorm),
                mlp: SwiGLUMLP(store, "\(p).mlp", hidden: config.hidden, intermediate: config.intermediate))
        }
        norm = Norm(store, "model.norm", dim: config.hidden, eps: config.normEps, layerNorm: layerNorm)
        lmHead = config.tiedEmbeddings ? nil : Linear(store, "lm_head", inFeatures: config.hidden, outFeatures: config.vocabSize)
        store.allocate(seed: seed)
    }

    /// The output projection [vocab, hidden] (the embedding table when tied).
    public var outputWeight: Tensor { lmHead?.weight.tensor ?? embed.weight.tensor }

    /// The output projection's parameter (the embedding's when tied).
    var outputParameter: Parameter { lmHead?.weight ?? embed.weight }

    /// Embeddings of `ids` [ids.count, hidden], with attached token rows standing in for theirs.
    func embedTokens(_ ids: [Int32]) -> Tensor {
        guard let rows = tokenRows?.embedding else { return embed(ids) }
        return Tensor.embedding(embed.weight.tensor, ids: ids, replacingRows: rows.ids, with: rows.values.tensor)
    }

    /// Logits of final hidden states `h` [..., hidden] → [..., vocab], with attached token rows standing in
    /// for theirs of the output projection.
    func project(_ h: Tensor) -> Tensor {
        guard let rows = tokenRows?.output else { return h.linear(outputWeight) }
        return h.linear(outputWeight, replacingRows: rows.ids, with: rows.values.tensor)
    }

    /// Final hidden states [batch·length, hidden] for `tokens` laid out as `batch` rows of `length`; `layout`
    /// for rows that pack several sequences or share a prefix (nil: one causal sequence per row).
    public func hiddenStates(_ tokens: [Int32], batch: Int, length: Int, layout: SequenceLayout? = nil) -> Tensor {
        check(tokens.count == batch * length, "CausalLM: \(tokens.count) tokens do not fill batch \(batch) × length \(length)")
        var x = embedTokens(tokens)
        for (layer, block) in blocks.enumerated() {
            let lora = self.lora?[layer]
            let h = block.inputNorm(x)
            let a = block.attention(h, batch: batch, length: length, layout: layout, lora: lora)
            if let post = block.postAttentionNorm {
                x = x + a
                x = x + block.mlp(post(x), lora: lora)
            } else {
                x = x + a + block.mlp(h, lora: lora)
            }
        }
        return norm(x)
    }

    /// Next-token logits [batch·length, vocab].
    public func logits(_ tokens: [Int32], batch: Int, length: Int) -> Tensor {
        project(hiddenStates(tokens, batch: batch, length: length))
    }

    /// Logits [rows.count, vocab] for the chosen rows of `hidden` only (the output projection is the single
    /// largest GEMM with a 49k vocabulary; positions without a label need none).
    public func logits(hidden: Tensor, rows: [Int32]) -> Tensor {
        project(hidden.gatheringRows(rows))
    }

    /// Mean next-token cross-entropy; `labels[i]` is the target for position i (`Tensor.ignoreIndex` to skip).
    /// Logits are computed only where there is a label.
    public func loss(_ tokens: [Int32], labels: [Int32], batch: Int, length: Int, layout: SequenceLayout? = nil) -> Tensor {
        check(labels.count == batch * length, "CausalLM.loss: \(labels.count) labels for batch \(batch) × length \(length)")
        let rows = labels.indices.filter { labels[$0] >= 0 }.map(Int32.init)
        let hidden = hiddenStates(tokens, batch: batch, length: length, layout: layout)
        return logits(hidden: hidden, rows: rows).crossEntropy(labels: rows.map { labels[Int($0)] })
    }
}

extension CausalLM: InferenceModel {
    /// A cache sized for this model.
    public func makeCache(capacity: Int) -> KVCache {
        KVCache(layers: config.layers, capacity: capacity, kvHeads: config.kvHeads, headDim: config.headDim)
    }

    /// Inference step for several sequences at once: appends `tokens[i]` to sequence i (whose past is in
    /// `caches[i]`) and returns the next-token logits `logits` asks for.
    /// All rows share each layer's GEMMs; attention runs per sequence against its own cache.
    public func extend(_ tokens: [[Int32]], caches: [KVCache], logits: ExtendLogits) -> Tensor {
        Autograd.withNoGrad {
            let x = hidden(extending: tokens, caches: caches)
            return project(norm(logits == .allRows ? x : ExtendRows.lastRows(x, tokens)))
        }
    }

    /// Appends `tokens[i]` to the cache of sequence i without computing logits (a prompt or a shared prefix).
    public func fill(_ tokens: [[Int32]], caches: [KVCache]) {
        Autograd.withNoGrad { _ = hidden(extending: tokens, caches: caches) }
    }

    /// The final hidden states (before the output norm) of the new tokens, after writing them into the caches.
    private func hidden(extending tokens: [[Int32]], caches: [KVCache]) -> Tensor {
        let segments = ExtendRows.segments(tokens, caches, caller: "CausalLM.extend")
        var x = embedTokens(tokens.flatMap { $0 })
        for (layer, block) in blocks.enumerated() {
            let lora = self.lora?[layer]
            let h = block.inputNorm(x)
            let attention = block.attention
            let a = attention.o(attention.qkv(h, lora: lora?.qkv).cachedSelfAttention(attention.shape, segments: segments, layer: layer),
                                lora: lora?.o)
            if let post = block.postAttentionNorm {
                x = x + a
                x = x + block.mlp(post(x), lora: lora)
            } else {
                x = x + a + block.mlp(h, lora: lora)
            }
        }
        for (t, c) in zip(tokens, caches) { c.advance(by: t.count) }
        return x
    }
}
