import Core

/// What a step optimises (`objective:` in a config file; `objective: sft` is short for `objective: {name: sft}`).
public struct ObjectiveSettings: Codable, Sendable, Equatable {
    public var name: Objective = .remask
    /// ReMask: w in `0.5·(CE_masked + CE_full) + w·D`.
    public var consistencyWeight: Float = 0.1
    public var divergence: Divergence = .klSymmetric
    /// ReMask: the full pass is a fixed teacher inside D.
    public var detachFull = false

    public init(_ name: Objective = .remask) { self.name = name }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, consistencyWeight = "consistency-weight", divergence, detachFull = "detach-full"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&name, .name)
        try c.fill(&consistencyWeight, .consistencyWeight)
        try c.fill(&divergence, .divergence)
        try c.fill(&detachFull, .detachFull)
    }

    /// The consistency term as the objective reads it.
    public var consistency: ConsistencySettings {
        ConsistencySettings(weight: consistencyWeight, divergence: divergence, detachFull: detachFull)
    }

    func validate() throws(SettingsError) {
        if !(consistencyWeight >= 0) || !consistencyWeight.isFinite {
            throw SettingsError(flag: "consistency-weight", key: "objective.consistency-weight", "must be zero or positive, got \(consistencyWeight)")
        }
    }
}

extension Objective: SettingChoice {}
extension Divergence: SettingChoice {}
