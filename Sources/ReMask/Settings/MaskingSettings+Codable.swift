/// `masking:` in a config file (`masking: remask-cot` is short for `masking: {preset: remask-cot}`); flags
/// `--masking`, `--mask-rate`, `--mask-count`, `--mask-replacement`, `--mask-mix`, `--mask-ramp`,
/// `--protect-answer`, `--label-mask-rate`, `--answer-only-rate`, `--cot-rules`.
extension MaskingSettings: Codable {
    /// `count:` and `replacement:` by name.
    public enum CountName: String, SettingChoice {
        case perToken = "per-token", binomial
        public var count: MaskingPolicy.Count { self == .perToken ? .perToken : .binomial }
    }
    public enum ReplacementName: String, SettingChoice {
        case mask, random, mix
        /// A mix replaces half by `[mask]` unless `mix` says otherwise.
        public var replacement: MaskingPolicy.Replacement {
            switch self {
            case .mask: .maskToken
            case .random: .randomToken
            case .mix: .mix(maskFraction: 0.5)
            }
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case preset, cotRules = "cot-rules", rate, count, replacement, mix, ramp, protectAnswer = "protect-answer"
        case labelMaskRate = "label-mask-rate", answerOnlyRate = "answer-only-rate"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        try c.fill(&preset, .preset)
        try c.fill(&cotRules, .cotRules)
        try c.fill(&rate, .rate)
        count = try c.decodeIfPresent(CountName.self, forKey: .count)?.count
        replacement = try c.decodeIfPresent(ReplacementName.self, forKey: .replacement)?.replacement
        try c.fill(&mixFraction, .mix)
        try c.fill(&rampFraction, .ramp)
        try c.fill(&protectAnswer, .protectAnswer)
        try c.fill(&rationaleLabelDrop, .labelMaskRate)
        try c.fill(&answerOnly, .answerOnlyRate)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(preset, forKey: .preset)
        try c.encodeIfPresent(cotRules, forKey: .cotRules)
        try c.encodeIfPresent(rate, forKey: .rate)
        try c.encodeIfPresent(count.map { $0 == .perToken ? CountName.perToken : .binomial }, forKey: .count)
        let name: ReplacementName? = switch replacement {
        case .maskToken: .mask
        case .randomToken: .random
        case .mix: .mix
        case nil: nil
        }
        try c.encodeIfPresent(name, forKey: .replacement)
        try c.encodeIfPresent(mixFraction, forKey: .mix)
        try c.encodeIfPresent(rampFraction, forKey: .ramp)
        try c.encodeIfPresent(protectAnswer, forKey: .protectAnswer)
        try c.encodeIfPresent(rationaleLabelDrop, forKey: .labelMaskRate)
        try c.encodeIfPresent(answerOnly, forKey: .answerOnlyRate)
    }
}

extension MaskingSettings.Preset: SettingChoice {}
