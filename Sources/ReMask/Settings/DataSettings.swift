/// What a run trains and validates on (`data:` in a config file).
public struct DataSettings: Codable, Sendable, Equatable {
    public enum Format: String, SettingChoice {
        /// `<|user|>` / `<|assistant|>` / `<|rationale|>` / `<|answer|>` tags, added to the vocabulary.
        case seed
        /// The model's own chat template.
        case model
    }

    /// Training data (JSONL; `--data`).
    public var train = ""
    /// A held-out file; without one, `valSplit` of the training examples (0: no validation).
    public var val: String?
    public var valSplit: Double = 0
    /// Validation examples used at most (nil: all).
    public var valLimit: Int?
    public var format: Format = .seed
    /// Tokens per example; longer ones are truncated (and counted).
    public var maxLength = 256
    /// Pack several examples per row instead of padding length-bucketed batches.
    public var packing = false
    public var skipBadLines = false

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case train, val, valSplit = "val-split", valLimit = "val-limit", format, maxLength = "max-length", packing
        case skipBadLines = "skip-bad-lines"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&train, .train)
        try c.fill(&val, .val)
        try c.fill(&valSplit, .valSplit)
        try c.fill(&valLimit, .valLimit)
        try c.fill(&format, .format)
        try c.fill(&maxLength, .maxLength)
        try c.fill(&packing, .packing)
        try c.fill(&skipBadLines, .skipBadLines)
    }

    func validate() throws(SettingsError) {
        if train.isEmpty { throw SettingsError(flag: "data", key: "data.train", "is required: the training data (JSONL)") }
        if maxLength < 8 { throw SettingsError(flag: "max-length", key: "data.max-length", "must be at least 8, got \(maxLength)") }
        if let v = valLimit, v < 1 { throw SettingsError(flag: "val-limit", key: "data.val-limit", "must be at least 1, got \(v)") }
        if !(0..<1).contains(valSplit) { throw SettingsError(flag: "val-split", key: "data.val-split", "must be in [0, 1), got \(valSplit)") }
        if val != nil && valSplit > 0 { throw SettingsError(flag: "val-split", key: "data.val-split", "give either --val or --val-split, not both") }
    }
}
