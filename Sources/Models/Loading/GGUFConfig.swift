extension DecoderConfig {
    /// Reads the model geometry from GGUF metadata (`general.architecture` `llama` or `stablelm`).
    public static func gguf(_ file: GGUFFile) throws -> DecoderConfig {
        let m = file.metadata
        let arch = try m.string("general.architecture")
        guard arch == "llama" || arch == "stablelm" else {
            throw ModelFileError(path: file.path, "architecture \"\(arch)\" is not supported (llama, stablelm)")
        }
        func int(_ key: String) throws -> Int { try m.int("\(arch).\(key)") }
        let heads = try int("attention.head_count"), hidden = try int("embedding_length")
        let kvHeads = m.values["\(arch).attention.head_count_kv"] == nil ? heads : try int("attention.head_count_kv")
        let vocab = m.values["\(arch).vocab_size"] == nil ? try m.stringArray("tokenizer.ggml.tokens").count : try int("vocab_size")
        let base = m.values["\(arch).rope.freq_base"] == nil ? 10000 : try m.float("\(arch).rope.freq_base")
        let tied = file.info("output.weight") == nil
        let context = m.values["\(arch).context_length"] == nil ? 2048 : try int("context_length")
        let config: DecoderConfig
        switch arch {
        case "llama":
            config = .llama(vocabSize: vocab, hidden: hidden, layers: try int("block_count"), heads: heads, kvHeads: kvHeads,
                            intermediate: try int("feed_forward_length"), ropeBase: base,
                            normEps: try m.float("llama.attention.layer_norm_rms_epsilon"), tiedEmbeddings: tied,
                            maxPositions: context)
        default:  // stablelm
            let headDim = hidden / max(heads, 1)
            let rotary = m.values["stablelm.rope.dimension_count"] == nil ? headDim / 4 : try int("rope.dimension_count")
            config = .stableLM(vocabSize: vocab, hidden: hidden, layers: try int("block_count"), heads: heads, kvHeads: kvHeads,
                               intermediate: try int("feed_forward_length"),
                               partialRotaryFactor: Float(rotary) / Float(max(headDim, 1)), ropeBase: base,
                               normEps: try m.float("stablelm.attention.layer_norm_epsilon"),
                               qkvBias: file.info("blk.0.attn_q.bias") != nil,
                               qkLayerNorm: file.info("blk.0.attn_q_norm.weight") != nil,
                               tiedEmbeddings: tied, maxPositions: context)
        }
        if let problem = config.validationError() { throw ModelFileError(path: file.path, problem) }
        return config
    }
}
