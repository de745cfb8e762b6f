import Foundation
import Core

extension DecoderConfig {
    /// Reads a Hugging Face `config.json` (model types `llama`, `mistral`, `qwen2`, `qwen3`, `stablelm`, `gemma3_text`, `phi3`). Every missing or
    /// unusable field is reported with the file and the key.
    public static func huggingFace(configAt path: String) throws -> DecoderConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, "cannot read the file")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FileError(path: path, "not a JSON object")
        }
        let rope = json["rope_parameters"] as? [String: Any] ?? [:]
        func number(_ key: String, in dict: [String: Any]? = nil) -> Double? {
            ((dict ?? json)[key] as? NSNumber)?.doubleValue
        }
        func int(_ key: String, default fallback: Int? = nil) throws -> Int {
            if let v = number(key), v == v.rounded(), v >= 0, v < 1e9 { return Int(v) }
            if json[key] == nil || json[key] is NSNull, let fallback { return fallback }
            throw FileError(path: path, json[key] == nil ? "missing \"\(key)\"" : "\"\(key)\" is not a non-negative integer")
        }
        /// nil when the key is absent or null (Mistral v0.2+ and Phi-3.5 write `"sliding_window": null`).
        func optionalInt(_ key: String) throws -> Int? { json[key] == nil || json[key] is NSNull ? nil : try int(key) }
        func bool(_ key: String, default fallback: Bool) -> Bool { (json[key] as? Bool) ?? fallback }
        let type = json["model_type"] as? String ?? "(missing)"
        let activation = type.hasPrefix("gemma") ? "gelu_pytorch_tanh" : "silu"
        for key in ["hidden_act", "hidden_activation"] {
            if let act = json[key] as? String, act != activation {
                throw FileError(path: path, "\(key) \"\(act)\" is not supported for \(type) (only \(activation))")
            }
        }
        // Settings that change the math and that remask does not implement are refused, not ignored.
        var ropeScaling: RopeScaling?
        // Gemma 3 keeps one set of rope parameters per attention type; the sliding layers' must be plain.
        let globalRope = rope["full_attention"] as? [String: Any]
        if let local = rope["sliding_attention"] as? [String: Any], let kind = local["rope_type"] as? String, kind != "default" {
            throw FileError(path: path, "rope_parameters.sliding_attention of type \"\(kind)\" is not supported (default)")
        }
        for (key, value) in [("rope_scaling", json["rope_scaling"]), ("rope_parameters", globalRope ?? json["rope_parameters"])] {
            guard let scaling = value as? [String: Any] else { continue }
            func parameter(_ name: String) throws -> Double {
                guard let v = number(name, in: scaling) else { throw FileError(path: path, "\(key) needs \"\(name)\"") }
                return v
            }
            switch scaling["rope_type"] as? String ?? scaling["type"] as? String ?? "default" {
            case "default": continue
            case "linear": ropeScaling = .linear(factor: Float(try parameter("factor")))
            case "llama3":
                ropeScaling = .llama3(factor: Float(try parameter("factor")), lowFreqFactor: Float(try parameter("low_freq_factor")),
                                      highFreqFactor: Float(try parameter("high_freq_factor")),
                                      originalMaxPositions: Int(try parameter("original_max_position_embeddings")))
            case let kind:
                throw FileError(path: path, "\(key) of type \"\(kind)\" is not supported (default, linear, llama3)")
            }
        }
        for key in ["attention_bias", "mlp_bias"] where bool(key, default: false) {
            throw FileError(path: path, "\(key): true is not supported (biases on these projections are not implemented)")
        }
        let heads = try int("num_attention_heads"), hidden = try int("hidden_size")
        let kvHeads = try int("num_key_value_heads", default: heads)
        let base = Float(number("rope_theta") ?? number("rope_theta", in: globalRope ?? rope) ?? 10000)
        var config: DecoderConfig
        switch type {
        case "llama", "mistral":
            config = .llama(vocabSize: try int("vocab_size"), hidden: hidden, layers: try int("num_hidden_layers"),
                            heads: heads, kvHeads: kvHeads, intermediate: try int("intermediate_size"),
                            headDim: try int("head_dim", default: hidden / max(heads, 1)), ropeBase: base,
                            normEps: Float(number("rms_norm_eps") ?? 1e-6),
                            tiedEmbeddings: bool("tie_word_embeddings", default: false),
                            maxPositions: try int("max_position_embeddings", default: 2048))
            // Mistral 7B v0.1 attends to the last 4096 positions in every layer (later versions set null).
            if type == "mistral" { config.slidingWindow = try optionalInt("sliding_window") }
        case "qwen2", "qwen3":
            // Qwen checkpoints carry sliding-window settings that are off unless use_sliding_window is true.
            let layerTypes = json["layer_types"] as? [String] ?? []
            if bool("use_sliding_window", default: false) || layerTypes.contains(where: { $0 != "full_attention" }) {
                throw FileError(path: path, "sliding-window attention (use_sliding_window / layer_types) is not supported")
            }
            config = .qwen(type == "qwen2" ? .qwen2 : .qwen3, vocabSize: try int("vocab_size"), hidden: hidden,
                           layers: try int("num_hidden_layers"), heads: heads, kvHeads: kvHeads, intermediate: try int("intermediate_size"),
                           headDim: try int("head_dim", default: hidden / max(heads, 1)), ropeBase: base,
                           normEps: Float(number("rms_norm_eps") ?? 1e-6),
                           tiedEmbeddings: bool("tie_word_embeddings", default: false),
                           maxPositions: try int("max_position_embeddings", default: 32768))
        case "stablelm":
            config = .stableLM(vocabSize: try int("vocab_size"), hidden: hidden, layers: try int("num_hidden_layers"),
                               heads: heads, kvHeads: kvHeads, intermediate: try int("intermediate_size"),
                               partialRotaryFactor: Float(number("partial_rotary_factor") ?? number("partial_rotary_factor", in: rope) ?? 0.25),
                               ropeBase: base, normEps: Float(number("layer_norm_eps") ?? 1e-5),
                               qkvBias: bool("use_qkv_bias", default: false), qkLayerNorm: bool("qk_layernorm", default: false),
                               parallelResidual: bool("use_parallel_residual", default: false),
                               tiedEmbeddings: bool("tie_word_embeddings", default: false),
                               maxPositions: try int("max_position_embeddings", default: 4096))
        case "phi3":
            config = .phi3(vocabSize: try int("vocab_size"), hidden: hidden, layers: try int("num_hidden_layers"),
                           heads: heads, kvHeads: kvHeads, intermediate: try int("intermediate_size"),
                           partialRotaryFactor: Float(number("partial_rotary_factor") ?? number("partial_rotary_factor", in: rope) ?? 1),
                           ropeBase: base, normEps: Float(number("rms_norm_eps") ?? 1e-5),
                           slidingWindow: try optionalInt("sliding_window"),
                           tiedEmbeddings: bool("tie_word_embeddings", default: false),
                           maxPositions: try int("max_position_embeddings", default: 4096))
        case "gemma3_text":
            config = try gemma3(json, path: path, heads: heads, kvHeads: kvHeads, hidden: hidden, ropeBase: base, int: int)
        case "gemma3":
            throw FileError(path: path, "model_type \"gemma3\" is the multimodal Gemma 3; remask reads the text-only checkpoints (model_type gemma3_text: Gemma 3 270M and 1B)")
        default:
            throw FileError(path: path, "model_type \"\(type)\" is not supported (llama, mistral, qwen2, qwen3, stablelm, gemma3_text, phi3)")
        }
        config.ropeScaling = ropeScaling
        if let problem = config.validationError() { throw FileError(path: path, problem) }
        return config
    }

    /// A `gemma3_text` config: the attention type of each layer (`layer_types`, or every `sliding_window_pattern`-th
    /// layer global), the sliding layers' rope base, and the settings remask refuses rather than ignores.
    private static func gemma3(_ json: [String: Any], path: String, heads: Int, kvHeads: Int, hidden: Int, ropeBase: Float,
                               int: (String, Int?) throws -> Int) throws -> DecoderConfig {
        for key in ["final_logit_softcapping", "attn_logit_softcapping"] where !(json[key] == nil || json[key] is NSNull) {
            throw FileError(path: path, "\(key) is not supported (Gemma 3 sets none)")
        }
        if json["use_bidirectional_attention"] as? Bool == true {
            throw FileError(path: path, "use_bidirectional_attention: true is not supported (a causal decoder only)")
        }
        let layers = try int("num_hidden_layers", nil), headDim = try int("head_dim", 256)
        if let scalar = (json["query_pre_attn_scalar"] as? NSNumber)?.intValue, scalar != headDim {
            throw FileError(path: path, "query_pre_attn_scalar \(scalar) differs from head_dim \(headDim); remask scales queries by 1/√head_dim only")
        }
        let rope = json["rope_parameters"] as? [String: Any] ?? [:]
        let local = (json["rope_local_base_freq"] as? NSNumber)?.floatValue
            ?? ((rope["sliding_attention"] as? [String: Any])?["rope_theta"] as? NSNumber)?.floatValue ?? 10000
        var config = DecoderConfig.gemma3(vocabSize: try int("vocab_size", nil), hidden: hidden, layers: layers, heads: heads,
                                          kvHeads: kvHeads, intermediate: try int("intermediate_size", nil), headDim: headDim,
                                          ropeBase: ropeBase, slidingRopeBase: local, slidingWindow: try int("sliding_window", 4096),
                                          slidingPattern: try int("sliding_window_pattern", 6),
                                          normEps: Float((json["rms_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-6),
                                          maxPositions: try int("max_position_embeddings", 32768))
        if let types = json["layer_types"] as? [String] {
            if let odd = types.first(where: { $0 != "sliding_attention" && $0 != "full_attention" }) {
                throw FileError(path: path, "layer_types holds \"\(odd)\" (sliding_attention or full_attention)")
            }
            config.slidingLayers = types.map { $0 == "sliding_attention" }
        }
        if json["tie_word_embeddings"] as? Bool == false {
            throw FileError(path: path, "tie_word_embeddings: false is not supported for Gemma 3 (its output projection is the embedding)")
        }
        return config
    }
}
