import Core

extension QuantizedCausalLM {
    /// The decoder of a GGUF file with its weight matrices as stored. Types the kernels do not take (Q5_0,
    /// Q5_K, …) that the dequantizer reads are held as Float32; llama.cpp's interleaved q/k rows are put back in
    /// Hugging Face's order (a copy of those two matrices per layer).
    public static func load(_ file: GGUFFile) throws -> QuantizedCausalLM {
        let config = try DecoderConfig.gguf(file)
        try ModelSizeCheck.check(config, tensorShapes: file.tensors.map(\.shape), path: file.path)
        let permute = try file.metadata.string("general.architecture") == "llama"
        var used: Set<String> = []
        let layerNorm = config.family == .stablelm
        let hd = config.headDim

        func matrix(_ name: String, rows: Int, columns: Int, rotaryHeads: Int? = nil) throws -> QuantizedMatrix {
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
            guard permute, let heads = rotaryHeads else { return stored }
            return QuantizedMatrix(reordering: stored) { ggufRow(hfRow: $0, heads: heads) }
        }
        func vector(_ name: String, count: Int, rotaryHeads: Int? = nil) throws -> Tensor {
            used.insert(name)
            let t = try file.tensor(name)
            guard t.count == count else { throw FileError(path: file.path, "tensor \(name) has \(t.count) values, the model expects \(count)") }
            guard permute, let heads = rotaryHeads else { return t.reshaped([count]) }
            let out = Tensor(uninitialized: [count])
            for r in 0..<count { out.pointer[r] = t.pointer[ggufRow(hfRow: r, heads: heads)] }
            return out
        }
        func optionalVector(_ name: String, count: Int, rotaryHeads: Int? = nil) throws -> Tensor? {
            file.info(name) == nil ? nil : try vector(name, count: count, rotaryHeads: rotaryHeads)
        }
        func norm(_ prefix: String) throws -> NormWeights {
            NormWeights(weight: try vector("\(prefix).weight", count: config.hidden),
                        bias: layerNorm ? try optionalVector("\(prefix).bias", count: config.hidden) : nil,
                        layerNorm: layerNorm, eps: config.normEps)
        }
        /// llama.cpp stores head row s·d/2 + i at 2i + s (see `permuteRotaryRows`).
        func ggufRow(hfRow: Int, heads: Int) -> Int {
            let head = hfRow / hd, rem = hfRow % hd, half = hd / 2
            return head * hd + 2 * (rem % half) + rem / half
        }

        let h = config.hidden, q = config.heads * hd, kv = config.kvHeads * hd
        let embedding = try matrix("token_embd.weight", rows: config.vocabSize, columns: h)
        let layers = try (0..<config.layers).map { i -> Layer in
            let p = "blk.\(i)"
            var bias: Tensor?
            if config.qkvBias {
                bias = Tensor.concatenateLastAxis([try vector("\(p).attn_q.bias", count: q, rotaryHeads: config.heads),
                                                   try vector("\(p).attn_k.bias", count: kv, rotaryHeads: config.kvHeads),
                                                   try vector("\(p).attn_v.bias", count: kv)])
            }
            return Layer(
                inputNorm: try norm("\(p).attn_norm"),
                postAttentionNorm: config.parallelResidual ? nil : try norm("\(p).ffn_norm"),
                qkv: [try matrix("\(p).attn_q.weight", rows: q, columns: h, rotaryHeads: config.heads),
                      try matrix("\(p).attn_k.weight", rows: kv, columns: h, rotaryHeads: config.kvHeads),
                      try matrix("\(p).attn_v.weight", rows: kv, columns: h)],
                qkvBias: bias,
                qNorm: config.qkLayerNorm ? try vector("\(p).attn_q_norm.weight", count: q) : nil,
                kNorm: config.qkLayerNorm ? try vector("\(p).attn_k_norm.weight", count: kv) : nil,
                o: try matrix("\(p).attn_output.weight", rows: h, columns: q),
                gateUp: [try matrix("\(p).ffn_gate.weight", rows: config.intermediate, columns: h),
                         try matrix("\(p).ffn_up.weight", rows: config.intermediate, columns: h)],
                down: try matrix("\(p).ffn_down.weight", rows: h, columns: config.intermediate))
        }
        let finalNorm = try norm("output_norm")
        let output = config.tiedEmbeddings ? embedding : try matrix("output.weight", rows: config.vocabSize, columns: h)
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
        .f32: .f32, .f16: .f16, .bf16: .bf16, .q8_0: .q8_0, .q4_0: .q4_0, .q4_1: .q4_1, .q4_K: .q4_K, .q6_K: .q6_K,
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
