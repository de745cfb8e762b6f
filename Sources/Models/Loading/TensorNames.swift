/// Hugging Face ↔ GGUF tensor names (llama.cpp's convention).
enum TensorNames {
    static let blockParts: [(hf: String, gguf: String)] = [
        ("input_layernorm.weight", "attn_norm.weight"), ("input_layernorm.bias", "attn_norm.bias"),
        ("self_attn.q_proj.weight", "attn_q.weight"), ("self_attn.k_proj.weight", "attn_k.weight"),
        ("self_attn.v_proj.weight", "attn_v.weight"), ("self_attn.o_proj.weight", "attn_output.weight"),
        ("self_attn.q_proj.bias", "attn_q.bias"), ("self_attn.k_proj.bias", "attn_k.bias"),
        ("self_attn.v_proj.bias", "attn_v.bias"),
        ("self_attn.q_norm.weight", "attn_q_norm.weight"), ("self_attn.k_norm.weight", "attn_k_norm.weight"),
        ("post_attention_layernorm.weight", "ffn_norm.weight"), ("post_attention_layernorm.bias", "ffn_norm.bias"),
        ("mlp.gate_proj.weight", "ffn_gate.weight"), ("mlp.up_proj.weight", "ffn_up.weight"),
        ("mlp.down_proj.weight", "ffn_down.weight"),
    ]

    /// Gemma's four block norms: its `post_attention_layernorm` normalizes the attention output, and the
    /// norm before the MLP is `pre_feedforward_layernorm`.
    static let gemmaBlockParts: [(hf: String, gguf: String)] = [
        ("post_attention_layernorm.weight", "post_attention_norm.weight"),
        ("pre_feedforward_layernorm.weight", "ffn_norm.weight"),
        ("post_feedforward_layernorm.weight", "post_ffw_norm.weight"),
    ]

    /// The GGUF name of a Hugging Face parameter name, or nil when GGUF has no single tensor for it
    /// (per-head q/k norms are stacked into `attn_q_norm` / `attn_k_norm`).
    static func gguf(_ hf: String, _ family: DecoderConfig.Family) -> String? {
        switch hf {
        case "model.embed_tokens.weight": return "token_embd.weight"
        case "model.norm.weight": return "output_norm.weight"
        case "model.norm.bias": return "output_norm.bias"
        case "lm_head.weight": return "output.weight"
        default: break
        }
        let parts = hf.split(separator: ".", maxSplits: 3).map(String.init)
        guard parts.count == 4, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]) else { return nil }
        let gemma = family == .gemma3 ? gemmaBlockParts.first { $0.hf == parts[3] } : nil
        return (gemma ?? blockParts.first { $0.hf == parts[3] }).map { "blk.\(layer).\($0.gguf)" }
    }

    /// What llama.cpp adds to a parameter when it writes it to GGUF: Gemma's norms scale by 1 + weight, and
    /// its files store 1 + weight.
    static func ggufShift(_ hf: String, _ family: DecoderConfig.Family) -> Float {
        family == .gemma3 && hf.hasSuffix("norm.weight") ? 1 : 0
    }

    /// Where a checkpoint keeps a parameter it stores fused with others (Phi-3's `qkv_proj` and `gate_up_proj`,
    /// GGUF's `attn_qkv` and `ffn_up`): the fused tensor's names, the parameter's rows in it, and its row count.
    struct FusedSlice: Equatable {
        let huggingFace: String, gguf: String
        let rows: Range<Int>
        let totalRows: Int
    }

    /// The fused tensor holding parameter `hf`, or nil when the family stores it on its own.
    static func fused(_ hf: String, _ config: DecoderConfig) -> FusedSlice? {
        guard config.family == .phi3 else { return nil }
        let parts = hf.split(separator: ".").map(String.init)
        guard parts.count == 6, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]), parts[5] == "weight" else { return nil }
        let q = config.heads * config.headDim, kv = config.kvHeads * config.headDim, i = config.intermediate
        let prefix = "model.layers.\(layer)", block = "blk.\(layer)"
        switch (parts[3], parts[4]) {
        case ("self_attn", "q_proj"), ("self_attn", "k_proj"), ("self_attn", "v_proj"):
            let rows = parts[4] == "q_proj" ? 0..<q : parts[4] == "k_proj" ? q..<q + kv : q + kv..<q + 2 * kv
            return FusedSlice(huggingFace: "\(prefix).self_attn.qkv_proj.weight", gguf: "\(block).attn_qkv.weight",
                              rows: rows, totalRows: q + 2 * kv)
        case ("mlp", "gate_proj"), ("mlp", "up_proj"):
            return FusedSlice(huggingFace: "\(prefix).mlp.gate_up_proj.weight", gguf: "\(block).ffn_up.weight",
                              rows: parts[4] == "gate_proj" ? 0..<i : i..<2 * i, totalRows: 2 * i)
        default: return nil
        }
    }

    /// llama.cpp's per-frequency rotary divisors (Llama 3.1's RoPE scaling), one tensor for all layers.
    static let ggufRopeFactors = "rope_freqs.weight"

    /// The GGUF tensor of the query (or key) norms in block `layer`: StableLM's per-head ones stacked, or
    /// Qwen3's shared one.
    static func ggufHeadNorm(layer: Int, query: Bool) -> String {
        "blk.\(layer).\(query ? "attn_q_norm" : "attn_k_norm").weight"
    }

    /// Where llama.cpp's converter puts row `hfRow` of a q or k projection (heads of `headDim` rows): within a
    /// head, Hugging Face's row s·d/2 + i becomes row 2i + s.
    static func ggufRotaryRow(_ hfRow: Int, headDim: Int) -> Int {
        let head = hfRow / headDim, rem = hfRow % headDim, half = headDim / 2
        return head * headDim + 2 * (rem % half) + rem / half
    }

    /// Which rows of q/k weights llama.cpp's converter reorders: it stores each head's rotary pairs
    /// interleaved (HF row s·d/2 + i becomes row 2i + s within a head of d rows).
    static func isPermuted(_ hf: String) -> Bool {
        hf.hasSuffix("self_attn.q_proj.weight") || hf.hasSuffix("self_attn.k_proj.weight")
            || hf.hasSuffix("self_attn.q_proj.bias") || hf.hasSuffix("self_attn.k_proj.bias")
    }
}

/// Reorders the rows of a q or k projection between llama.cpp's interleaved rotary layout and Hugging Face's
/// half-split one. `heads` groups of `headDim` rows, each row `rowWidth` values.
func permuteRotaryRows(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, heads: Int, headDim: Int,
                       rowWidth: Int, toHuggingFace: Bool) {
    for hfRow in 0..<heads * headDim {
        let ggufRow = TensorNames.ggufRotaryRow(hfRow, headDim: headDim)
        let (from, to) = toHuggingFace ? (ggufRow, hfRow) : (hfRow, ggufRow)
        (dst + to * rowWidth).update(from: src + from * rowWidth, count: rowWidth)
    }
}
