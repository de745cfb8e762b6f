import Core
import NN

/// Geometry and variant switches of a pre-norm decoder with rotary attention and a SwiGLU MLP. One config
/// covers the Llama family (SmolLM2: RMSNorm, full rotary, tied embeddings), Qwen2/Qwen2.5 (the same with
/// q/k/v biases), Qwen3 (no biases, RMSNorm of each query and key head with one shared weight) and StableLM
/// (LayerNorm with bias, partial rotary, optional q/k/v bias, optional per-head q/k LayerNorm, untied head).
public struct DecoderConfig: Codable, Sendable, Equatable {
    /// Also the Hugging Face `model_type` and the GGUF `general.architecture` the model is written with.
    public enum Family: String, Codable, Sendable { case llama, qwen2, qwen3, stablelm }

    public var family: Family
    public var vocabSize: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var intermediate: Int
    /// Leading dimensions of each head that rotate (`headDim` for full rotary).
    public var rotaryDim: Int
    public var ropeBase: Float
    /// Divided-down rotary frequencies for long contexts (Llama 3.1's rule, linear); nil for plain RoPE.
    public var ropeScaling: RopeScaling? = nil
    public var normEps: Float
    /// Attention input and MLP input read the same normalized x; outputs add together (GPT-NeoX style).
    public var parallelResidual: Bool
    public var qkvBias: Bool
    /// StableLM's per-head LayerNorm (no bias) on queries and keys before the rotation.
    public var qkLayerNorm: Bool
    public var tiedEmbeddings: Bool
    public var maxPositions: Int

    /// A Llama-family decoder: RMSNorm, full rotary, no biases.
    public static func llama(vocabSize: Int, hidden: Int, layers: Int, heads: Int, kvHeads: Int, intermediate: Int,
                             headDim: Int? = nil, ropeBase: Float = 10000, normEps: Float = 1e-5,
                             tiedEmbeddings: Bool = true, maxPositions: Int = 2048) -> DecoderConfig {
        let hd = headDim ?? hidden / max(heads, 1)
        return DecoderConfig(family: .llama, vocabSize: vocabSize, hidden: hidden, layers: layers, heads: heads,
                             kvHeads: kvHeads, headDim: hd, intermediate: intermediate, rotaryDim: hd, ropeBase: ropeBase,
                             normEps: normEps, parallelResidual: false, qkvBias: false, qkLayerNorm: false,
                             tiedEmbeddings: tiedEmbeddings, maxPositions: maxPositions)
    }

    /// A Qwen decoder: Llama-family with biases on the q, k and v projections (`.qwen2`, also Qwen2.5), or
    /// with an RMSNorm of each query and key head, one weight [headDim] for all heads, before the rotation
    /// (`.qwen3`).
    public static func qwen(_ family: Family, vocabSize: Int, hidden: Int, layers: Int, heads: Int, kvHeads: Int,
                            intermediate: Int, headDim: Int? = nil, ropeBase: Float = 1_000_000, normEps: Float = 1e-6,
                            tiedEmbeddings: Bool = false, maxPositions: Int = 32768) -> DecoderConfig {
        precondition(family == .qwen2 || family == .qwen3, "DecoderConfig.qwen takes .qwen2 or .qwen3")
        var c = llama(vocabSize: vocabSize, hidden: hidden, layers: layers, heads: heads, kvHeads: kvHeads, intermediate: intermediate,
                      headDim: headDim, ropeBase: ropeBase, normEps: normEps, tiedEmbeddings: tiedEmbeddings, maxPositions: maxPositions)
        c.family = family
        c.qkvBias = family == .qwen2
        return c
    }

    /// How queries and keys are normalized per head, if at all.
    public var queryKeyNorm: QueryKeyNorm? {
        qkLayerNorm ? .perHeadLayerNorm : family == .qwen3 ? .sharedRMSNorm : nil
    }

    /// A StableLM decoder: LayerNorm with bias, partial rotary.
    public static func stableLM(vocabSize: Int, hidden: Int, layers: Int, heads: Int, kvHeads: Int, intermediate: Int,
                                partialRotaryFactor: Float = 0.25, ropeBase: Float = 10000, normEps: Float = 1e-5,
                                qkvBias: Bool = false, qkLayerNorm: Bool = false, parallelResidual: Bool = false,
                                tiedEmbeddings: Bool = false, maxPositions: Int = 4096) -> DecoderConfig {
        let hd = hidden / max(heads, 1)
        return DecoderConfig(family: .stablelm, vocabSize: vocabSize, hidden: hidden, layers: layers, heads: heads,
                             kvHeads: kvHeads, headDim: hd, intermediate: intermediate,
                             rotaryDim: Int(Float(hd) * partialRotaryFactor), ropeBase: ropeBase, normEps: normEps,
                             parallelResidual: parallelResidual, qkvBias: qkvBias, qkLayerNorm: qkLayerNorm,
                             tiedEmbeddings: tiedEmbeddings, maxPositions: maxPositions)
    }

    /// SmolLM2-135M (the default model's geometry): 134,515,008 parameters.
    public static let smolLM2_135M = DecoderConfig.llama(vocabSize: 49152, hidden: 576, layers: 30, heads: 9, kvHeads: 3,
                                                         intermediate: 1536, ropeBase: 100_000, normEps: 1e-5,
                                                         tiedEmbeddings: true, maxPositions: 8192)

    /// Problems with the geometry, or nil when it is usable.
    public func validationError() -> String? {
        if vocabSize <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || intermediate <= 0 || headDim <= 0 {
            return "every size must be positive (vocab \(vocabSize), hidden \(hidden), layers \(layers), heads \(heads), kv heads \(kvHeads), head dim \(headDim), intermediate \(intermediate))"
        }
        if hidden % heads != 0 && headDim == hidden / heads {
            return "hidden size \(hidden) is not a multiple of the \(heads) heads"
        }
        if heads % kvHeads != 0 { return "\(heads) heads are not a multiple of the \(kvHeads) key/value heads" }
        if rotaryDim % 2 != 0 || rotaryDim > headDim || rotaryDim < 0 {
            return "rotary dimension \(rotaryDim) must be even and at most the head dimension \(headDim)"
        }
        if !(ropeBase > 0) || !(normEps > 0) { return "rope base \(ropeBase) and norm epsilon \(normEps) must be positive" }
        if let problem = ropeScaling?.validationError(rotaryDim: rotaryDim) { return problem }
        return nil
    }

    /// Number of parameters this geometry allocates.
    public var parameterCount: Int {
        let norm = family == .stablelm ? 2 * hidden : hidden
        var perLayer = hidden * (heads + 2 * kvHeads) * headDim + heads * headDim * hidden + 3 * hidden * intermediate
        perLayer += parallelResidual ? norm : 2 * norm
        if qkvBias { perLayer += (heads + 2 * kvHeads) * headDim }
        if qkLayerNorm { perLayer += (heads + kvHeads) * headDim }
        if family == .qwen3 { perLayer += 2 * headDim }
        return vocabSize * hidden * (tiedEmbeddings ? 1 : 2) + layers * perLayer + norm
    }
}
