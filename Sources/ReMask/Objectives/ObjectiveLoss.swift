import Core
import Models

extension CausalLM {
    /// The loss of `objective` on one micro-batch.
    public func loss(_ objective: Objective, _ input: ObjectiveInput, consistency: ConsistencySettings = .init()) -> StepLoss {
        switch objective {
        case .sft, .maskedThought:
            let tokens = objective == .sft ? input.tokens : input.maskedTokens
            let loss = self.loss(tokens, labels: input.labels, batch: input.batch, length: input.length, layout: input.layout)
            let value = Double(loss.item)
            return StepLoss(loss: loss, value: value, ceFull: objective == .sft ? value : nil,
                            ceMasked: objective == .sft ? nil : value, divergence: nil, labelCount: input.labelCount)
        case .remask:
            let plan = consistency.sharePrefix && input.layout == nil
                ? TwoPassPlan.sharingPrefix(input) : TwoPassPlan.stacked(input)
            let hidden = hiddenStates(plan.tokens, batch: plan.batch, length: plan.length, layout: plan.layout)
            let (loss, parts) = Tensor.consistencyLoss(logits(hidden: hidden, rows: plan.rows), pairs: plan.pairs,
                                                       weight: consistency.weight, divergence: consistency.divergence,
                                                       detachFull: consistency.detachFull)
            return StepLoss(loss: loss, value: parts.loss(weight: Double(consistency.weight)), ceFull: parts.ceFull,
                            ceMasked: parts.ceMasked, divergence: parts.divergence, labelCount: parts.count)
        }
    }
}
