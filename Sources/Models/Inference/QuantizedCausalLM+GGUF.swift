import Core

extension QuantizedCausalLM {
    /// The decoder of a GGUF file with its weight matrices as stored. Types the kernels do not take (Q5_1,
    /// Q5_K, …) that the dequantizer reads are held as Float32; llama.cpp's interleaved q/k rows are put back in
    /// Hugging Face's order (a copy of those two matrices per layer).
    public static func load(_ file: GGUFFile) throws -> QuantizedCausalLM {
        let config = try DecoderConfig.gguf(file)
        try ModelSizeCheck.check(config, tensorShapes: file.tensors.map(\.shape), path: file.path)
        let permute = try file.metadata.string("general.architecture") == "llama"
        var used: Set<String> = [TensorNames.ggufRopeFactors]  // read by DecoderConfig.gguf
        let layerNorm = config.family == .stablelm
        let hd = config.headDim

        func matrix(_ name: String, rows: Int, columns: Int, rotary: Bool = false) throws -> QuantizedMatrix {
            used.insert(name)
            let (info, bytes, owner) = try file.storedTensor(name)
            guard info.shape == [rows, columns] else {
                throw FileError(path: file.path, "tensor \(name) has shape \(info.shape), the model expects [\(rows), \(columns)]")
            }
            let stored: QuantizedMatrix
            if let format = QuantFormat(info.type), let base = bytes.baseAddress {
                stored = QuantizedMatrix(format: format, rows: rows, columns: columns, bytes: base, owner: owner)
            } else {
                let values = try file.tensor(name)
                stored = QuantizedMatrix(format: .f32, rows: rows, columns: columns) { UnsafeRawPointer(values.pointer + $0 * columns) }
            }
            if let kernel = Dequantizer.kernel(for: GGMLType(stored.format)) { stored.dequantize = { kernel($0, $1, $2) } }
            guard permute && rotary else { return stored }
            return QuantizedMatrix(reordering: stored) { TensorNames.ggufRotaryRow($0, headDim: hd) }
        }
        func vector(_ name: String, count: Int, rotary: Bool = false) throws -> Tensor {
            used.insert(name)
            let t = try file.tensor(name)
            guard t.count == count else { throw FileError(path: file.path, "tensor \(name) has \(t.count) values, the model expects \(count)") }
            guard permute && rotary else { return t.reshaped([count]) }
            let out = Tensor(uninitialized: [count])
            for r in 0..<count { out.pointer[r] = t.pointer[TensorNames.ggufRotaryRow(r, headDim: hd)] }
            return out
        }
        func optionalVector(_ name: String, count: Int, rotary: Bool = false) throws -> Tensor? {
            file.info(name) == nil ? nil : try vector(name, count: count, rotary: rotary)
        }
        /// A norm by its Hugging Face prefix (`model.layers.3.input_layernorm`, `model.norm`).
        func norm(_ prefix: String) throws -> NormWeights {
            NormWeights(weight: try vector(gguf("\(prefix).weight"), count: config.hidden),
                        bias: layerNorm ? try optionalVector(gguf("\(prefix).bias"), count: config.hidden) : nil,
                        layerNorm: layerNorm, eps: config.normEps)
        }
        /// The GGUF name of a Hugging Face parameter name (llama.cpp's convention, `TensorNames`).
        func gguf(_ hf: String) -> String { TensorNames.gguf(hf, config.family)! }

        let h = config.hidden, q = config.heads * hd, kv = config.kvHeads * hd
        let embedding = try matrix(gguf("model.embed_tokens.weight"), rows: config.vocabSize, columns: h)
        let layers = try (0..<config.layers).map { i -> Layer in
            func name(_ part: String) -> String { gguf("model.layers.\(i).\(part)") }
            var bias: Tensor?
            if config.qkvBias {
                bias = Tensor.concatenateLastAxis([try vector(name("self_attn.q_proj.bias"), count: q, rotary: true),
                                                   try vector(name("self_attn.k_proj.bias"), count: kv, rotary: true),
                                                   try vector(name("self_attn.v_proj.bias"), count: kv)])
            }
            let gemma = config.normalizesBlockOutputs, prefix = "model.layers.\(i)"
            // Phi-3's files hold q/k/v in one matrix and gate/up in another: one product each, as the layer wants.
            func matrices(_ parts: [String], rows: [Int]) throws -> [QuantizedMatrix] {
                if let slice = TensorNames.fused("\(prefix).\(parts[0])", config) {
                    return [try matrix(slice.gguf, rows: slice.totalRows, columns: h)]
                }
                return try zip(parts, rows).map { try matrix(name($0), rows: $1, columns: h, rotary: TensorNames.isPermuted($0)) }
            }
            return Layer(
                inputNorm: try norm("\(prefix).input_layernorm"),
                attentionOutputNorm: gemma ? try norm("\(prefix).post_attention_layernorm") : nil,
                mlpNorm: config.parallelResidual ? nil : try norm(gemma ? "\(prefix).pre_feedforward_layernorm" : "\(prefix).post_attention_layernorm"),
                mlpOutputNorm: gemma ? try norm("\(prefix).post_feedforward_layernorm") : nil,
                qkv: try matrices(["self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight"], rows: [q, kv, kv]),
                qkvBias: bias,
                // StableLM's per-head norms stacked [heads, headDim]; Qwen3's shared ones [headDim].
                qNorm: config.queryKeyNorm == nil ? nil : try vector(TensorNames.ggufHeadNorm(layer: i, query: true), count: config.qkLayerNorm ? q : hd),
                kNorm: config.queryKeyNorm == nil ? nil : try vector(TensorNames.ggufHeadNorm(layer: i, query: false), count: config.qkLayerNorm ? kv : hd),
                o: try matrix(name("self_attn.o_proj.weight"), rows: h, columns: q),
                gateUp: try matrices(["mlp.gate_proj.weight", "mlp.up_proj.weight"], rows: [config.intermediate, config.intermediate]),
                down: try matrix(name("mlp.down_proj.weight"), rows: h, columns: config.intermediate))
        }
        let finalNorm = try norm("model.norm")
        let output = config.tiedEmbeddings ? embedding : try matrix(gguf("lm_head.weight"), rows: config.vocabSize, columns: h)
        if let unused = file.tensors.first(where: { !used.contains($0.name) }) {
            throw FileError(path: file.path, "tensor \(unused.name) is not part of this \(config.family.rawValue) geometry; the model needs what remask does not implement")
        }
        return QuantizedCausalLM(config: config, embedding: embedding, layers: layers,
                                 norm: finalNorm, output: output)
    }
}

extension QuantFormat {
    /// Each in-memory format and the GGUF type it holds.
    static let ggmlTypes: [QuantFormat: GGMLType] = [
        .f32: .f32, .f16: .f16, .bf16: .bf16, .q8_0: .q8_0, .q4_0: .q4_0, .q4_1: .q4_1, .q5_0: .q5_0, .q4_K: .q4_K, .q6_K: .q6_K,
    ]

    /// The in-memory format for a GGUF tensor type, or nil when the kernels do not take it.
    init?(_ type: GGMLType) {
        guard let format = Self.ggmlTypes.first(where: { $0.value == type })?.key else { return nil }
        self = format
    }
}

extension GGMLType {
    /// The GGUF type of an in-memory format.
    init(_ format: QuantFormat) {
        self = QuantFormat.ggmlTypes[format]!
    }
}
