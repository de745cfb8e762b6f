import Foundation
import Core

extension DecoderConfig {
    /// Reads a Hugging Face `config.json` (model types `llama`, `mistral`, `qwen2`, `qwen3`, `stablelm`). Every missing or
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
        func bool(_ key: String, default fallback: Bool) -> Bool { (json[key] as? Bool) ?? fallback }
        let type = json["model_type"] as? String ?? "(missing)"
        if let act = json["hidden_act"] as? String, act != "silu" {
            throw FileError(path: path, "hidden_act \"\(act)\" is not supported (only silu / SwiGLU)")
        }
        // Settings that change the math and that remask does not implement are refused, not ignored.
        var ropeScaling: RopeScaling?
        for (key, value) in [("rope_scaling", json["rope_scaling"]), ("rope_parameters", json["rope_parameters"])] {
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
        let base = Float(number("rope_theta") ?? number("rope_theta", in: rope) ?? 10000)
        var config: DecoderConfig
        switch type {
        case "llama", "mistral":
            config = .llama(vocabSize: try int("vocab_size"), hidden: hidden, layers: try int("num_hidden_layers"),
                            heads: heads, kvHeads: kvHeads, intermediate: try int("intermediate_size"),
                            headDim: try int("head_dim", default: hidden / max(heads, 1)), ropeBase: base,
                            normEps: Float(number("rms_norm_eps") ?? 1e-6),
                            tiedEmbeddings: bool("tie_word_embeddings", default: false),
                            maxPositions: try int("max_position_embeddings", default: 2048))
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
        default:
            throw FileError(path: path, "model_type \"\(type)\" is not supported (llama, mistral, qwen2, qwen3, stablelm)")
        }
        config.ropeScaling = ropeScaling
        if let problem = config.validationError() { throw FileError(path: path, problem) }
        return config
    }
}
