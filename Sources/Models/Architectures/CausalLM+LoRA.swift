import Core
import NN

/// LoRA adapters attached to a `CausalLM` (see `attachLoRA`): their own parameter store — what the optimizer
/// trains and a checkpoint saves — the dropout mode, and merging into the base weights.
public final class LoRAAdapters: @unchecked Sendable {
    public let config: LoRAConfig
    /// The adapter weights, under PEFT's names (`base_model.model.<module>.lora_A.weight`, `.lora_B.weight`).
    public let parameters: ParameterStore
    public let model: CausalLM
    let blocks: [BlockLoRA]
    private let dropout: LoRADropout
    private let baseWasTrainable: Bool
    /// Whether the adapters still act on the model (`merge` detaches them).
    public private(set) var isAttached = true

    fileprivate init(model: CausalLM, config: LoRAConfig) {
        if let problem = config.validationError() { check(false, "LoRA: invalid configuration: \(problem)") }
        check(model.lora == nil, "LoRA: the model already has adapters attached")
        self.model = model
        self.config = config
        let store = ParameterStore()
        let dropout = LoRADropout(p: config.dropout, seed: config.seed)
        blocks = model.blocks.enumerated().map { layer, block in
            BlockLoRA(attention: block.attention, mlp: block.mlp, layer: layer, config: config, store: store, dropout: dropout)
        }
        store.allocate(seed: config.seed)
        parameters = store
        self.dropout = dropout
        baseWasTrainable = model.parameters.isTrainable
        model.parameters.isTrainable = false
        model.lora = blocks
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

    /// Folds the adapters into the base weights (W += alpha/rank · B A) and detaches them, so the model
    /// computes the same function with plain projections; the base store's trainability is restored.
    public func merge() {
        check(isAttached, "LoRA: merge needs attached adapters (already merged?)")
        for adapter in adapters { adapter.merge(scale: config.scale) }
        detach()
    }

    /// Removes the adapters from the model without changing its weights.
    func detach() {
        model.lora = nil
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
}
