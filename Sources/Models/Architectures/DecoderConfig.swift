import Core
import NN

/// Geometry and variant switches of a pre-norm decoder with rotary attention and a SwiGLU MLP. One config
/// covers the Llama family (SmolLM2: RMSNorm, full rotary, tied embeddings), Qwen2/Qwen2.5 (the same with
/// q/k/v biases), Qwen3 (no biases, RMSNorm of each query and key head with one shared weight) and StableLM
/// (LayerNorm with bias, partial rotary, optional q/k/v bias, optional per-head q/k LayerNorm, untied head)
/// and Gemma 3 (GeGLU; norms before and after attention and the MLP, scaling by 1 + weight; Qwen3's q/k norm;
/// embeddings scaled by √hidden; five sliding-window layers with their own rope base to one global layer) and
/// Phi-3 (Llama's math; checkpoints fuse q/k/v and gate/up, see `TensorNames.fused`).
public struct DecoderConfig: Codable, Sendable, Equatable {
    /// Also the GGUF `general.architecture` the model is written with (and the Hugging Face `model_type`, but
    /// for Gemma 3's `gemma3_text`).
    public enum Family: String, Codable, Sendable { case llama, qwen2, qwen3, stablelm, gemma3, phi3 }

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
    /// Sliding-window attention: in the layers `slidingLayers` marks (all when nil), queries see only the last
    /// `slidingWindow` positions; nil: full attention everywhere.
    public var slidingWindow: Int? = nil
    public var slidingLayers: [Bool]? = nil
    /// The rope base of the sliding-window layers (Gemma 3: 10,000, without `ropeScaling`); nil: `ropeBase`.
    public var slidingRopeBase: Float? = nil

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

    /// A Gemma 3 text decoder; `slidingPattern` 6 makes every sixth layer global, the others sliding-window.
    public static func gemma3(vocabSize: Int, hidden: Int, layers: Int, heads: Int, kvHeads: Int, intermediate: Int,
                              headDim: Int, ropeBase: Float = 1_000_000, slidingRopeBase: Float = 10000, slidingWindow: Int = 512,
                              slidingPattern: Int = 6, normEps: Float = 1e-6, maxPositions: Int = 32768) -> DecoderConfig {
        var c = llama(vocabSize: vocabSize, hidden: hidden, layers: layers, heads: heads, kvHeads: kvHeads, intermediate: intermediate,
                      headDim: headDim, ropeBase: ropeBase, normEps: normEps, tiedEmbeddings: true, maxPositions: maxPositions)
        c.family = .gemma3
        c.slidingWindow = slidingWindow
        c.slidingLayers = (0..<layers).map { ($0 + 1) % max(slidingPattern, 1) != 0 }
        c.slidingRopeBase = slidingRopeBase
        return c
    }

    /// A Phi-3 decoder (Phi-3, Phi-3.5, Phi-4-mini): Llama's math with partial rotary and an optional sliding
    /// window in every layer; its checkpoints store q/k/v and gate/up fused.
    public static func phi3(vocabSize: Int, hidden: Int, layers: Int, heads: Int, kvHeads: Int, intermediate: Int,
                            partialRotaryFactor: Float = 1, ropeBase: Float = 10000, normEps: Float = 1e-5,
                            slidingWindow: Int? = nil, tiedEmbeddings: Bool = false, maxPositions: Int = 4096) -> DecoderConfig {
        var c = llama(vocabSize: vocabSize, hidden: hidden, layers: layers, heads: heads, kvHeads: kvHeads, intermediate: intermediate,
                      ropeBase: ropeBase, normEps: normEps, tiedEmbeddings: tiedEmbeddings, maxPositions: maxPositions)
        c.family = .phi3
        c.rotaryDim = Int(Float(c.headDim) * partialRotaryFactor)
        c.slidingWindow = slidingWindow
        return c
    }

    /// How queries and keys are normalized per head, if at all.
    public var queryKeyNorm: QueryKeyNorm? {
        qkLayerNorm ? .perHeadLayerNorm : family == .qwen3 || family == .gemma3 ? .sharedRMSNorm : nil
    }

    /// The normalization of every norm in the model.
    public var normKind: NormKind { family == .stablelm ? .layer : family == .gemma3 ? .rmsUnitOffset : .rms }

    /// The gate activation of the MLP.
    public var activation: GateActivation { family == .gemma3 ? .geluTanh : .silu }

    /// Gemma's blocks also normalize the attention and MLP outputs before adding them to the residual.
    public var normalizesBlockOutputs: Bool { family == .gemma3 }

    /// The factor the token embeddings are multiplied by (Gemma: √hidden).
    public var embeddingScale: Float? { family == .gemma3 ? Float(hidden).squareRoot() : nil }

    /// Layer `layer`'s attention window, nil for full attention.
    public func window(layer: Int) -> Int? {
        guard let slidingWindow, slidingLayers?[layer] ?? true else { return nil }
        return slidingWindow
    }

    /// Layer `layer`'s rope base and scaling (Gemma 3's sliding layers use their own base and no scaling).
    public func rope(layer: Int) -> (base: Float, scaling: RopeScaling?) {
        guard window(layer: layer) != nil, let slidingRopeBase else { return (ropeBase, ropeScaling) }
        return (slidingRopeBase, nil)
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
        if let slidingWindow, slidingWindow <= 0 { return "sliding window \(slidingWindow) must be positive" }
        if let slidingLayers, slidingLayers.count != layers {
            return "\(slidingLayers.count) layer attention types for \(layers) layers"
        }
        if let slidingRopeBase, !(slidingRopeBase > 0) { return "sliding-window rope base \(slidingRopeBase) must be positive" }
        return nil
    }

    /// Number of parameters this geometry allocates.
    public var parameterCount: Int {
        let norm = family == .stablelm ? 2 * hidden : hidden
        var perLayer = hidden * (heads + 2 * kvHeads) * headDim + heads * headDim * hidden + 3 * hidden * intermediate
        perLayer += parallelResidual ? norm : normalizesBlockOutputs ? 4 * norm : 2 * norm
        if qkvBias { perLayer += (heads + 2 * kvHeads) * headDim }
        if qkLayerNorm { perLayer += (heads + kvHeads) * headDim }
        if queryKeyNorm == .sharedRMSNorm { perLayer += 2 * headDim }
        return vocabSize * hidden * (tiedEmbeddings ? 1 : 2) + layers * perLayer + norm
    }
}
