/// The masking settings a run was given (nil: not given), resolved into a `MaskingPolicy` for an objective.
///
/// The objective picks the defaults (`MaskingPolicy.default(for:)`): SFT masks nothing and drops no labels;
/// Masked Thought is Chen et al.'s (Binomial count, random replacements, 2/3 ramp, answers maskable, no label
/// rules); ReMask is ReMask-CoT (per-token, `[mask]`, no ramp, answers protected, 10% of rationale labels
/// dropped, 10% of examples answer-only). Every setting given overrides, for any objective, in this order:
/// `preset` replaces all the defaults, `cotRules` sets answer protection and both label rules, then each
/// single setting. SFT masks no inputs, so an input-masking setting (rate above 0, count, replacement, mix,
/// ramp, answer protection, or a preset that masks inputs) is an error with it; the label rules work for every
/// objective.
public struct MaskingSettings: Sendable, Equatable {
    /// A named set of masking defaults (`--masking`).
    public enum Preset: String, Sendable, CaseIterable {
        /// Nothing masked, no label rules (SFT's defaults).
        case none
        /// Chen et al.'s Masked Thought (the objective's defaults).
        case maskedThought = "masked-thought"
        /// ReMask without the CoT rules: 40% per-token `[mask]`, answers maskable, no label rules.
        case remask
        /// ReMask-CoT (the remask objective's defaults).
        case remaskCoT = "remask-cot"

        public var policy: MaskingPolicy {
            switch self {
            case .none: .sft
            case .maskedThought: .maskedThought
            case .remask: .remask
            case .remaskCoT: .remaskCoT
            }
        }
    }

    public var preset: Preset?
    /// ReMask-CoT's rules: on, answers protected and 10% / 10% label rules; off, none of them.
    public var cotRules: Bool?
    public var rate: Float?
    public var count: MaskingPolicy.Count?
    public var replacement: MaskingPolicy.Replacement?
    /// With `.mix` replacements: the share replaced by `[mask]`.
    public var mixFraction: Float?
    public var rampFraction: Float?
    public var protectAnswer: Bool?
    public var rationaleLabelDrop: Float?
    public var answerOnly: Float?

    public init(preset: Preset? = nil, cotRules: Bool? = nil, rate: Float? = nil, count: MaskingPolicy.Count? = nil,
                replacement: MaskingPolicy.Replacement? = nil, mixFraction: Float? = nil, rampFraction: Float? = nil,
                protectAnswer: Bool? = nil, rationaleLabelDrop: Float? = nil, answerOnly: Float? = nil) {
        self.preset = preset
        self.cotRules = cotRules
        self.rate = rate
        self.count = count
        self.replacement = replacement
        self.mixFraction = mixFraction
        self.rampFraction = rampFraction
        self.protectAnswer = protectAnswer
        self.rationaleLabelDrop = rationaleLabelDrop
        self.answerOnly = answerOnly
    }

    /// ReMask-CoT's label rules: the share of rationale labels dropped and of examples supervised on the answer only.
    public static let cotLabelDrop: Float = 0.1, cotAnswerOnly: Float = 0.1

    /// Why settings cannot be resolved; `description` names the flags.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The policy for `objective`: its defaults with every given setting applied.
    public func policy(for objective: Objective) throws(Problem) -> MaskingPolicy {
        if objective == .sft {
            var given: [String] = []
            if let rate, rate != 0 { given.append("--mask-rate") }
            if count != nil { given.append("--mask-count") }
            if replacement != nil { given.append("--mask-replacement") }
            if mixFraction != nil { given.append("--mask-mix") }
            if rampFraction != nil { given.append("--mask-ramp") }
            if protectAnswer != nil { given.append("--protect-answer") }
            if let preset, preset.policy.rate > 0 { given.append("--masking \(preset.rawValue)") }
            if !given.isEmpty {
                throw Problem("sft masks no inputs, so \(given.joined(separator: ", ")) cannot apply; use --objective masked-thought "
                              + "or remask to mask inputs (the label rules --label-mask-rate, --answer-only-rate and --cot-rules work with sft)")
            }
        }
        var m = preset?.policy ?? .default(for: objective)
        if let cotRules {
            m.protectAnswer = cotRules
            m.rationaleLabelDrop = cotRules ? Self.cotLabelDrop : 0
            m.answerOnly = cotRules ? Self.cotAnswerOnly : 0
        }
        if let rate { m.rate = rate }
        if let count { m.count = count }
        if let replacement { m.replacement = replacement }
        if let mixFraction {
            guard case .mix = m.replacement else {
                throw Problem("--mask-mix applies only with --mask-replacement mix")
            }
            m.replacement = .mix(maskFraction: mixFraction)
        }
        if let rampFraction { m.rampFraction = rampFraction }
        if let protectAnswer { m.protectAnswer = protectAnswer }
        if let rationaleLabelDrop { m.rationaleLabelDrop = rationaleLabelDrop }
        if let answerOnly { m.answerOnly = answerOnly }
        if objective == .sft { m.protectAnswer = MaskingPolicy.sft.protectAnswer }  // no input masking to protect from
        return m
    }
}
