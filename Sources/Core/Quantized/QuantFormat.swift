/// How a weight matrix is stored in memory for inference: ggml's block formats as GGUF files hold them, or
/// plain floats. Rows are whole blocks.
public enum QuantFormat: String, Sendable, CaseIterable {
    case f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q4_K, q6_K

    /// Weights per block.
    public var blockElements: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q8_0, .q4_0, .q4_1, .q5_0: 32
        case .q4_K, .q6_K: 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q4_0: 18
        case .q4_1: 20
        case .q5_0: 22
        case .q8_0: 34
        case .q4_K: 144
        case .q6_K: 210
        }
    }

    /// What the activations become before the dot products.
    var activation: ActivationFormat {
        switch self {
        case .f32, .f16, .bf16: .float
        case .q8_0, .q4_0, .q4_1, .q5_0, .q4_K, .q6_K: .q16
        }
    }
}

/// Activations as the kernels take them: 16-bit blocks of 32 (`cq_block_q16` in CQuant) for quantized
/// weights, floats for unquantized ones.
enum ActivationFormat: Sendable, CaseIterable {
    case float, q16

    /// Bytes of one activation row of `n` values.
    func rowBytes(_ n: Int) -> Int {
        switch self {
        case .float: 4 * n
        case .q16: n / 32 * ActivationQuantizer.blockBytes
        }
    }
}
