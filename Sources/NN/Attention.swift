import Core

/// Causal self-attention with grouped-query heads and rotary embeddings: `q_proj`, `k_proj`, `v_proj`,
/// `o_proj` under `<prefix>`. The q, k and v weights are declared next to each other in the store so one
/// GEMM computes all three (as are their biases, when present). With `qkNorm`, queries and keys are
/// normalized head by head before the rotation: StableLM's per-head LayerNorm (`q_layernorm.norms.<h>.weight`,
/// no bias) or Qwen3's and Gemma 3's RMSNorm with one weight for every head (`q_norm.weight`, `k_norm.weight`;
/// Gemma's scales by 1 + weight). With `window`, queries see only the last `window` positions (sliding window).
public struct SelfAttention: Sendable {
    public let q, k, v, o: Linear
    public let qNorm: [Parameter], kNorm: [Parameter]
    public let qkNorm: QueryKeyNorm?
    /// The q/k norms scale by 1 + weight (Gemma).
    public let qkNormUnitOffset: Bool
    public let shape: AttentionShape
    public let normEps: Float
    private let store: ParameterStore

    public init(_ store: ParameterStore, _ prefix: String, hidden: Int, heads: Int, kvHeads: Int, headDim: Int,
                rotaryDim: Int, ropeBase: Float, ropeScaling: RopeScaling? = nil, window: Int? = nil, qkvBias: Bool = false,
                qkNorm: QueryKeyNorm? = nil, qkNormUnitOffset: Bool = false, normEps: Float = 1e-5, std: Float = 0.02) {
        self.store = store
        let qw = store.declare("\(prefix).q_proj.weight", [heads * headDim, hidden], .normal(std: std))
        let kw = store.declare("\(prefix).k_proj.weight", [kvHeads * headDim, hidden], .normal(std: std))
        let vw = store.declare("\(prefix).v_proj.weight", [kvHeads * headDim, hidden], .normal(std: std))
        var biases: [Parameter?] = [nil, nil, nil]
        if qkvBias {
            biases = [store.declare("\(prefix).q_proj.bias", [heads * headDim], .zeros),
                      store.declare("\(prefix).k_proj.bias", [kvHeads * headDim], .zeros),
                      store.declare("\(prefix).v_proj.bias", [kvHeads * headDim], .zeros)]
        }
        q = Linear(weight: qw, bias: biases[0])
        k = Linear(weight: kw, bias: biases[1])
        v = Linear(weight: vw, bias: biases[2])
        switch qkNorm {
        case .perHeadLayerNorm:
            qNorm = (0..<heads).map { store.declare("\(prefix).q_layernorm.norms.\($0).weight", [headDim], .ones) }
            kNorm = (0..<kvHeads).map { store.declare("\(prefix).k_layernorm.norms.\($0).weight", [headDim], .ones) }
        case .sharedRMSNorm:
            let initial: ParameterInit = qkNormUnitOffset ? .zeros : .ones
            qNorm = [store.declare("\(prefix).q_norm.weight", [headDim], initial)]
            kNorm = [store.declare("\(prefix).k_norm.weight", [headDim], initial)]
        case nil:
            qNorm = []
            kNorm = []
        }
        self.qkNorm = qkNorm
        self.qkNormUnitOffset = qkNormUnitOffset
        o = Linear(store, "\(prefix).o_proj", inFeatures: heads * headDim, outFeatures: hidden, std: std)
        shape = AttentionShape(batch: 1, length: 1, heads: heads, kvHeads: kvHeads, headDim: headDim,
                               rotaryDim: rotaryDim, ropeBase: ropeBase, ropeScaling: ropeScaling, window: window)
        self.normEps = normEps
    }

    /// The packed [rows, (heads + 2·kvHeads)·headDim] projection (with `lora`'s contributions), q/k-normalized
    /// when configured.
    public func qkv(_ x: Tensor, lora: LoRAGroup? = nil) -> Tensor {
        let w = store.concatenatedView([q.weight, k.weight, v.weight])
        let b = q.bias.map { store.concatenatedView([$0, k.bias!, v.bias!]) }
        let base = x.linear(w, bias: b)
        let packed = lora.map { $0.adding(to: base, input: x) } ?? base
        guard let qkNorm else { return packed }
        let offset: Float = qkNormUnitOffset ? 1 : 0
        return packed.normalizingQueryKeyHeads(shape, qkNorm, qWeight: store.concatenatedView(qNorm) + offset,
                                               kWeight: store.concatenatedView(kNorm) + offset, eps: normEps)
    }

    /// x: [batch·length, hidden] → [batch·length, hidden]; `layout` for packed or prefix-sharing rows; `lora`
    /// adapts the projections.
    public func callAsFunction(_ x: Tensor, batch: Int, length: Int, layout: SequenceLayout? = nil,
                               lora: BlockLoRA? = nil) -> Tensor {
        var s = shape
        s.batch = batch
        s.length = length
        s.layout = layout
        return o(qkv(x, lora: lora?.qkv).causalSelfAttention(s), lora: lora?.o)
    }
}

extension Linear {
    init(weight: Parameter, bias: Parameter?) {
        self.weight = weight
        self.bias = bias
    }
}

/// Gated feed-forward: `down_proj(act(gate_proj(x)) ⊙ up_proj(x))` with SiLU (SwiGLU) or tanh-GELU (GeGLU),
/// gate and up fused into one GEMM.
public struct GatedMLP: Sendable {
    public let gate, up, down: Linear
    public let activation: GateActivation
    private let store: ParameterStore

    public init(_ store: ParameterStore, _ prefix: String, hidden: Int, intermediate: Int, activation: GateActivation = .silu,
                std: Float = 0.02) {
        self.store = store
        self.activation = activation
        gate = Linear(store, "\(prefix).gate_proj", inFeatures: hidden, outFeatures: intermediate, std: std)
        up = Linear(store, "\(prefix).up_proj", inFeatures: hidden, outFeatures: intermediate, std: std)
        down = Linear(store, "\(prefix).down_proj", inFeatures: intermediate, outFeatures: hidden, std: std)
    }

    /// `lora` adapts the projections.
    public func callAsFunction(_ x: Tensor, lora: BlockLoRA? = nil) -> Tensor {
        let base = x.linear(store.concatenatedView([gate.weight, up.weight]))
        let gateUp = lora?.gateUp.map { $0.adding(to: base, input: x) } ?? base
        return down(gateUp.gatedUnit(activation), lora: lora?.down)
    }
}

/// How queries and keys are normalized head by head before the rotation.
public enum QueryKeyNorm: Sendable {
    /// StableLM: LayerNorm without bias, a weight per head ([heads·headDim] for the queries).
    case perHeadLayerNorm
    /// Qwen3, Gemma 3: RMSNorm with one weight [headDim] that every head shares.
    case sharedRMSNorm
}

extension Tensor {
    /// The queries and keys of a packed [rows, q | k | v] matrix normalized head by head (`norm`), scaled by
    /// `qWeight` and `kWeight` ([heads·headDim] and [kvHeads·headDim] per head for StableLM, [headDim] shared
    /// for Qwen3); the values pass through. The training layers and the inference engine on stored weights both
    /// call it.
    public func normalizingQueryKeyHeads(_ shape: AttentionShape, _ norm: QueryKeyNorm, qWeight: Tensor, kWeight: Tensor,
                                         eps: Float) -> Tensor {
        let hd = shape.headDim, qw = shape.heads * hd, kw = shape.kvHeads * hd
        let ones = norm == .perHeadLayerNorm ? Tensor.full([hd], 1) : nil
        func perHead(_ part: Tensor, _ weight: Tensor) -> Tensor {
            let rows = part.shape[0], width = part.shape[1], heads = part.reshaped([-1, hd])
            switch norm {
            case .perHeadLayerNorm: return heads.layerNorm(weight: ones!, bias: nil, eps: eps).reshaped([rows, width]) * weight
            case .sharedRMSNorm: return heads.rmsNorm(weight: weight, eps: eps).reshaped([rows, width])
            }
        }
        return Tensor.concatenateLastAxis([perHead(sliceLastAxis(0..<qw), qWeight),
                                           perHead(sliceLastAxis(qw..<qw + kw), kWeight),
                                           sliceLastAxis(qw + kw..<qw + 2 * kw)])
    }
}
