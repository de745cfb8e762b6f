/// Geometry of a Llama-family decoder (Hugging Face `LlamaConfig` field meanings).
public struct LlamaConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var intermediate: Int
    public var ropeBase: Float
    public var rmsNormEps: Float
    public var tiedEmbeddings: Bool

    public init(vocabSize: Int, hidden: Int, layers: Int, heads: Int, kvHeads: Int, intermediate: Int,
                ropeBase: Float = 10000, rmsNormEps: Float = 1e-5, tiedEmbeddings: Bool = true) {
        self.vocabSize = vocabSize; self.hidden = hidden; self.layers = layers; self.heads = heads
        self.kvHeads = kvHeads; self.intermediate = intermediate; self.ropeBase = ropeBase
        self.rmsNormEps = rmsNormEps; self.tiedEmbeddings = tiedEmbeddings
    }

    public var headDim: Int { hidden / heads }

    /// SmolLM2-135M (the default model's geometry): 134,515,008 parameters.
    public static let smolLM2_135M = LlamaConfig(vocabSize: 49152, hidden: 576, layers: 30, heads: 9, kvHeads: 3,
                                                 intermediate: 1536, ropeBase: 100_000, rmsNormEps: 1e-5,
                                                 tiedEmbeddings: true)

    /// Problems with the geometry, or nil when it is usable.
    public func validationError() -> String? {
        if vocabSize <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || intermediate <= 0 {
            return "every size must be positive (vocab \(vocabSize), hidden \(hidden), layers \(layers), heads \(heads), kv heads \(kvHeads), intermediate \(intermediate))"
        }
        if hidden % heads != 0 { return "hidden size \(hidden) is not a multiple of the \(heads) heads" }
        if heads % kvHeads != 0 { return "\(heads) heads are not a multiple of the \(kvHeads) key/value heads" }
        if headDim % 2 != 0 { return "head dimension \(headDim) must be even for rotary embeddings" }
        return nil
    }
}
