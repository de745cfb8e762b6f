import Core

/// A batch after masking: corrupted inputs, the labels to train on, and which positions were masked.
public struct MaskedBatch: Sendable {
    public var tokens: [Int32]
    public var labels: [Int32]
    /// Masked input positions (indices into `tokens`), in increasing order.
    public var maskedPositions: [Int]
}

/// Which input tokens are masked and which labels are dropped, per step.
///
/// Inputs: only response tokens are candidates (response, rationale, and answer unless `protectAnswer`), never
/// the prompt or padding. Per example, each candidate is masked with the step's rate (`.perToken`), or a
/// Binomial(candidates, rate) count of them is drawn uniformly without replacement (`.binomial`, as Masked
/// Thought's code does; the two give the same distribution through different draws). Masked inputs become
/// `[mask]`, a random ordinary token, or either (`.mix`). Labels stay the original tokens.
///
/// Labels (ReMask-CoT's rules, for any objective): for an example with a rationale, with probability
/// `answerOnly` every label on a rationale token is dropped, else each is dropped with probability
/// `rationaleLabelDrop`. Answer labels are never dropped. SFT uses a policy with `rate` 0 (no input masking)
/// and may still drop labels.
public struct MaskingPolicy: Sendable, Equatable {
    public enum Count: Sendable, Equatable { case perToken, binomial }
    public enum Replacement: Sendable, Equatable {
        case maskToken
        case randomToken
        /// `[mask]` with probability `maskFraction`, else a random token.
        case mix(maskFraction: Float)
    }

    /// The largest share of candidates masked.
    public var rate: Float
    public var count: Count
    public var replacement: Replacement
    /// The rate rises linearly from 0 to `rate` over this share of the training steps (Masked Thought: 2/3);
    /// 0 for no ramp.
    public var rampFraction: Float
    /// Answer tokens are never masked in the input.
    public var protectAnswer: Bool
    public var rationaleLabelDrop: Float
    public var answerOnly: Float

    public init(rate: Float = 0.4, count: Count = .perToken, replacement: Replacement = .maskToken, rampFraction: Float = 0,
                protectAnswer: Bool = true, rationaleLabelDrop: Float = 0.1, answerOnly: Float = 0.1) {
        self.rate = rate
        self.count = count
        self.replacement = replacement
        self.rampFraction = rampFraction
        self.protectAnswer = protectAnswer
        self.rationaleLabelDrop = rationaleLabelDrop
        self.answerOnly = answerOnly
    }

    /// Plain fine-tuning: nothing masked, nothing dropped.
    public static let sft = MaskingPolicy(rate: 0, rationaleLabelDrop: 0, answerOnly: 0)
    /// Masked Thought (GSM8K script): Binomial counts over every target token, answer included, random
    /// replacements, the rate ramped over the first 2/3 of training.
    public static let maskedThought = MaskingPolicy(rate: 0.4, count: .binomial, replacement: .randomToken, rampFraction: 2.0 / 3,
                                                    protectAnswer: false, rationaleLabelDrop: 0, answerOnly: 0)
    /// ReMask without the CoT rules: 40% of response inputs, answers included, become `[mask]`.
    public static let remask = MaskingPolicy(protectAnswer: false, rationaleLabelDrop: 0, answerOnly: 0)
    /// ReMask-CoT: ReMask, answers never masked, 10% of rationale labels dropped, 10% of examples answer-only.
    public static let remaskCoT = MaskingPolicy()

    /// The objective's own masking: nothing for SFT, Chen et al.'s for Masked Thought, ReMask-CoT for ReMask.
    public static func `default`(for objective: Objective) -> MaskingPolicy {
        switch objective {
        case .sft: .sft
        case .maskedThought: .maskedThought
        case .remask: .remaskCoT
        }
    }

    /// Tokens to add to the tokenizer for this policy: `[mask]` when it replaces with it.
    public var specialTokens: [String] {
        replacement == .randomToken || rate == 0 ? [] : [MaskTokens.maskToken]
    }

    /// The masking rate at `step` (from 0) of `totalSteps`.
    public func rate(step: Int, totalSteps: Int) -> Float {
        guard rampFraction > 0 else { return rate }
        let rampSteps = rampFraction * Float(max(totalSteps, 1))
        return rate * min(1, Float(step) / rampSteps)
    }

    /// Masks `batch` for training step `step` of `totalSteps`, drawing from `rng`.
    public func apply(_ batch: Batch, step: Int, totalSteps: Int, tokens vocabulary: MaskTokens,
                      rng: inout SeededRandom) -> MaskedBatch {
        let p = rate(step: step, totalSteps: totalSteps)
        var out = MaskedBatch(tokens: batch.tokens, labels: batch.labels, maskedPositions: [])
        let roles = batch.roles
        for span in batch.spans {
            let range = (span.row * batch.length + span.start)..<(span.row * batch.length + span.start + span.count)
            if p > 0 {
                let candidates = range.filter { roles[$0] == .response || roles[$0] == .rationale || (!protectAnswer && roles[$0] == .answer) }
                let chosen: [Int]
                switch count {
                case .perToken: chosen = candidates.filter { _ in rng.nextBool(probability: p) }
                case .binomial: chosen = rng.sample(rng.nextBinomial(candidates.count, probability: p), from: candidates).sorted()
                }
                for i in chosen { out.tokens[i] = replacementToken(vocabulary, &rng) }
                out.maskedPositions += chosen
            }
            // Labels at position i target token i + 1, which lies inside the example wherever there is a label.
            let rationaleLabels = range.filter { out.labels[$0] != Tensor.ignoreIndex && roles[$0 + 1] == .rationale }
            guard !rationaleLabels.isEmpty, answerOnly > 0 || rationaleLabelDrop > 0 else { continue }
            let dropAll = rng.nextBool(probability: answerOnly)
            for i in rationaleLabels where dropAll || rng.nextBool(probability: rationaleLabelDrop) {
                out.labels[i] = Tensor.ignoreIndex
            }
        }
        return out
    }

    private func replacementToken(_ vocabulary: MaskTokens, _ rng: inout SeededRandom) -> Int32 {
        let useMask: Bool
        switch replacement {
        case .maskToken: useMask = true
        case .randomToken: useMask = false
        case .mix(let fraction): useMask = rng.nextBool(probability: fraction)
        }
        if useMask, let id = vocabulary.maskID { return id }
        check(!useMask, "MaskingPolicy: replacing with \(MaskTokens.maskToken), but the tokenizer has none; add policy.specialTokens first")
        check(!vocabulary.randomIDs.isEmpty, "MaskingPolicy: no ordinary tokens to draw random replacements from")
        return vocabulary.randomIDs[rng.nextInt(below: vocabulary.randomIDs.count)]
    }
}
