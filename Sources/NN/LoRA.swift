import Core

/// A projection of a decoder block that can carry a LoRA adapter, by its PEFT `target_modules` name.
public enum LoRATarget: String, CaseIterable, Sendable {
    case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj", gate = "gate_proj", up = "up_proj", down = "down_proj"
}

/// LoRA hyperparameters (Hu et al. 2021, as PEFT implements them): each targeted projection W gets a
/// trainable A [rank, in] and B [out, rank], and computes y = x Wᵀ + (alpha / rank) · dropout(x) Aᵀ Bᵀ.
///
/// Defaults: rank 8, alpha 16 (scale 2), dropout 0.05, and every linear projection of every block — the
/// common PEFT recipe for small models (adapting all projections beats attention-only at the same rank).
public struct LoRAConfig: Sendable, Equatable {
    public var rank: Int
    public var alpha: Float
    /// Dropout probability on an adapter's input, active only in training mode.
    public var dropout: Float
    public var targets: Set<LoRATarget>
    /// Seeds A's initialization and the dropout masks.
    public var seed: UInt64
    /// Vocabulary rows trained along with the adapters (PEFT's `trainable_token_indices`); none by default.
    public var trainableTokens: TrainableTokenIndices

    public init(rank: Int = 8, alpha: Float = 16, dropout: Float = 0.05,
                targets: Set<LoRATarget> = Set(LoRATarget.allCases), seed: UInt64 = 0,
                trainableTokens: TrainableTokenIndices = TrainableTokenIndices()) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
        self.seed = seed
        self.trainableTokens = trainableTokens
    }

    /// alpha / rank, the factor on every adapter's output.
    public var scale: Float { alpha / Float(rank) }

    /// The targets in block order (q, k, v, o, gate, up, down).
    public var orderedTargets: [LoRATarget] { LoRATarget.allCases.filter(targets.contains) }

    /// Why the configuration is unusable, or nil.
    public func validationError() -> String? {
        if rank < 1 { return "rank must be at least 1, got \(rank)" }
        if !(alpha.isFinite && alpha > 0) { return "alpha must be positive, got \(alpha)" }
        if !(dropout >= 0 && dropout < 1) { return "dropout must lie in [0, 1), got \(dropout)" }
        if targets.isEmpty { return "no target projections" }
        return trainableTokens.validationError()
    }
}

/// Tokens whose vocabulary rows a LoRA run trains (PEFT's `trainable_token_indices`, e.g. tokens added for
/// fine-tuning, whose rows would otherwise stay at their initial values): the rows of the input embedding
/// (`embed_tokens`) and of an untied output projection (`lm_head`). With tied embeddings one row serves
/// both, so `output` must then be empty or equal to `embedding`.
public struct TrainableTokenIndices: Sendable, Equatable {
    public var embedding: [Int]
    public var output: [Int]

    public init(embedding: [Int] = [], output: [Int] = []) {
        self.embedding = embedding
        self.output = output
    }

    /// The same tokens in the embedding and, when untied, the output projection.
    public init(_ tokens: [Int]) {
        self.init(embedding: tokens, output: tokens)
    }

    public var isEmpty: Bool { embedding.isEmpty && output.isEmpty }

    /// Why the indices are unusable (negative or repeated), or nil.
    public func validationError() -> String? {
        for (name, list) in [("embedding", embedding), ("output", output)] {
            if let bad = list.first(where: { $0 < 0 }) { return "trainable token index \(bad) is negative" }
            if Set(list).count != list.count { return "trainable \(name) token indices repeat" }
        }
        return nil
    }
}

/// Trainable stand-ins for some rows of a vocabulary table [vocab, hidden]: row j of `values` [ids.count,
/// hidden] (in the adapter store) replaces row `ids[j]` of `base` in the forward pass, and only `values`
/// gets gradients. Merging writes them into `base`.
public struct TokenRows: Sendable {
    public let ids: [Int32]
    public let values: Parameter
    public let base: Parameter

    public init(ids: [Int32], values: Parameter, base: Parameter) {
        check(values.shape == [ids.count, base.shape[1]],
              "TokenRows: values \(values.shape) do not fit \(ids.count) rows of \(base.name) \(base.shape)")
        self.ids = ids
        self.values = values
        self.base = base
    }

    /// PEFT's name for the rows replacing those of `base`, e.g.
    /// `base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta`.
    public static func name(replacing base: Parameter) -> String {
        "base_model.model.\(base.name.dropLast(".weight".count)).token_adapter.trainable_tokens_delta"
    }

    /// Sets `values` to the rows of `base` they replace (their starting point).
    public func copyFromBase() {
        let width = base.shape[1]
        for (j, id) in ids.enumerated() {
            (values.tensor.pointer + j * width).update(from: base.tensor.pointer + Int(id) * width, count: width)
        }
    }

    /// Writes `values` into their rows of `base` (no gradient recorded).
    public func merge() {
        let width = base.shape[1]
        for (j, id) in ids.enumerated() {
            (base.tensor.pointer + Int(id) * width).update(from: values.tensor.pointer + j * width, count: width)
        }
    }
}

/// The token rows attached to a model: those of the input embedding and those of the output projection
/// (with tied embeddings, the embedding's own rows).
public struct TrainableTokenRows: Sendable {
    public let embedding: TokenRows?
    public let output: TokenRows?

    public init(embedding: TokenRows?, output: TokenRows?) {
        self.embedding = embedding
        self.output = output
    }

    /// Each distinct set of rows once (tied embeddings share one).
    public var distinct: [TokenRows] {
        guard let output else { return embedding.map { [$0] } ?? [] }
        guard let embedding else { return [output] }
        return embedding.values === output.values ? [embedding] : [embedding, output]
    }
}

/// The adapter of one projection: A [rank, in] and B [out, rank] in the adapter store, and the base weight
/// [out, in] it adapts.
public struct LoRAPair: Sendable {
    public let a: Parameter, b: Parameter
    public let base: Parameter

    /// W += scale · B A (no gradient recorded).
    public func merge(scale: Float) {
        Tensor.backend.gemm(b.tensor, transA: false, a.tensor, transB: false, into: base.tensor, alpha: scale, beta: 1, parallel: true)
    }
}

/// Dropout mode shared by all adapters of a model: off for evaluation; in training, each adapter group's mask
/// is a function of (seed, step, group) only, so runs are reproducible and every step draws fresh masks.
public final class LoRADropout: @unchecked Sendable {
    public let p: Float
    public let seed: UInt64
    public var isTraining = false
    /// Set to a different value for every training forward pass (e.g. the micro-batch counter).
    public var step: UInt64 = 0

    public init(p: Float, seed: UInt64) {
        self.p = p
        self.seed = seed
    }

    func callAsFunction(_ x: Tensor, group: UInt64) -> Tensor {
        guard isTraining && p > 0 else { return x }
        return x.dropout(p, seed: SeededRandom.mix(SeededRandom.mix(seed, step), group))
    }
}

/// Adapters on projections that read the same input and write side by side into one packed output (q|k|v,
/// gate|up, or one projection alone). Their A matrices are adjacent in the store, so a single GEMM computes
/// every dropout(x) Aᵀ; each B then maps its rank-wide slice to its projection's columns (zeros for
/// projections without an adapter), and the result is added to the packed base output. The group shares one
/// dropout mask (PEFT draws one per projection; the distribution per projection is the same).
public struct LoRAGroup: Sendable {
    /// Output width of each packed projection, in order, with its adapter if it has one.
    public let parts: [(width: Int, adapter: LoRAPair?)]
    public let scale: Float
    let store: ParameterStore
    let dropout: LoRADropout
    /// Distinguishes this group's dropout masks from every other group's.
    let id: UInt64

    /// Declares adapters in `store` (PEFT names: `base_model.model.<module>.lora_A.weight`, `lora_B`) for the
    /// projections in `linears` that `config` targets, A's first so they lie next to each other; nil when none
    /// is targeted. A starts uniform in ±1/√in (PEFT's Kaiming-uniform), B at zero, so outputs start unchanged.
    public init?(_ linears: [(target: LoRATarget, linear: Linear)], config: LoRAConfig, store: ParameterStore,
                 dropout: LoRADropout, id: UInt64) {
        let chosen = linears.filter { config.targets.contains($0.target) }
        guard !chosen.isEmpty else { return nil }
        func name(_ l: Linear, _ matrix: String) -> String {
            "base_model.model.\(l.weight.name.dropLast(".weight".count)).\(matrix).weight"
        }
        let a = chosen.map { c in
            store.declare(name(c.linear, "lora_A"), [config.rank, c.linear.weight.shape[1]],
                          .uniform(bound: 1 / Float(c.linear.weight.shape[1]).squareRoot()))
        }
        var pairs: [LoRAPair] = []
        for (c, a) in zip(chosen, a) {
            let b = store.declare(name(c.linear, "lora_B"), [c.linear.weight.shape[0], config.rank], .zeros)
            pairs.append(LoRAPair(a: a, b: b, base: c.linear.weight))
        }
        parts = linears.map { l in (l.linear.weight.shape[0], pairs.first { $0.base === l.linear.weight }) }
        scale = config.scale
        self.store = store
        self.dropout = dropout
        self.id = id
    }

    public var adapters: [LoRAPair] { parts.compactMap(\.adapter) }

    /// `base` (the packed projections of `x`) plus scale · dropout(x) Aᵀ Bᵀ in each adapted projection's columns.
    public func adding(to base: Tensor, input x: Tensor) -> Tensor {
        let adapters = adapters
        let rank = adapters[0].a.shape[0]
        let a = adapters.count == 1 ? adapters[0].a.tensor : store.concatenatedView(adapters.map(\.a))
        let u = dropout(x, group: id).linear(a) * scale
        var next = 0
        let deltas = parts.map { part -> Tensor in
            guard let adapter = part.adapter else { return Tensor.zeros(Array(base.shape.dropLast()) + [part.width]) }
            defer { next += 1 }
            let slice = adapters.count == 1 ? u : u.sliceLastAxis(next * rank..<(next + 1) * rank)
            return slice.linear(adapter.b.tensor)
        }
        return base + (deltas.count == 1 ? deltas[0] : Tensor.concatenateLastAxis(deltas))
    }
}

/// The adapters of one decoder block, by packed projection; nil where no projection of the group is targeted.
public struct BlockLoRA: Sendable {
    public let qkv, o, gateUp, down: LoRAGroup?

    /// Declares the adapters of `attention` and `mlp` that `config` targets; groups get ids 4·`layer` + 0…3.
    public init(attention: SelfAttention, mlp: GatedMLP, layer: Int, config: LoRAConfig, store: ParameterStore,
                dropout: LoRADropout) {
        let id = UInt64(layer) * 4
        qkv = LoRAGroup([(.q, attention.q), (.k, attention.k), (.v, attention.v)], config: config, store: store,
                        dropout: dropout, id: id)
        o = LoRAGroup([(.o, attention.o)], config: config, store: store, dropout: dropout, id: id + 1)
        gateUp = LoRAGroup([(.gate, mlp.gate), (.up, mlp.up)], config: config, store: store, dropout: dropout, id: id + 2)
        down = LoRAGroup([(.down, mlp.down)], config: config, store: store, dropout: dropout, id: id + 3)
    }

    public var adapters: [LoRAPair] { [qkv, o, gateUp, down].compactMap { $0 }.flatMap(\.adapters) }
}
