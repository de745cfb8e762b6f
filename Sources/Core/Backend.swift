/// The kernels behind every tensor op. Ops (in `Ops/`) do shape checks and autodiff bookkeeping and call
/// only these methods, so a GPU backend is one more conformance, with no change to layers or models.
/// Outputs are contiguous tensors the op allocated; `accumulate` means add into `out` instead of overwriting.
public protocol Backend: Sendable {
    // Elementwise
    func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, into out: Tensor, accumulate: Bool)
    func affine(_ x: Tensor, scale: Float, shift: Float, into out: Tensor, accumulate: Bool)
    func unary(_ op: UnaryOp, _ x: Tensor, into out: Tensor)
    func unaryBackward(_ op: UnaryOp, _ x: Tensor, _ gradOut: Tensor, into gradIn: Tensor, accumulate: Bool)
    func gatedUnit(_ x: Tensor, _ activation: GateActivation, into out: Tensor)
    func gatedUnitBackward(_ x: Tensor, _ activation: GateActivation, _ gradOut: Tensor, into gradIn: Tensor, accumulate: Bool)
    // Reductions and copies
    func sumRows(_ x: Tensor, into out: Tensor, accumulate: Bool)
    func sumAll(_ x: Tensor) -> Float
    func copy(_ x: Tensor, into out: Tensor, accumulate: Bool)
    // Normalization and softmax
    func softmax(_ x: Tensor, into out: Tensor)
    func softmaxBackward(_ y: Tensor, _ gradOut: Tensor, into gradIn: Tensor, accumulate: Bool)
    func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, into out: Tensor, rstd: Tensor)
    func rmsNormBackward(_ x: Tensor, weight: Tensor, rstd: Tensor, _ gradOut: Tensor,
                         gradX: (Tensor, Bool)?, gradWeight: (Tensor, Bool)?)
    func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor?, eps: Float, into out: Tensor, mean: Tensor, rstd: Tensor)
    func layerNormBackward(_ x: Tensor, weight: Tensor, mean: Tensor, rstd: Tensor, _ gradOut: Tensor,
                           gradX: (Tensor, Bool)?, gradWeight: (Tensor, Bool)?, gradBias: (Tensor, Bool)?)
    // Matrix products
    /// `parallel: false` runs on the calling thread (the caller runs independent products side by side);
    /// `precision` bf16 rounds both operands to bfloat16 and sums in Float32.
    func gemm(_ a: Tensor, transA: Bool, _ b: Tensor, transB: Bool, into c: Tensor, alpha: Float, beta: Float, parallel: Bool,
              precision: Precision)
    // Embedding
    func gather(_ table: Tensor, rows: [Int32], into out: Tensor)
    func scatterAdd(_ gradOut: Tensor, rows: [Int32], into table: Tensor, accumulate: Bool)
    // Attention
    func attention(_ qkv: Tensor, _ shape: AttentionShape, into out: Tensor, saved: AttentionSaved)
    func attentionBackward(_ gradOut: Tensor, _ shape: AttentionShape, saved: AttentionSaved,
                           into gradQKV: Tensor, accumulate: Bool)
    /// Attention of the new tokens of sequences with many new tokens each (prompts) over their caches, in parallel
    /// over sequences and heads.
    func cachedAttention(_ qkv: Tensor, segments: [(rows: Range<Int>, cache: KVCache)], _ shape: AttentionShape, layer: Int,
                         precision: Precision, into out: Tensor)
    /// `cachedAttention` for many sequences with a few new tokens each (decoding), in parallel over sequences and heads.
    /// `precision` sets the arithmetic of the products over a prefix the sequences share.
    func cachedDecodeAttention(_ qkv: Tensor, segments: [(rows: Range<Int>, cache: KVCache)], _ shape: AttentionShape, layer: Int,
                               precision: Precision, into out: Tensor)
    // Losses
    func crossEntropy(_ logits: Tensor, labels: [Int32], logSumExp: Tensor) -> (sum: Double, count: Int)
    func crossEntropyBackward(_ logits: Tensor, labels: [Int32], logSumExp: Tensor, scale: Float,
                              into gradLogits: Tensor, accumulate: Bool)
    /// ReMask's fused loss; writes d(loss)/d(logits) into `gradient` when given.
    func consistencyLoss(_ logits: Tensor, pairs: [ConsistencyPair], weight: Float, divergence: Divergence,
                         detachFull: Bool, gradient: Tensor?) -> ConsistencyLossParts
}

public enum BinaryOp: Sendable { case add, sub, mul }
public enum UnaryOp: Sendable {
    case silu, exp
    /// GELU, tanh approximation (GPT-2's, Gemma's).
    case gelu
    /// GELU as defined, x·Φ(x) with the error function (BERT's `gelu`).
    case geluErf
}

/// The activation of a gated feed-forward unit: SiLU (SwiGLU: Llama, Qwen, StableLM) or GELU with the tanh
/// approximation (GeGLU: Gemma).
public enum GateActivation: Sendable { case silu, geluTanh }

/// Geometry of fused causal self-attention over a packed QKV matrix.
public struct AttentionShape: Sendable, Equatable {
    public var batch: Int, length: Int, heads: Int, kvHeads: Int, headDim: Int
    /// Dimensions of each head that rotate (RoPE, half-split pairs); `headDim` for full rotary, less for
    /// partial rotary (StableLM), 0 for none.
    public var rotaryDim: Int
    public var ropeBase: Float
    /// Divisors of the rotary frequencies (Llama 3.1's long-context rule and the like); nil for none.
    public var ropeScaling: RopeScaling?
    /// Who sees whom inside each row, and each token's rotary position; nil: plain causal rows, positions
    /// counting from 0.
    public var layout: SequenceLayout?
    /// Sliding-window attention: a query at position p sees only keys at positions above p − window (Gemma's
    /// local layers, Mistral); nil: every earlier key.
    public var window: Int?

    public init(batch: Int, length: Int, heads: Int, kvHeads: Int, headDim: Int, rotaryDim: Int? = nil, ropeBase: Float = 10000,
                ropeScaling: RopeScaling? = nil, layout: SequenceLayout? = nil, window: Int? = nil) {
        self.batch = batch; self.length = length; self.heads = heads; self.kvHeads = kvHeads
        self.headDim = headDim; self.rotaryDim = rotaryDim ?? headDim; self.ropeBase = ropeBase; self.ropeScaling = ropeScaling
        self.layout = layout
        self.window = window
    }

    /// The first key column a query at `position` sees, the keys being positions 0, 1, … in order.
    @inline(__always)
    public func firstVisibleKey(position: Int) -> Int {
        window.map { max(0, position - $0 + 1) } ?? 0
    }

    /// Columns of the packed QKV matrix: queries, then keys, then values.
    public var qkvWidth: Int { (heads + 2 * kvHeads) * headDim }
    public var outWidth: Int { heads * headDim }
}

/// What attention keeps from forward for backward: rotated Q/K with V, the attention probabilities, and the
/// arithmetic of its products (forward's, so backward matches it).
public struct AttentionSaved: Sendable {
    public let qkvRotated: Tensor
    public let probs: Tensor
    public let precision: Precision
}

extension Tensor {
    /// The backend all ops run on.
    public static let backend: any Backend = CPUBackend()

    /// The arithmetic of the products of a training step, `linear`'s and fused attention's (forward and backward,
    /// which keeps forward's): fp32, or bf16 operands with Float32 sums (mixed-precision training; weights,
    /// gradients, optimizer state, norms, softmax and losses stay Float32). `matmul` and the inference paths (KV
    /// caches) have their own. Set it with `withTrainingPrecision`.
    nonisolated(unsafe) public private(set) static var trainingPrecision: Precision = .fp32

    /// Runs `body` with `trainingPrecision` set to `precision`, restoring it afterwards. Call it where no product
    /// runs concurrently (around a training run).
    public static func withTrainingPrecision<T>(_ precision: Precision, _ body: () throws -> T) rethrows -> T {
        let saved = trainingPrecision
        trainingPrecision = precision
        defer { trainingPrecision = saved }
        return try body()
    }
}

extension Backend {
    /// A Float32 product.
    public func gemm(_ a: Tensor, transA: Bool, _ b: Tensor, transB: Bool, into c: Tensor, alpha: Float, beta: Float, parallel: Bool) {
        gemm(a, transA: transA, b, transB: transB, into: c, alpha: alpha, beta: beta, parallel: parallel, precision: .fp32)
    }
}
