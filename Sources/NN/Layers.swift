import Core

/// y = x Wᵀ (+ b), with Hugging Face names `<name>.weight` and `<name>.bias`.
public struct Linear: Sendable {
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ store: ParameterStore, _ name: String, inFeatures: Int, outFeatures: Int, bias: Bool = false, std: Float = 0.02) {
        weight = store.declare("\(name).weight", [outFeatures, inFeatures], .normal(std: std))
        self.bias = bias ? store.declare("\(name).bias", [outFeatures], .zeros) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight.tensor, bias: bias?.tensor) }

    /// With a LoRA adapter's contribution added when `lora` is given.
    public func callAsFunction(_ x: Tensor, lora: LoRAGroup?) -> Tensor {
        let y = self(x)
        return lora.map { $0.adding(to: y, input: x) } ?? y
    }
}

/// Token embedding table `<name>.weight` of shape [vocab, dim].
public struct Embedding: Sendable {
    public let weight: Parameter

    public init(_ store: ParameterStore, _ name: String, vocab: Int, dim: Int, std: Float = 0.02) {
        weight = store.declare("\(name).weight", [vocab, dim], .normal(std: std))
    }

    public func callAsFunction(_ ids: [Int32]) -> Tensor { Tensor.embedding(weight.tensor, ids: ids) }
}

/// RMSNorm with a learned scale `<name>.weight`; with `unitOffset` (Gemma) the scale is 1 + weight, and the
/// weight starts at 0.
public struct RMSNorm: Sendable {
    public let weight: Parameter
    public let eps: Float
    public let unitOffset: Bool

    public init(_ store: ParameterStore, _ name: String, dim: Int, eps: Float, unitOffset: Bool = false) {
        weight = store.declare("\(name).weight", [dim], unitOffset ? .zeros : .ones)
        self.eps = eps
        self.unitOffset = unitOffset
    }

    /// The multiplier of the normalized values.
    public var scale: Tensor { unitOffset ? weight.tensor + 1 : weight.tensor }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNorm(weight: scale, eps: eps) }
}

/// LayerNorm with `<name>.weight` and optional `<name>.bias`.
public struct LayerNorm: Sendable {
    public let weight: Parameter
    public let bias: Parameter?
    public let eps: Float

    public init(_ store: ParameterStore, _ name: String, dim: Int, eps: Float, bias: Bool = true) {
        weight = store.declare("\(name).weight", [dim], .ones)
        self.bias = bias ? store.declare("\(name).bias", [dim], .zeros) : nil
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: weight.tensor, bias: bias?.tensor, eps: eps) }
}

/// The normalizations decoders use.
public enum NormKind: Sendable {
    /// RMSNorm scaling by its weight (Llama, Qwen).
    case rms
    /// RMSNorm scaling by 1 + its weight (Gemma).
    case rmsUnitOffset
    /// LayerNorm with bias (StableLM).
    case layer
}

/// Either normalization a decoder uses, by checkpoint name.
public enum Norm: Sendable {
    case rms(RMSNorm)
    case layer(LayerNorm)

    /// A norm of `kind` named `<name>.weight` (and `.bias`).
    public init(_ store: ParameterStore, _ name: String, dim: Int, eps: Float, kind: NormKind) {
        switch kind {
        case .rms: self = .rms(RMSNorm(store, name, dim: dim, eps: eps))
        case .rmsUnitOffset: self = .rms(RMSNorm(store, name, dim: dim, eps: eps, unitOffset: true))
        case .layer: self = .layer(LayerNorm(store, name, dim: dim, eps: eps))
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .rms(let n): n(x)
        case .layer(let n): n(x)
        }
    }
}
