import Core
import NN

/// A decoder-only causal language model (Llama family, Qwen, StableLM, Gemma 3) built from a `DecoderConfig`.
/// Parameter names follow Hugging Face checkpoints, so loaders fill the store by name.
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
        /// Gemma: the norm of the attention output (its `post_attention_layernorm`).
        let attentionOutputNorm: Norm?
        /// The norm before the MLP (Llama's `post_attention_layernorm`, Gemma's `pre_feedforward_layernorm`);
        /// nil with a parallel residual (attention and MLP share `inputNorm`).
        let mlpNorm: Norm?
        /// Gemma: the norm of the MLP output (`post_feedforward_layernorm`).
        let mlpOutputNorm: Norm?
        let mlp: GatedMLP

        init(_ store: ParameterStore, layer i: Int, _ config: DecoderConfig) {
            let p = "model.layers.\(i)"
            func norm(_ name: String) -> Norm {
                Norm(store, "\(p).\(name)", dim: config.hidden, eps: config.normEps, kind: config.normKind)
            }
            let rope = config.rope(layer: i)
            inputNorm = norm("input_layernorm")
            attention = SelfAttention(store, "\(p).self_attn", hidden: config.hidden, heads: config.heads, kvHeads: config.kvHeads,
                                      headDim: config.headDim, rotaryDim: config.rotaryDim, ropeBase: rope.base,
                                      ropeScaling: rope.scaling, window: config.window(layer: i), qkvBias: config.qkvBias,
                                      qkNorm: config.queryKeyNorm, qkNormUnitOffset: config.normKind == .rmsUnitOffset,
                                      normEps: config.normEps)
            if config.normalizesBlockOutputs {
                attentionOutputNorm = norm("post_attention_layernorm")
                mlpNorm = norm("pre_feedforward_layernorm")
                mlpOutputNorm = norm("post_feedforward_layernorm")
            } else {
                attentionOutputNorm = nil
                mlpNorm = config.parallelResidual ? nil : norm("post_attention_layernorm")
                mlpOutputNorm = nil
            }
            mlp = GatedMLP(store, "\(p).mlp", hidden: config.hidden, intermediate: config.intermediate, activation: config.activation)
        }

        /// The block applied to `x`, with `attend` computing the attention of its normalized input.
        func callAsFunction(_ x: Tensor, lora: BlockLoRA?, attend: (Tensor) -> Tensor) -> Tensor {
            let h = inputNorm(x)
            var a = attend(h)
            if let attentionOutputNorm { a = attentionOutputNorm(a) }
            guard let mlpNorm else { return x + a + mlp(h, lora: lora) }
            let x = x + a
            var m = mlp(mlpNorm(x), lora: lora)
            if let mlpOutputNorm { m = mlpOutputNorm(m) }
            return x + m
        }
    }

    /// A model with weights drawn from `seed` (normal, std 0.02; norms scaling by 1, biases at 0); with no seed the
    /// weights start at zero, for loaders, which overwrite every value by name.
    public init(config: DecoderConfig, seed: UInt64? = 0) {
        if let problem = config.validationError() { check(false, "CausalLM: invalid configuration: \(problem)") }
        self.config = config
        let store = ParameterStore()
        parameters = store
        embed = Embedding(store, "model.embed_tokens", vocab: config.vocabSize, dim: config.hidden)
        blocks = (0..<config.layers).map { Block(store, layer: $0, config) }
        norm = Norm(store, "model.norm", dim: config.hidden, eps: config.normEps, kind: config.normKind)
        lmHead = config.tiedEmbeddings ? nil : Linear(store, "lm_head", inFeatures: config.hidden, outFeatures: config.vocabSize)
        store.allocate(seed: seed)
    }

    /// The output projection [vocab, hidden] (the embedding table when tied).
    public var outputWeight: Tensor { lmHead?.weight.tensor ?? embed.weight.tensor }

    /// The output projection's parameter (the embedding's when tied).
    var outputParameter: Parameter { lmHead?.weight ?? embed.weight }

    /// Embeddings of `ids` [ids.count, hidden], with attached token rows standing in for theirs.
    /// Scaled by `config.embeddingScale` where the model does so.
    func embedTokens(_ ids: [Int32]) -> Tensor {
        let e = tokenRows?.embedding.map { Tensor.embedding(embed.weight.tensor, ids: ids, replacingRows: $0.ids, with: $0.values.tensor) }
            ?? embed(ids)
        return config.embeddingScale.map { e * $0 } ?? e
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
            x = block(x, lora: lora) { block.attention($0, batch: batch, length: length, layout: layout, lora: lora) }
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
            let lora = self.lora?[layer], attention = block.attention
            x = block(x, lora: lora) { h in
                attention.o(attention.qkv(h, lora: lora?.qkv).cachedSelfAttention(attention.shape, segments: segments, layer: layer),
                            lora: lora?.o)
            }
        }
        for (t, c) in zip(tokens, caches) { c.advance(by: t.count) }
        return x
    }
}
