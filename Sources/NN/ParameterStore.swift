import Core

/// How a parameter starts.
public enum ParameterInit: Sendable {
    case normal(std: Float)
    /// Uniform in [−bound, bound].
    case uniform(bound: Float)
    case ones
    case zeros
}

/// One named parameter: a slice of the store's flat buffers.
public final class Parameter: @unchecked Sendable {
    /// The checkpoint name (Hugging Face style, e.g. `model.layers.0.self_attn.q_proj.weight`).
    public let name: String
    public let shape: [Int]
    /// First element in the flat buffers.
    public let offset: Int
    public let initializer: ParameterInit
    /// Whether weight decay applies (matrices yes; norms and biases no).
    public var decays: Bool
    fileprivate var bound: Tensor?

    init(name: String, shape: [Int], offset: Int, initializer: ParameterInit) {
        self.name = name
        self.shape = shape
        self.offset = offset
        self.initializer = initializer
        self.decays = shape.count >= 2
    }

    public var count: Int { shape.reduce(1, *) }

    /// The parameter as a tensor that tracks gradients. Available once the store is allocated.
    public var tensor: Tensor {
        guard let bound else { fatalError("remask: parameter \(name) used before its ParameterStore was allocated") }
        return bound
    }
}

/// All parameters of a model in one flat value buffer and one flat gradient buffer (as llm.c does), so that
/// zeroing, clipping, optimizer steps and a later all-reduce are single loops over contiguous memory.
///
/// Layers `declare` their parameters while the model is built; `allocate` then creates both buffers, binds
/// every parameter to its slice and initializes the values in declaration order from a seeded generator.
public final class ParameterStore: @unchecked Sendable {
    public private(set) var parameters: [Parameter] = []
    public private(set) var count = 0
    public private(set) var values: Storage?
    /// nil before allocation and while frozen.
    public private(set) var grads: Storage?
    private var byName: [String: Parameter] = [:]

    /// Whether backward computes gradients for these parameters (the default). A frozen store's parameters
    /// are constants: backward skips their weight-gradient work (a linear layer then runs only its dX GEMM)
    /// while gradients still flow through them to their inputs, and the gradient buffer is released.
    /// Unfreezing brings back a zeroed one. Layers read `Parameter.tensor` on every call, so the change
    /// applies from the next forward pass.
    public var isTrainable = true {
        didSet { if values != nil && isTrainable != oldValue { bind() } }
    }

    public init() {}

    /// Registers a parameter; its slice directly follows the previous one.
    public func declare(_ name: String, _ shape: [Int], _ initializer: ParameterInit) -> Parameter {
        check(values == nil, "ParameterStore: cannot declare \(name) after allocation")
        check(byName[name] == nil, "ParameterStore: parameter \(name) declared twice")
        check(!shape.isEmpty && shape.allSatisfy { $0 > 0 }, "ParameterStore: parameter \(name) has invalid shape \(shape)")
        let p = Parameter(name: name, shape: shape, offset: count, initializer: initializer)
        parameters.append(p)
        byName[name] = p
        count += p.count
        return p
    }

    public subscript(name: String) -> Parameter? { byName[name] }

    /// Creates the flat buffers and initializes every parameter; with no seed, randomly initialized ones
    /// start at zero (for loaders, which overwrite them, and would otherwise pay for random draws).
    public func allocate(seed: UInt64?) {
        check(values == nil, "ParameterStore: already allocated")
        let v = Storage(uninitializedCount: count)
        values = v
        var rng = SeededRandom(seed: seed ?? 0)
        for p in parameters {
            let dst = v.pointer + p.offset
            switch p.initializer {
            case .normal where seed == nil, .uniform where seed == nil: dst.update(repeating: 0, count: p.count)
            case .normal(let std): rng.fillNormal(dst, count: p.count, std: std)
            case .uniform(let bound): for i in 0..<p.count { dst[i] = (2 * rng.nextFloat() - 1) * bound }
            case .ones: dst.update(repeating: 1, count: p.count)
            case .zeros: dst.update(repeating: 0, count: p.count)
            }
        }
        bind()
    }

    /// (Re)binds every parameter to its slice: gradient-tracking views with a zeroed gradient buffer when
    /// trainable, plain views and no gradient buffer when frozen.
    private func bind() {
        guard let values else { return }
        grads = isTrainable ? Storage(zeroedCount: count) : nil
        for p in parameters { p.bound = view(values, p.offset, p.shape) }
    }

    private func view(_ values: Storage, _ offset: Int, _ shape: [Int]) -> Tensor {
        guard let grads else { return Tensor(storage: values, offset: offset, shape: shape) }
        return Tensor.parameter(values: values, grads: grads, offset: offset, shape: shape)
    }

    /// One tensor over parameters that lie next to each other in the store (e.g. q, k and v projections),
    /// concatenated along the first axis, so one GEMM serves them all. Gradients flow to each part.
    public func concatenatedView(_ parts: [Parameter]) -> Tensor {
        guard let values else { fatalError("remask: ParameterStore used before allocation") }
        let tail = Array(parts[0].shape.dropFirst())
        for (a, b) in zip(parts, parts.dropFirst()) {
            check(a.offset + a.count == b.offset && Array(b.shape.dropFirst()) == tail,
                  "ParameterStore: \(a.name) and \(b.name) are not adjacent with matching trailing shape")
        }
        let rows = parts.reduce(0) { $0 + $1.shape[0] }
        return view(values, parts[0].offset, [rows] + tail)
    }

    public var valuePointer: UnsafeMutablePointer<Float> { values!.pointer }
    public var gradPointer: UnsafeMutablePointer<Float> {
        guard let grads else {
            fatalError(values == nil ? "remask: ParameterStore used before allocation"
                                     : "remask: ParameterStore is frozen and has no gradients (isTrainable is false)")
        }
        return grads.pointer
    }

    /// Sets every gradient to zero (one memset); nothing to do while frozen.
    public func zeroGrad() {
        guard isTrainable else { return }
        gradPointer.update(repeating: 0, count: count)
    }

    /// L2 norm of the whole gradient (0 while frozen).
    public func gradNorm() -> Float {
        guard isTrainable else { return 0 }
        let g = gradPointer
        let chunks = Parallel.chunkCount(count, minChunk: 1 << 16)
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { part in
            let part = UncheckedBuffer(part)
            Parallel.forChunks(count, minChunk: 1 << 16) { r in
                var acc = SIMD8<Float>()
                var s = 0.0
                var i = r.lowerBound
                while i + 8 <= r.upperBound {
                    let v = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                    acc = acc.addingProduct(v, v)
                    i += 8
                    if (i - r.lowerBound) % 65536 == 0 { s += Double(acc.sum()); acc = .zero }
                }
                s += Double(acc.sum())
                while i < r.upperBound { s += Double(g[i] * g[i]); i += 1 }
                part.buffer[Parallel.chunkIndex(of: r, count: count, chunks: chunks)] = s
            }
        }
        return Float(partial.reduce(0, +).squareRoot())
    }

    /// Scales the gradient so its global L2 norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public func clipGradNorm(_ maxNorm: Float) -> Float {
        let norm = gradNorm()
        if norm > maxNorm && norm.isFinite {
            let s = maxNorm / (norm + 1e-6)
            let g = gradPointer
            Parallel.forChunks(count, minChunk: 1 << 16) { r in for i in r { g[i] *= s } }
        }
        return norm
    }
}

/// A buffer handed to concurrent workers that write disjoint elements.
struct UncheckedBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}
