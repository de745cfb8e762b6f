import Core
import NN

/// LoRA adapters attached to a `CausalLM` (see `attachLoRA`): their own parameter store — what the optimizer
/// trains and a checkpoint saves — the dropout mode, and merging into the base weights.
///
/// With `config.trainableTokens`, the store also holds trainable copies of those tokens' vocabulary rows
/// (PEFT's trainable tokens), which stand in for the frozen rows of the embedding and output projection
/// until `merge` writes them there.
public final class LoRAAdapters: @unchecked Sendable {
    /// The configuration; with tied embeddings `trainableTokens.output` is empty (the embedding rows serve).
    public let config: LoRAConfig
    /// The adapter weights, under PEFT's names (`base_model.model.<module>.lora_A.weight`, `.lora_B.weight`),
    /// then the token rows (`base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta`, and
    /// `base_model.model.lm_head.token_adapter.trainable_tokens_delta` when untied).
    public let parameters: ParameterStore
    public let model: CausalLM
    let blocks: [BlockLoRA]
    /// The trainable token rows; nil without trainable tokens.
    public let tokenRows: TrainableTokenRows?
    private let dropout: LoRADropout
    private let baseWasTrainable: Bool
    /// Whether the adapters still act on the model (`merge` detaches them).
    public private(set) var isAttached = true

    fileprivate init(model: CausalLM, config: LoRAConfig) {
        if let problem = config.validationError() ?? model.trainableTokensProblem(config.trainableTokens) {
            check(false, "LoRA: invalid configuration: \(problem)")
        }
        check(model.lora == nil, "LoRA: the model already has adapters attached")
        var config = config
        if model.config.tiedEmbeddings { config.trainableTokens.output = [] }
        self.model = model
        self.config = config
        let store = ParameterStore()
        let dropout = LoRADropout(p: config.dropout, seed: config.seed)
        blocks = model.blocks.enumerated().map { layer, block in
            BlockLoRA(attention: block.attention, mlp: block.mlp, layer: layer, config: config, store: store, dropout: dropout)
        }
        // Declared after every adapter, so the adapters' places and initial values do not depend on them.
        func rows(_ tokens: [Int], of base: Parameter) -> TokenRows? {
            guard !tokens.isEmpty else { return nil }
            let values = store.declare(TokenRows.name(replacing: base), [tokens.count, base.shape[1]], .zeros)
            return TokenRows(ids: tokens.map(Int32.init), values: values, base: base)
        }
        let embedding = rows(config.trainableTokens.embedding, of: model.embed.weight)
        let output = model.config.tiedEmbeddings ? embedding : rows(config.trainableTokens.output, of: model.outputParameter)
        let tokenRows = embedding == nil && output == nil ? nil : TrainableTokenRows(embedding: embedding, output: output)
        store.allocate(seed: config.seed)
        for r in tokenRows?.distinct ?? [] { r.copyFromBase() }
        self.tokenRows = tokenRows
        parameters = store
        self.dropout = dropout
        baseWasTrainable = model.parameters.isTrainable
        model.parameters.isTrainable = false
        model.lora = blocks
        model.tokenRows = tokenRows
    }

    /// Training mode turns adapter dropout on; evaluation mode (the default) runs without it.
    public var isTraining: Bool {
        get { dropout.isTraining }
        set { dropout.isTraining = newValue }
    }

    /// Picks the dropout masks of training forward passes: give every pass (micro-batch) its own value.
    public var dropoutStep: UInt64 {
        get { dropout.step }
        set { dropout.step = newValue }
    }

    /// Every adapter, in block order (q, k, v, o, gate, up, down within a block).
    public var adapters: [LoRAPair] { blocks.flatMap(\.adapters) }

    /// Folds the adapters into the base weights (W += alpha/rank · B A), writes the trainable token rows into
    /// their rows of the embedding and output projection, and detaches them, so the model computes the same
    /// function with plain projections; the base store's trainability is restored.
    public func merge() {
        check(isAttached, "LoRA: merge needs attached adapters (already merged?)")
        for adapter in adapters { adapter.merge(scale: config.scale) }
        for rows in tokenRows?.distinct ?? [] { rows.merge() }
        detach()
    }

    /// Removes the adapters from the model without changing its weights.
    func detach() {
        model.lora = nil
        model.tokenRows = nil
        model.parameters.isTrainable = baseWasTrainable
        isAttached = false
    }
}

extension CausalLM {
    /// Attaches fresh LoRA adapters to the projections `config` targets and freezes the base weights (backward
    /// then computes no gradient for them). A starts random and B at zero, so the outputs start unchanged.
    public func attachLoRA(_ config: LoRAConfig) -> LoRAAdapters {
        LoRAAdapters(model: self, config: config)
    }

    /// Whether LoRA adapters are attached (and not merged).
    public var hasLoRA: Bool { lora != nil }

    /// Why `tokens` cannot be trained on this model (an index beyond the vocabulary, or output rows that
    /// differ from the embedding's under tied embeddings), or nil.
    public func trainableTokensProblem(_ tokens: TrainableTokenIndices) -> String? {
        if let problem = tokens.validationError() { return problem }
        if let bad = (tokens.embedding + tokens.output).first(where: { $0 >= config.vocabSize }) {
            return "trainable token index \(bad) is outside the vocabulary of \(config.vocabSize)"
        }
        if config.tiedEmbeddings && !tokens.output.isEmpty && tokens.output != tokens.embedding {
            return "the model ties its embeddings, so the output projection's trainable tokens must be the embedding's"
        }
        return nil
    }
}
