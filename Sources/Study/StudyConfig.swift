import Foundation
import Models
import ReMask

/// A study's settings, read from a flat YAML or JSON file (see `docs/study.md`): the benchmark, the model,
/// the grid of objectives × seeds, the hyperparameters tried on validation, and the training flags.
public struct StudyConfig: Sendable, Equatable {
    /// Where the models of a study come from.
    public enum ModelSource: Sendable, Equatable {
        /// A small Llama-style decoder trained from scratch, with a BPE tokenizer learned on the training split.
        case scratch(ScratchModelSpec)
        /// A pretrained model (GGUF file or Hugging Face folder).
        case pretrained(path: String)
    }

    public var name: String
    public var model: ModelSource
    public var benchmark: BenchmarkSpec
    public var objectives: [Objective]
    /// The grid's seeds: each seeds the training run (data order, masks, LoRA, and a scratch model's weights).
    public var seeds: [UInt64]
    /// The seed of the hyperparameter search's runs (kept apart from `seeds`).
    public var tuningSeed: UInt64
    /// Validation problems the search scores (the first of the split).
    public var tuningProblems: Int
    /// Test problems the grid scores (the first of the split): a smaller evaluation of the same benchmark.
    public var testProblems: Int
    /// Training flags and the values tried for each, in file order; every combination is tried per objective.
    public var tune: [(flag: String, values: [String])]
    /// Training flags for every run, then each objective's own (which win).
    public var train: [ConfigFile.Entry]
    public var perObjective: [Objective: [ConfigFile.Entry]]
    public var evalBatchSize: Int
    public var maxNewTokens: Int
    /// Every setting as `key=value` lines in file order: two studies with the same text are the same study.
    public var fingerprint: [String]

    public static func == (a: StudyConfig, b: StudyConfig) -> Bool { a.fingerprint == b.fingerprint }

    /// Training flags the study sets itself, per run.
    public static let reservedTrainFlags: Set<String> = ["data", "val", "out", "objective", "seed", "model", "resume", "config"]

    /// Parses `file`. `trainFlags` is the set of flags `remask train` accepts; settings under `train.`, `tune.`
    /// and `<objective>.` must be among them (less the reserved ones).
    public init(_ file: ConfigFile, trainFlags: Set<String>) throws {
        var reader = Reader(file: file)
        name = try reader.string("name") ?? URL(fileURLWithPath: file.path).deletingPathExtension().lastPathComponent
        let modelValue = try reader.string("model") ?? "scratch"
        let scratch = try ScratchModelSpec(
            hidden: reader.int("scratch-hidden", min: 8) ?? 128, layers: reader.int("scratch-layers", min: 1) ?? 4,
            heads: reader.int("scratch-heads", min: 1) ?? 4, kvHeads: reader.int("scratch-kv-heads", min: 1) ?? 4,
            intermediate: reader.int("scratch-intermediate", min: 8) ?? 384, merges: reader.int("scratch-merges", min: 0) ?? 800)
        if modelValue == "scratch" {
            if let problem = scratch.problem { throw reader.error("scratch-hidden", problem) }
            model = .scratch(scratch)
        } else {
            if let key = file.entries.first(where: { $0.key.hasPrefix("scratch-") }) {
                throw ConfigFileError(path: file.path, line: key.line, "'\(key.key)' only applies to model: scratch")
            }
            model = .pretrained(path: modelValue == "default" ? LanguageModel.defaultPath : modelValue)
        }

        let steps = try reader.ints("problem-steps") ?? [2, 6]
        guard steps.count == 2, steps[0] >= 1, steps[0] <= steps[1], steps[1] <= 6 else {
            throw reader.error("problem-steps", "must be [lowest, highest] within 1...6, got \(steps)")
        }
        benchmark = try BenchmarkSpec(
            seed: reader.seed("benchmark-seed") ?? 1, train: reader.int("train-problems", min: 1) ?? 2000,
            validation: reader.int("validation-problems", min: 1) ?? 200, test: reader.int("test-problems", min: 1) ?? 200,
            steps: steps[0]...steps[1], choices: reader.int("choices", min: 2) ?? 4)
        guard benchmark.choices <= 4 else { throw reader.error("choices", "must be 2, 3 or 4, got \(benchmark.choices)") }

        let objectiveNames = try reader.strings("objectives") ?? Objective.allCases.map(\.rawValue)
        var objectives: [Objective] = []
        for name in objectiveNames {
            guard let objective = Objective(rawValue: name) else {
                throw reader.error("objectives", "unknown objective '\(name)' (sft, masked-thought, remask)")
            }
            guard !objectives.contains(objective) else { throw reader.error("objectives", "'\(name)' is listed twice") }
            objectives.append(objective)
        }
        guard objectives.first == .sft else {
            throw reader.error("objectives", "must start with sft, the baseline the paired differences are taken against")
        }
        self.objectives = objectives

        let seedTexts = try reader.strings("seeds") ?? ["1", "2", "3"]
        var seeds: [UInt64] = []
        for text in seedTexts {
            guard let seed = UInt64(text) else { throw reader.error("seeds", "'\(text)' is not a non-negative integer") }
            guard !seeds.contains(seed) else { throw reader.error("seeds", "seed \(seed) is listed twice") }
            seeds.append(seed)
        }
        guard seeds.count >= 2 else { throw reader.error("seeds", "needs at least 2 seeds for a spread (the protocol uses 3 or more)") }
        self.seeds = seeds
        tuningSeed = try reader.seed("tuning-seed") ?? 0
        guard !seeds.contains(tuningSeed) else {
            throw reader.error("tuning-seed", "must differ from the grid's seeds, so the search never sees a reported run")
        }
        tuningProblems = try reader.int("tuning-problems", min: 1) ?? benchmark.validation
        guard tuningProblems <= benchmark.validation else {
            throw reader.error("tuning-problems", "is \(tuningProblems) but the validation split has \(benchmark.validation)")
        }
        testProblems = try reader.int("test-limit", min: 1) ?? benchmark.test
        guard testProblems <= benchmark.test else {
            throw reader.error("test-limit", "is \(testProblems) but the test split has \(benchmark.test)")
        }
        evalBatchSize = try reader.int("eval-batch-size", min: 1) ?? 16
        maxNewTokens = try reader.int("max-new-tokens", min: 1) ?? 256

        let allowed = trainFlags.subtracting(Self.reservedTrainFlags)
        var tune: [(String, [String])] = [], train: [ConfigFile.Entry] = [], perObjective: [Objective: [ConfigFile.Entry]] = [:]
        for entry in file.entries where entry.key.contains(".") {
            let parts = entry.key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ConfigFileError(path: file.path, line: entry.line, "'\(entry.key)' has no flag after the '.'") }
            let (scope, flag) = (parts[0], parts[1])
            guard allowed.contains(flag) else {
                let why = Self.reservedTrainFlags.contains(flag) ? "is set by the study for each run" : "is not a flag of remask train"
                throw ConfigFileError(path: file.path, line: entry.line, "'\(entry.key)': '\(flag)' \(why)")
            }
            let local = Entry(key: flag, value: entry.value, line: entry.line)
            switch scope {
            case "train": train.append(local)
            case "tune":
                guard case .list(let values) = entry.value, !values.isEmpty else {
                    throw ConfigFileError(path: file.path, line: entry.line, "'\(entry.key)' must be a non-empty list of values to try")
                }
                tune.append((flag, values))
            default:
                guard let objective = Objective(rawValue: scope) else {
                    throw ConfigFileError(path: file.path, line: entry.line,
                                          "'\(entry.key)': '\(scope).' must be train., tune. or an objective (sft., masked-thought., remask.)")
                }
                perObjective[objective, default: []].append(local)
            }
            reader.used.insert(entry.key)
        }
        if let tuned = tune.first(where: { t in train.contains { $0.key == t.0 } || perObjective.values.contains { $0.contains { $0.key == t.0 } } }) {
            throw reader.error("tune.\(tuned.0)", "is also set under train. or an objective; a tuned flag takes only the tried values")
        }
        self.tune = tune
        self.train = train
        self.perObjective = perObjective
        try reader.finish()
        fingerprint = file.entries.map { "\($0.key)=\($0.value)" }
    }

    /// Every combination of the tuned values, in file order (the first flag varies slowest); one empty
    /// assignment when nothing is tuned.
    public var tuningGrid: [[ConfigFile.Entry]] {
        tune.reduce([[]]) { partial, t in
            partial.flatMap { prefix in t.values.map { prefix + [Entry(key: t.flag, value: .string($0), line: nil)] } }
        }
    }

    /// The `remask train` flags of a run of `objective` with `assignment` (one tuning combination), before the
    /// study's own per-run flags.
    public func trainFlags(_ objective: Objective, assignment: [ConfigFile.Entry]) -> [String] {
        ConfigArguments.flags(for: train + (perObjective[objective] ?? []) + assignment)
    }

    private typealias Entry = ConfigFile.Entry

    /// Typed reads of top-level settings, remembering which were read so that the rest can be reported.
    private struct Reader {
        let file: ConfigFile
        var used: Set<String> = []

        mutating func value(_ key: String) -> ConfigValue? {
            used.insert(key)
            return file[key]
        }

        func error(_ key: String, _ reason: String) -> ConfigFileError {
            ConfigFileError(path: file.path, line: file.entries.first { $0.key == key }?.line, "'\(key)' \(reason)")
        }

        mutating func string(_ key: String) throws -> String? {
            guard let v = value(key) else { return nil }
            if case .list = v { throw error(key, "must be a single value") }
            return v.description
        }

        mutating func int(_ key: String, min: Int) throws -> Int? {
            guard let v = value(key) else { return nil }
            guard case .int(let i) = v else { throw error(key, "must be an integer, got '\(v)'") }
            guard i >= min else { throw error(key, "must be at least \(min), got \(i)") }
            return i
        }

        mutating func seed(_ key: String) throws -> UInt64? {
            guard let v = value(key) else { return nil }
            guard case .int(let i) = v, i >= 0 else { throw error(key, "must be a non-negative integer, got '\(v)'") }
            return UInt64(i)
        }

        mutating func strings(_ key: String) throws -> [String]? {
            guard let v = value(key) else { return nil }
            switch v {
            case .list(let items): return items
            case .string, .int: return [v.description]
            default: throw error(key, "must be a list, got '\(v)'")
            }
        }

        mutating func ints(_ key: String) throws -> [Int]? {
            try strings(key).map { items in
                try items.map { text in
                    guard let i = Int(text) else { throw error(key, "'\(text)' is not an integer") }
                    return i
                }
            }
        }

        /// Throws for the first setting nothing read: every known setting has been read by the time this runs.
        func finish() throws {
            guard let unknown = file.entries.first(where: { !used.contains($0.key) }) else { return }
            throw ConfigFileError(path: file.path, line: unknown.line,
                                  "unknown setting '\(unknown.key)' (see docs/study.md for the study's settings)")
        }
    }
}

/// The synthetic benchmark a study generates.
public struct BenchmarkSpec: Sendable, Equatable {
    public var seed: UInt64
    public var train: Int
    public var validation: Int
    public var test: Int
    public var steps: ClosedRange<Int>
    /// Answers offered per multiple-choice question.
    public var choices: Int
}

/// The geometry of a from-scratch decoder and the size of its learned vocabulary.
public struct ScratchModelSpec: Sendable, Equatable {
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var intermediate: Int
    /// BPE merges learned on the training split (the vocabulary is the 256 bytes, the merges and the tags).
    public var merges: Int

    var problem: String? {
        if hidden % heads != 0 { return "\(hidden) is not divisible by scratch-heads \(heads)" }
        if heads % kvHeads != 0 { return "scratch-heads \(heads) is not divisible by scratch-kv-heads \(kvHeads)" }
        if (hidden / heads) % 2 != 0 { return "gives an odd head size \(hidden / heads); rotary embeddings need an even one" }
        return nil
    }
}
