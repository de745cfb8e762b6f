import Foundation
import Core
import NN

/// A problem exporting a model (as opposed to reading a file).
public struct ExportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Writes a model back out in the formats other tools load.
public enum ModelExport {
    public enum Format: String, CaseIterable, Sendable { case safetensors, gguf }
    public enum DType: String, CaseIterable, Sendable {
        case f32, f16, q8_0, q4_0, q4_1, q6_k, q4_k_m

        /// The GGML type of most of the model's matrices (`GGUFTensorTypes` chooses each one).
        var ggmlType: GGMLType {
            switch self {
            case .f32: .f32
            case .f16: .f16
            case .q8_0: .q8_0
            case .q4_0: .q4_0
            case .q4_1: .q4_1
            case .q6_k: .q6_K
            case .q4_k_m: .q4_K
            }
        }

        /// llama.cpp's `general.file_type` (`LLAMA_FTYPE_MOSTLY_*`).
        var fileType: UInt32 {
            switch self {
            case .f32: 0
            case .f16: 1
            case .q4_0: 2
            case .q4_1: 3
            case .q8_0: 7
            case .q4_k_m: 15
            case .q6_k: 18
            }
        }

        /// A GGUF block type (safetensors cannot hold it).
        public var isQuantized: Bool { self != .f32 && self != .f16 }
    }

    /// Exports `lm` to `out`: a Hugging Face folder (`config.json`, `model.safetensors`, tokenizer files) or a
    /// GGUF file (metadata, tokenizer, chat template; q/k rows permuted as llama.cpp expects). Every file is
    /// written to a temporary name and renamed, so a failed export leaves no half-written file.
    public static func export(_ lm: LanguageModel, to out: String, format: Format, dtype: DType) throws {
        switch format {
        case .safetensors: try exportHuggingFace(lm, folder: out, dtype: dtype)
        case .gguf: try exportGGUF(lm, file: out, dtype: dtype)
        }
    }

    static func exportHuggingFace(_ lm: LanguageModel, folder: String, dtype: DType) throws {
        guard !dtype.isQuantized else { throw ExportError("safetensors holds f32 or f16; \(dtype.rawValue) is for --format gguf") }
        let st: SafetensorsDType = dtype == .f16 ? .f16 : .f32
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let dir = URL(fileURLWithPath: folder)
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        var fused = FusedWriter()
        for p in lm.model.parameters.parameters {
            if let slice = TensorNames.fused(p.name, lm.model.config) {
                if let whole = fused.append(p, slice, name: slice.huggingFace) { writer.add(slice.huggingFace, whole, as: st) }
            } else {
                writer.add(p.name, p.tensor, as: st)
            }
        }
        try writer.write(to: dir.appendingPathComponent("model.safetensors").path)
        try atomicWrite(huggingFaceConfig(lm.model.config, dtype: dtype), to: dir.appendingPathComponent("config.json"))
        if let t = lm.tokenizer {
            try atomicWrite(TokenizerExport.huggingFaceJSON(t), to: dir.appendingPathComponent("tokenizer.json"))
            try atomicWrite(TokenizerExport.huggingFaceConfig(t, chatTemplate: lm.chatTemplate),
                            to: dir.appendingPathComponent("tokenizer_config.json"))
        }
    }

    static func huggingFaceConfig(_ c: DecoderConfig, dtype: DType) throws -> Data {
        var json: [String: Any] = [
            "vocab_size": c.vocabSize, "hidden_size": c.hidden, "num_hidden_layers": c.layers,
            "num_attention_heads": c.heads, "num_key_value_heads": c.kvHeads, "intermediate_size": c.intermediate,
            "hidden_act": "silu", "rope_theta": Double(c.ropeBase), "max_position_embeddings": c.maxPositions,
            "tie_word_embeddings": c.tiedEmbeddings, "torch_dtype": dtype == .f16 ? "float16" : "float32",
            "initializer_range": 0.02, "attention_dropout": 0.0, "use_cache": true,
        ]
        switch c.ropeScaling {
        case nil: break
        case .linear(let factor): json["rope_scaling"] = ["rope_type": "linear", "factor": Double(factor)]
        case let .llama3(factor, low, high, original):
            json["rope_scaling"] = ["rope_type": "llama3", "factor": Double(factor), "low_freq_factor": Double(low),
                                    "high_freq_factor": Double(high), "original_max_position_embeddings": original]
        case .factors:
            throw ExportError("rope frequency factors read from a GGUF file have no config.json form; export to GGUF instead")
        }
        switch c.family {
        case .llama:
            // A window in every layer is Mistral's (llama.cpp's converter writes such models as plain llama GGUFs).
            json["model_type"] = c.slidingWindow == nil ? "llama" : "mistral"
            json["architectures"] = [c.slidingWindow == nil ? "LlamaForCausalLM" : "MistralForCausalLM"]
            json["sliding_window"] = c.slidingWindow
            json["rms_norm_eps"] = Double(c.normEps)
            json["head_dim"] = c.headDim
            json["attention_bias"] = false
            json["mlp_bias"] = false
        case .qwen2, .qwen3:
            json["model_type"] = c.family.rawValue
            json["architectures"] = [c.family == .qwen2 ? "Qwen2ForCausalLM" : "Qwen3ForCausalLM"]
            json["rms_norm_eps"] = Double(c.normEps)
            json["head_dim"] = c.headDim
            json["use_sliding_window"] = false
            if c.family == .qwen3 { json["attention_bias"] = false }
        case .phi3:
            json["model_type"] = "phi3"
            json["architectures"] = ["Phi3ForCausalLM"]
            json["rms_norm_eps"] = Double(c.normEps)
            json["partial_rotary_factor"] = Double(c.rotaryDim) / Double(c.headDim)
            json["sliding_window"] = c.slidingWindow
        case .gemma3:
            json["model_type"] = "gemma3_text"
            json["architectures"] = ["Gemma3ForCausalLM"]
            json["hidden_act"] = nil
            json["hidden_activation"] = "gelu_pytorch_tanh"
            json["rms_norm_eps"] = Double(c.normEps)
            json["head_dim"] = c.headDim
            json["query_pre_attn_scalar"] = c.headDim
            json["sliding_window"] = c.slidingWindow
            json["layer_types"] = (0..<c.layers).map { c.window(layer: $0) == nil ? "full_attention" : "sliding_attention" }
            json["rope_local_base_freq"] = Double(c.slidingRopeBase ?? c.ropeBase)
            json["final_logit_softcapping"] = NSNull()
            json["attn_logit_softcapping"] = NSNull()
            json["attention_bias"] = false
        case .stablelm:
            json["model_type"] = "stablelm"
            json["architectures"] = ["StableLmForCausalLM"]
            json["layer_norm_eps"] = Double(c.normEps)
            json["partial_rotary_factor"] = Double(c.rotaryDim) / Double(c.headDim)
            json["use_qkv_bias"] = c.qkvBias
            json["qk_layernorm"] = c.qkLayerNorm
            json["use_parallel_residual"] = c.parallelResidual
            json["hidden_dropout"] = 0.0
        }
        return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted])
    }

    static func exportGGUF(_ lm: LanguageModel, file: String, dtype: DType) throws {
        let c = lm.model.config
        let arch = c.family.rawValue
        var w = GGUFWriter()
        w.set("general.architecture", .string(arch))
        w.set("general.name", .string((lm.path as NSString).lastPathComponent))
        w.set("general.file_type", .uint32(dtype.fileType))
        w.set("general.quantization_version", .uint32(2))
        w.set("\(arch).vocab_size", .uint32(UInt32(c.vocabSize)))
        w.set("\(arch).context_length", .uint32(UInt32(c.maxPositions)))
        w.set("\(arch).embedding_length", .uint32(UInt32(c.hidden)))
        w.set("\(arch).block_count", .uint32(UInt32(c.layers)))
        w.set("\(arch).feed_forward_length", .uint32(UInt32(c.intermediate)))
        w.set("\(arch).attention.head_count", .uint32(UInt32(c.heads)))
        w.set("\(arch).attention.head_count_kv", .uint32(UInt32(c.kvHeads)))
        w.set("\(arch).rope.freq_base", .float32(c.ropeBase))
        w.set("\(arch).rope.dimension_count", .uint32(UInt32(c.rotaryDim)))
        if c.headDim != c.hidden / c.heads {
            w.set("\(arch).attention.key_length", .uint32(UInt32(c.headDim)))
            w.set("\(arch).attention.value_length", .uint32(UInt32(c.headDim)))
        }
        switch c.family {
        case .llama, .qwen2, .qwen3: w.set("\(arch).attention.layer_norm_rms_epsilon", .float32(c.normEps))
        case .phi3:
            w.set("phi3.attention.layer_norm_rms_epsilon", .float32(c.normEps))
            if let window = c.slidingWindow { w.set("phi3.attention.sliding_window", .uint32(UInt32(window))) }
        case .gemma3:
            // llama.cpp reads only the window: it assumes every sixth layer global and rope base 10,000 in the others.
            let standard = DecoderConfig.gemma3(vocabSize: c.vocabSize, hidden: c.hidden, layers: c.layers, heads: c.heads,
                                                kvHeads: c.kvHeads, intermediate: c.intermediate, headDim: c.headDim)
            guard let window = c.slidingWindow, c.slidingLayers == standard.slidingLayers, c.slidingRopeBase == standard.slidingRopeBase else {
                throw ExportError("GGUF's gemma3 has every sixth layer global and rope base 10000 in the others; this model differs")
            }
            w.set("gemma3.attention.layer_norm_rms_epsilon", .float32(c.normEps))
            w.set("gemma3.attention.sliding_window", .uint32(UInt32(window)))
            w.set("gemma3.attention.key_length", .uint32(UInt32(c.headDim)))
            w.set("gemma3.attention.value_length", .uint32(UInt32(c.headDim)))
        case .stablelm:
            w.set("stablelm.attention.layer_norm_epsilon", .float32(c.normEps))
            if c.parallelResidual { throw ExportError("GGUF has no StableLM variant with a parallel residual") }
        }
        if let t = lm.tokenizer { TokenizerExport.ggufMetadata(t, chatTemplate: lm.chatTemplate, into: &w) }
        let hasOutput = lm.model.parameters.parameters.contains { TensorNames.gguf($0.name, c.family) == "output.weight" }
        let types = GGUFTensorTypes(dtype: dtype, layers: c.layers, tiedEmbeddings: !hasOutput)
        var stacked: [String: [Float]] = [:]
        var fused = FusedWriter()
        for p in lm.model.parameters.parameters {
            if let slice = TensorNames.fused(p.name, c) {
                if let whole = fused.append(p, slice, name: slice.gguf) {
                    w.add(slice.gguf, whole, as: types.type(of: slice.gguf, shape: whole.shape))
                }
                continue
            }
            if let (name, _) = LanguageModel.perHeadNorm(p.name) {
                stacked[name, default: []] += p.tensor.values
                continue
            }
            guard let name = TensorNames.gguf(p.name, c.family) else { throw ExportError("no GGUF name for parameter \(p.name)") }
            var t = p.tensor
            let shift = TensorNames.ggufShift(p.name, c.family)
            if shift != 0 { t = p.tensor.detached() + shift }
            if c.family == .llama && TensorNames.isPermuted(p.name) {
                let permuted = Tensor(uninitialized: p.shape)
                permuteRotaryRows(t.pointer, permuted.pointer, heads: p.name.contains("q_proj") ? c.heads : c.kvHeads,
                                  headDim: c.headDim, rowWidth: p.shape.count == 2 ? p.shape[1] : 1, toHuggingFace: false)
                t = permuted
            }
            w.add(name, t, as: types.type(of: name, shape: p.shape))
        }
        if let scaling = c.ropeScaling {
            let divisors = scaling.divisors(rotaryDim: c.rotaryDim, base: c.ropeBase)
            w.add(TensorNames.ggufRopeFactors, Tensor(divisors, shape: [divisors.count]), as: .f32)
        }
        for (name, values) in stacked.sorted(by: { $0.key < $1.key }) {
            w.add(name, Tensor(values, shape: [values.count / c.headDim, c.headDim]), as: .f32)
        }
        try w.write(to: file)
    }

    /// Gathers the parameters a checkpoint stores fused (declared next to each other, in row order) and hands
    /// back the whole tensor once its last rows arrive.
    struct FusedWriter {
        private var rows: [String: [Float]] = [:]

        mutating func append(_ p: Parameter, _ slice: TensorNames.FusedSlice, name: String) -> Tensor? {
            rows[name, default: []] += p.tensor.values
            guard slice.rows.upperBound == slice.totalRows, let values = rows.removeValue(forKey: name) else { return nil }
            return Tensor(values, shape: [slice.totalRows, values.count / slice.totalRows])
        }
    }

    static func atomicWrite(_ data: Data, to url: URL) throws {
        try data.write(to: url, options: .atomic)
    }
}
