import Core

/// Causal self-attention with grouped-query heads and rotary embeddings: `q_proj`, `k_proj`, `v_proj`,
/// `o_proj` under `<prefix>`. The q, k and v weights are declared next to each other in the store so one
/// GEMM computes all three (as are their biases, when present).
public struct SelfAttention: Sendable {
    public let q, k, v, o: Linear
    public let heads, kvHeads, headDim, rotaryDim: Int
    public let ropeBase: Float
    private let store: ParameterStore

    public init(_ store: ParameterStore, _ prefix: String, hidden: Int, heads: Int, kvHeads: Int, headDim: Int,
                rotaryDim: Int? = nil, ropeBase: Float, qkvBias: Bool = false, std: Float = 0.02) {
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
        o = NN.Linear(store, "\(prefix).o_proj", inFeatures: heads * headDim, outFeatures: hidden, std: std)
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.rotaryDim = rotaryDim ?? headDim
        self.ropeBase = ropeBase
    }

    /// x: [batch·length, hidden] → [batch·length, hidden].
    public func callAsFunction(_ x: Tensor, batch: Int, length: Int) -> Tensor {
        let w = store.concatenatedView([q.weight, k.weight, v.weight])
        let b = q.bias.map { store.concatenatedView([$0, k.bias!, v.bias!]) }
        let qkv = x.linear(w, bias: b)
        let shape = AttentionShape(batch: batch, length: length, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                   rotaryDim: rotaryDim, ropeBase: ropeBase)
        return o(qkv.causalSelfAttention(shape))
    }
}

extension Linear {
    init(weight: Parameter, bias: Parameter?) {
        self.weight = weight
        self.bias = bias
    }
}

/// SwiGLU feed-forward: `down_proj(silu(gate_proj(x)) ⊙ up_proj(x))`, gate and up fused into one GEMM.
public struct SwiGLUMLP: Sendable {
    public let gate, up, down: Linear
    private let store: ParameterStore

    public init(_ store: ParameterStore, _ prefix: String, hidden: Int, intermediate: Int, std: Float = 0.02) {
        self.store = store
        gate = Linear(store, "\(prefix).gate_proj", inFeatures: hidden, outFeatures: intermediate, std: std)
        up = Linear(store, "\(prefix).up_proj", inFeatures: hidden, outFeatures: intermediate, std: std)
        down = Linear(store, "\(prefix).down_proj", inFeatures: intermediate, outFeatures: hidden, std: std)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        down(x.linear(store.concatenatedView([gate.weight, up.weight])).swiglu())
    }
}
