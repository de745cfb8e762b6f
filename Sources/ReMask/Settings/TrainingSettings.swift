import Foundation
import NN
import Yams

/// Everything a training run reads, in one Codable value grouped as a config file writes it: `data`,
/// `objective`, `masking`, `optimizer`, `lora`, `run`. `remask train` fills it from a config file and then its
/// flags; `remask study` from its config's layers. `validate()` is the one place settings are checked.
///
/// The defaults are the ReMask recipe: ReMask-CoT masking (40% of response inputs, 10% of rationale labels,
/// 10% answer-only examples), w = 0.1 with symmetric KL, Lilith at 1e-5 under One Cycle cosine, micro-batches
/// of 16 accumulated to 256, 6 epochs, sequences of 256 tokens, no gradient clipping.
public struct TrainingSettings: Codable, Sendable, Equatable {
    public var data = DataSettings()
    public var objective = ObjectiveSettings()
    /// The masking settings given; `maskingPolicy()` resolves them for the objective.
    public var masking = MaskingSettings()
    public var optimizer = OptimizerSettings()
    public var lora = LoRASettings()
    public var run = RunSettings()

    public init() {}

    /// A run of `objective` on `data` into `out`, with the recipe's other settings.
    public init(data: String, out: String, objective: Objective = .remask) {
        self.data.train = data
        self.run.out = out
        self.objective.name = objective
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case data, objective, masking, optimizer, lora, run }

    /// Groups a config file may give as one name: `objective: sft` means `objective: {name: sft}`.
    public static let shorthands = ["objective": "name", "optimizer": "name", "masking": "preset"]

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&data, .data)
        try c.fill(&objective, .objective)
        try c.fill(&masking, .masking)
        try c.fill(&optimizer, .optimizer)
        try c.fill(&lora, .lora)
        try c.fill(&run, .run)
    }

    /// Throws for the first setting out of its range or in conflict with another.
    public func validate() throws(SettingsError) {
        try data.validate()
        try objective.validate()
        try optimizer.validate()
        try lora.validate()
        try run.validate()
        let policy = try maskingPolicy()
        func unit(_ value: Float, _ flag: String, _ key: String) throws(SettingsError) {
            if !(0...1).contains(value) { throw SettingsError(flag: flag, key: "masking." + key, "must be in [0, 1], got \(value)") }
        }
        try unit(policy.rate, "mask-rate", "rate")
        try unit(policy.rationaleLabelDrop, "label-mask-rate", "label-mask-rate")
        try unit(policy.answerOnly, "answer-only-rate", "answer-only-rate")
        try unit(policy.rampFraction, "mask-ramp", "ramp")
        if case .mix(let f) = policy.replacement { try unit(f, "mask-mix", "mix") }
    }

    /// The masking policy the run uses (and its checkpoints record): the objective's defaults with every
    /// masking setting given applied.
    public func maskingPolicy() throws(SettingsError) -> MaskingPolicy {
        do {
            return try masking.policy(for: objective.name)
        } catch {
            throw SettingsError(flag: "masking", key: "masking", error.description)
        }
    }

    /// The settings as a config file (`remask train --config` reads it back to the same settings).
    public func yaml() throws -> String {
        // Through JSON, whose encoder writes each Float as its shortest decimal (0.1, not 1.00000001490116e-1);
        // keys sorted, values in YAML's plain style wherever that reads back the same.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let node = try Yams.compose(yaml: String(decoding: try encoder.encode(self), as: UTF8.self)) else { return "" }
        func plain(_ node: Node) -> Node {
            switch node {
            case .scalar(let s): .scalar(Node.Scalar(s.string, s.tag, .any))
            case .mapping(let m): .mapping(Node.Mapping(m.map { (plain($0.key), plain($0.value)) }))
            case .sequence(let q): .sequence(Node.Sequence(q.map(plain)))
            case .alias: node
            }
        }
        return "# remask train settings (docs/config.md)\n" + (try Yams.serialize(node: plain(node)))
    }

    /// The adapters' configuration, or nil for full fine-tuning.
    public var loraConfig: LoRAConfig? { lora.config(seed: run.seed) }

    /// Global gradient-norm clipping (0 or unset: none).
    public var clipNorm: Float? { optimizer.clipNorm.flatMap { $0 == 0 ? nil : $0 } }

    /// The settings that decide the numbers a run produces, recorded in every checkpoint so that `--resume`
    /// refuses to continue a run under different ones: the settings' JSON with the run group reduced to its
    /// seed, flattened to `group.key` paths (so a difference names its setting).
    public var fingerprint: [String: String] {
        var numeric = self
        numeric.run = RunSettings()
        numeric.run.seed = run.seed
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let data = try? encoder.encode(numeric), let object = try? JSONSerialization.jsonObject(with: data) else { return [:] }
        var paths: [String: String] = [:]
        func flatten(_ value: Any, _ path: String) {
            if let object = value as? [String: Any] {
                for (key, inner) in object { flatten(inner, path.isEmpty ? key : path + "." + key) }
            } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                paths[path] = String(decoding: data, as: UTF8.self)
            }
        }
        flatten(object, "")
        // The precision a run resolves to is recorded by the trainer (`auto` depends on the machine).
        paths["run.precision"] = nil
        return paths
    }
}
