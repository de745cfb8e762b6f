/// The GGML type each tensor of a GGUF export is stored as, for a `--dtype`.
///
/// Vectors (norms, biases) stay f32, as llama.cpp keeps them. q8_0, q4_0 and q4_1 store every matrix in that
/// type, except that with 4 bits the embedding and output matrices take Q8_0 (at 4 bits they cost
/// SmolLM2-135M a third more perplexity, bench/quantized_export.sh); rows that are not whole blocks of 32
/// stay f32. q6_k and q4_k_m follow llama-quantize's `llama_tensor_get_type` (src/llama-quant.cpp) for dense
/// models, so the file holds the types llama.cpp would choose.
struct GGUFTensorTypes {
    let dtype: ModelExport.DType
    /// Decoder blocks: Q4_K_M's choice of layers with more bits depends on their count.
    let layers: Int
    /// Whether the file has no `output.weight`, so `token_embd.weight` is also the output matrix.
    let tiedEmbeddings: Bool

    /// The type of tensor `name` (a GGUF name) of row-major `shape`.
    func type(of name: String, shape: [Int]) -> GGMLType {
        guard shape.count == 2 else { return .f32 }
        let width = shape[1]
        switch dtype {
        case .f32, .f16:
            return dtype.ggmlType
        case .q8_0, .q4_0, .q4_1:
            guard width % 32 == 0 else { return .f32 }
            let vocabulary = name == "token_embd.weight" || name == "output.weight"
            return vocabulary && dtype != .q8_0 ? .q8_0 : dtype.ggmlType
        case .q6_k, .q4_k_m:
            return fallback(kQuantType(of: name, width: width), width: width)
        }
    }

    /// llama.cpp's choice before its fallback: the output matrix takes Q6_K (Q8_0 when its rows are not whole
    /// blocks of 256); q6_k gives every other matrix Q6_K, q4_k_m gives Q4_K except to attn_v and ffn_down in
    /// the layers `moreBits` picks, which take Q6_K.
    private func kQuantType(of name: String, width: Int) -> GGMLType {
        if name == "output.weight" || (tiedEmbeddings && name == "token_embd.weight") { return width % 256 == 0 ? .q6_K : .q8_0 }
        guard dtype == .q4_k_m else { return .q6_K }
        let moreBitsHere = (name.hasSuffix(".attn_v.weight") || name.hasSuffix(".ffn_down.weight")) && layer(of: name).map(moreBits) == true
        return moreBitsHere ? .q6_K : .q4_K
    }

    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers, and every third one between.
    private func moreBits(_ layer: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }

    /// llama.cpp's fallback for rows that are not whole K-quant blocks of 256 (SmolLM2's 576-wide ones): Q4_K
    /// becomes Q5_0 and Q6_K becomes Q8_0; rows that are not whole blocks of 32 either take F16.
    private func fallback(_ type: GGMLType, width: Int) -> GGMLType {
        if width % 32 != 0 { return .f16 }
        if width % 256 != 0 && type == .q4_K { return .q5_0 }
        if width % 256 != 0 && type == .q6_K { return .q8_0 }
        return type
    }

    /// The block number of `blk.N.…`.
    private func layer(of name: String) -> Int? {
        let parts = name.split(separator: ".")
        return parts.count > 2 && parts[0] == "blk" ? Int(parts[1]) : nil
    }
}
