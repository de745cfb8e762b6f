import NN

/// LoRA adapters instead of full fine-tuning (`lora:` in a config file; flags `--lora-<key>`).
public struct LoRASettings: Codable, Sendable, Equatable {
    /// 0: full fine-tuning.
    public var rank = 0
    public var alpha: Float = 16
    public var dropout: Float = 0.05
    public var targets: [LoRATarget] = LoRATarget.allCases

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case rank, alpha, dropout, targets }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&rank, .rank)
        try c.fill(&alpha, .alpha)
        try c.fill(&dropout, .dropout)
        try c.fill(&targets, .targets)
    }

    /// The adapters' configuration (seeded by the run's seed), or nil for full fine-tuning.
    public func config(seed: UInt64) -> LoRAConfig? {
        rank > 0 ? LoRAConfig(rank: rank, alpha: alpha, dropout: dropout, targets: Set(targets), seed: seed) : nil
    }

    func validate() throws(SettingsError) {
        if rank < 0 { throw SettingsError(flag: "lora-rank", key: "lora.rank", "cannot be negative (0: full fine-tuning), got \(rank)") }
        guard rank > 0 else { return }
        if !(alpha > 0) || !alpha.isFinite { throw SettingsError(flag: "lora-alpha", key: "lora.alpha", "must be positive, got \(alpha)") }
        if !(dropout >= 0 && dropout < 1) { throw SettingsError(flag: "lora-dropout", key: "lora.dropout", "must be in [0, 1), got \(dropout)") }
        if targets.isEmpty { throw SettingsError(flag: "lora-targets", key: "lora.targets", "names no projection") }
    }
}

extension LoRATarget: SettingChoice {}
