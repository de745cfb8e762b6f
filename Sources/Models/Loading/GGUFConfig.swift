import Core

extension DecoderConfig {
    /// Reads the model geometry from GGUF metadata (`general.architecture` `llama`, `qwen2`, `qwen3`, `stablelm`,
    /// `gemma3` or `phi3`).
    public static func gguf(_ file: GGUFFile) throws -> DecoderConfig {
        let m = file.metadata
        let arch = try m.string("general.architecture")
        guard ["llama", "qwen2", "qwen3", "stablelm", "gemma3", "phi3"].contains(arch) else {
            throw FileError(path: file.path, "architecture \"\(arch)\" is not supported (llama, qwen2, qwen3, stablelm, gemma3, phi3)")
        }
        func int(_ key: String) throws -> Int { try m.int("\(arch).\(key)") }
        let heads = try int("attention.head_count"), hidden = try int("embedding_length")
        let kvHeads = try m.ifPresent("\(arch).attention.head_count_kv", m.int) ?? heads
        let vocab = try m.ifPresent("\(arch).vocab_size", m.int) ?? m.stringArray("tokenizer.ggml.tokens").count
        let base = try m.ifPresent("\(arch).rope.freq_base", m.float) ?? 10000
        let tied = file.info("output.weight") == nil
        let context = try m.ifPresent("\(arch).context_length", m.int) ?? 2048
        // A head width other than hidden / heads (Qwen3) is written as the key length.
        let headDim = try m.ifPresent("\(arch).attention.key_length", m.int)
        var config: DecoderConfig
        switch arch {
        case "llama":
            config = .llama(vocabSize: vocab, hidden: hidden, layers: try int("block_count"), heads: heads, kvHeads: kvHeads,
                            intermediate: try int("feed_forward_length"), headDim: headDim, ropeBase: base,
                            normEps: try m.float("llama.attention.layer_norm_rms_epsilon"), tiedEmbeddings: tied,
                            maxPositions: context)
        case "qwen2", "qwen3":
            config = .qwen(arch == "qwen2" ? .qwen2 : .qwen3, vocabSize: vocab, hidden: hidden, layers: try int("block_count"),
                           heads: heads, kvHeads: kvHeads, intermediate: try int("feed_forward_length"), headDim: headDim,
                           ropeBase: base, normEps: try m.float("\(arch).attention.layer_norm_rms_epsilon"), tiedEmbeddings: tied,
                           maxPositions: context)
        case "phi3":
            let hd = hidden / max(heads, 1)
            let rotary = try m.ifPresent("phi3.rope.dimension_count", m.int) ?? hd
            config = .phi3(vocabSize: vocab, hidden: hidden, layers: try int("block_count"), heads: heads, kvHeads: kvHeads,
                           intermediate: try int("feed_forward_length"), partialRotaryFactor: Float(rotary) / Float(max(hd, 1)),
                           ropeBase: base, normEps: try m.float("phi3.attention.layer_norm_rms_epsilon"),
                           slidingWindow: try m.ifPresent("phi3.attention.sliding_window", m.int), tiedEmbeddings: tied,
                           maxPositions: context)
        case "gemma3":
            // llama.cpp fixes what the file does not say: every sixth layer global, rope base 10,000 in the
            // others, and queries scaled by 1/√head_dim but in the 27B model (62 layers).
            let layers = try int("block_count")
            if layers == 62 {
                throw FileError(path: file.path, "Gemma 3 27B scales queries by 1/√(hidden/heads), which remask does not implement")
            }
            for key in ["attn_logit_softcapping", "final_logit_softcapping"] where m.values["gemma3.\(key)"] != nil {
                throw FileError(path: file.path, "gemma3.\(key) is not supported (Gemma 3 sets none)")
            }
            config = .gemma3(vocabSize: vocab, hidden: hidden, layers: layers, heads: heads, kvHeads: kvHeads,
                             intermediate: try int("feed_forward_length"), headDim: headDim ?? hidden / max(heads, 1),
                             ropeBase: base, slidingWindow: try int("attention.sliding_window"),
                             normEps: try m.float("gemma3.attention.layer_norm_rms_epsilon"), maxPositions: context)
            if !tied { throw FileError(path: file.path, "a Gemma 3 file with its own output.weight is not supported (Gemma ties it to the embedding)") }
        default:  // stablelm
            let headDim = hidden / max(heads, 1)
            let rotary = try m.ifPresent("stablelm.rope.dimension_count", m.int) ?? headDim / 4
            config = .stableLM(vocabSize: vocab, hidden: hidden, layers: try int("block_count"), heads: heads, kvHeads: kvHeads,
                               intermediate: try int("feed_forward_length"),
                               partialRotaryFactor: Float(rotary) / Float(max(headDim, 1)), ropeBase: base,
                               normEps: try m.float("stablelm.attention.layer_norm_epsilon"),
                               qkvBias: file.info("blk.0.attn_q.bias") != nil,
                               qkLayerNorm: file.info(TensorNames.ggufHeadNorm(layer: 0, query: true)) != nil,
                               tiedEmbeddings: tied, maxPositions: context)
        }
        // llama.cpp writes Llama 3.1's frequency factors as a tensor, and linear scaling as metadata.
        if file.info(TensorNames.ggufRopeFactors) != nil {
            config.ropeScaling = .factors(try file.tensor(TensorNames.ggufRopeFactors).values)
        } else if let kind = try m.ifPresent("\(arch).rope.scaling.type", m.string), kind != "none" {
            guard kind == "linear" else {
                throw FileError(path: file.path, "\(arch).rope.scaling.type \"\(kind)\" is not supported (linear, or rope_freqs factors)")
            }
            config.ropeScaling = .linear(factor: try m.float("\(arch).rope.scaling.factor"))
        }
        if let problem = config.validationError() { throw FileError(path: file.path, problem) }
        return config
    }
}

extension GGUFMetadata {
    /// `read(key)` when the key is present, nil when it is absent (a present key of the wrong type still throws).
    func ifPresent<T>(_ key: String, _ read: (String) throws -> T) rethrows -> T? {
        values[key] == nil ? nil : try read(key)
    }
}
