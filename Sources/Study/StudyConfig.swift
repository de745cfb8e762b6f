import Foundation
import Models
import ReMask
import Yams
import Core

/// A study's settings, read from a YAML or JSON file (see `docs/study.md`): the chain benchmark, the base
/// model (stage 0) and its gate, the arms, the data regimes, the dose-response arms, the seeds, and the
/// training settings in layers — `train` for every run, then a regime's, then an arm's (each a
/// `TrainingSettings` overlay: `optimizer: {epochs: 6}`), and `base` for stage 0.
public struct StudyConfig: Equatable {
    /// Where the base model of every cell comes from.
    public enum ModelSource: Sendable, Equatable {
        /// A small Llama-style decoder trained from scratch once (stage 0), with a BPE tokenizer learned on
        /// the base-training problems; it must pass the gate before any cell runs.
        case scratch(ScratchModelSpec)
        /// A pretrained model (GGUF file or Hugging Face folder), fine-tuned directly.
        case pretrained(path: String)
    }

    /// One way of training: an objective and its own settings (`arm: {<name>: {objective: …, masking: …}}`).
    public struct Arm: Equatable {
        public var name: String
        public var objective: Objective
        /// The arm's training-settings overlay.
        var layer: Node

        public static func == (a: Arm, b: Arm) -> Bool { a.name == b.name }
    }

    /// A data regime: the first `problems` of the fine-tuning pool, and its own training settings
    /// (`regime: {<name>: {problems: 250, optimizer: {epochs: 6}}}`).
    public struct Regime: Equatable {
        public var name: String
        public var problems: Int
        /// The regime's training-settings overlay.
        var layer: Node

        public static func == (a: Regime, b: Regime) -> Bool { a.name == b.name }
    }

    public var name: String
    public var model: ModelSource
    public var benchmark: ChainBenchmarkSpec
    /// Stage 0: the base model's training-settings overlay (objective sft on the base pool) and its gate.
    var baseLayer: Node
    public var gate: Gate
    public var arms: [Arm]
    public var regimes: [Regime]
    /// Dose-response: these arms again in `doseRegime` at each of `doseRates` (`--mask-rate`).
    public var doseRegime: String?
    public var doseArms: [String]
    public var doseRates: [Double]
    /// The seeds: each seeds one fine-tuning run per cell (data order, masks) — the same data order for every
    /// arm with that seed.
    public var seeds: [UInt64]
    /// The pre-registered primary comparison: this arm against SFT in this regime, on exact match.
    public var primaryArm: String
    public var primaryRegime: String
    /// The training-settings overlay of every fine-tuning run.
    var trainLayer: Node
    /// The file, for errors in settings that only show when the layers combine.
    let document: ConfigDocument
    public var evalBatchSize: Int
    public var maxNewTokens: Int
    /// Every setting as `key=value` lines in file order: two studies with the same settings are the same study.
    public var fingerprint: [String]

    public static func == (a: StudyConfig, b: StudyConfig) -> Bool { a.fingerprint == b.fingerprint }

    /// Training settings the study sets itself, per run (the objective too, except in an arm).
    public static let reservedSettings: [[String]] = [["data", "train"], ["data", "val"], ["run", "out"], ["run", "seed"], ["run", "model"],
                                                      ["run", "resume"], ["run", "threads"]]

    /// Reads the study config at `path`.
    public init(path: String) throws {
        try self.init(ConfigDocument(path: path, shorthands: TrainingSettings.shorthands))
    }

    /// Parses a study config (read with `TrainingSettings.shorthands`).
    public init(_ file: ConfigDocument) throws {
        document = file
        var reader = Reader(file: file)
        name = try reader.string("name") ?? URL(fileURLWithPath: file.path).deletingPathExtension().lastPathComponent
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), !name.hasPrefix(".") else {
            throw reader.error("name", "must be letters, digits, '-', '_' or '.' (it names the folder studies/<name>), got '\(name)'")
        }
        let modelValue = try reader.string("model") ?? "scratch"
        let scratch = try ScratchModelSpec(
            hidden: reader.int("scratch-hidden", in: 8...4096) ?? 128, layers: reader.int("scratch-layers", in: 1...64) ?? 4,
            heads: reader.int("scratch-heads", in: 1...64) ?? 4, kvHeads: reader.int("scratch-kv-heads", in: 1...64) ?? 4,
            intermediate: reader.int("scratch-intermediate", in: 8...16384) ?? 384, merges: reader.int("scratch-merges", in: 0...20000) ?? 400)
        if modelValue == "scratch" {
            if let (key, reason) = scratch.problem {
                // Blame the setting at fault where the file gives it, else the geometry setting it does give.
                let given = ([key] + ["scratch-hidden", "scratch-heads", "scratch-kv-heads"]).first { file.node(at: [$0]) != nil } ?? key
                throw reader.error(given, reason)
            }
            model = .scratch(scratch)
        } else {
            let keys = file.root.mapping?.keys.compactMap(\.string) ?? []
            if let key = keys.first(where: { $0.hasPrefix("scratch-") || $0 == "base" || $0.hasPrefix("gate-") }) {
                throw file.error(at: [key], "'\(key)' only applies to model: scratch")
            }
            model = .pretrained(path: modelValue == "default" ? LanguageModel.defaultPath : modelValue)
        }

        let steps = try reader.range("problem-steps") ?? 2...6
        let baseSteps = try reader.range("base-steps") ?? 1...4
        benchmark = try ChainBenchmarkSpec(
            seed: reader.seed("benchmark-seed") ?? 1, test: reader.int("test-problems", in: 1...100_000) ?? 2000,
            validation: reader.int("validation-problems", in: 1...100_000) ?? 200,
            train: reader.int("train-problems", in: 1...1_000_000) ?? 2000, steps: steps,
            base: reader.int("base-problems", in: 0...5_000_000) ?? 20000,
            baseValidation: reader.int("base-validation-problems", in: 1...100_000) ?? 500, baseSteps: baseSteps,
            choices: reader.int("choices", in: 2...4) ?? 4)
        // Every split holds distinct problems: a step range with fewer than asked for could never be drawn.
        let drawn = benchmark.test + benchmark.validation + benchmark.train
        if Double(drawn) > ChainProblemGenerator.distinctProblems(steps: steps) {
            throw reader.error("problem-steps", "\(steps.lowerBound)...\(steps.upperBound) allows only \(Int(ChainProblemGenerator.distinctProblems(steps: steps))) "
                               + "distinct problems, fewer than the \(drawn) test, validation and train-problems; widen it or ask for fewer")
        }
        let shared = steps.overlaps(baseSteps) ? drawn : 0
        if Double(benchmark.base + benchmark.baseValidation + shared) > ChainProblemGenerator.distinctProblems(steps: baseSteps) {
            throw reader.error("base-steps", "\(baseSteps.lowerBound)...\(baseSteps.upperBound) allows only \(Int(ChainProblemGenerator.distinctProblems(steps: baseSteps))) "
                               + "distinct problems, fewer than base-problems (\(benchmark.base)), base-validation-problems and the other splits' \(shared) of those lengths; widen it or ask for fewer")
        }
        gate = try Gate(lookup: reader.fraction("gate-lookup") ?? 0.9, arithmetic: reader.fraction("gate-arithmetic") ?? 0.7)
        if case .scratch = model, benchmark.base == 0 { throw reader.error("base-problems", "must be at least 1 for a scratch model") }

        let seedTexts = try reader.strings("seeds") ?? (1...7).map(String.init)
        var seeds: [UInt64] = []
        for text in seedTexts {
            guard let seed = UInt64(text) else { throw reader.error("seeds", "'\(text)' is not a non-negative integer") }
            guard !seeds.contains(seed) else { throw reader.error("seeds", "seed \(seed) is listed twice") }
            seeds.append(seed)
        }
        guard seeds.count >= 2 else { throw reader.error("seeds", "needs at least 2 seeds for a spread (the protocol uses 7)") }
        self.seeds = seeds
        evalBatchSize = try reader.int("eval-batch-size", in: 1...4096) ?? 64
        maxNewTokens = try reader.int("max-new-tokens", in: 1...100_000) ?? 256

        // Training-settings layers: train, base, arm.<name>, regime.<name>.
        trainLayer = try reader.layer(["train"], objective: false)
        baseLayer = try reader.layer(["base"], objective: false)
        let armLayers = try reader.table("arm"), regimeLayers = try reader.table("regime")

        let armNames = try reader.strings("arms") ?? Objective.allCases.map(\.rawValue)
        var arms: [Arm] = []
        for name in armNames {
            guard !arms.contains(where: { $0.name == name }) else { throw reader.error("arms", "'\(name)' is listed twice") }
            guard !name.isEmpty, !name.contains("/"), !name.contains("@"), !name.contains("."), !name.hasPrefix(".") else {
                throw reader.error("arms", "'\(name)' cannot name a folder (no '/', '@' or '.')")
            }
            let layer = try armLayers[name].map { try reader.layer(["arm", name], node: $0, objective: true) } ?? .mapping(Node.Mapping([]))
            let objectiveName = layer.mapping?["objective"]?.mapping?["name"]?.string ?? name
            guard let objective = Objective(rawValue: objectiveName) else {
                throw file.error(at: armLayers[name] == nil ? ["arms"] : ["arm", name, "objective"],
                                 "arm '\(name)': unknown objective '\(objectiveName)' (sft, masked-thought, remask; set arm.\(name).objective)")
            }
            arms.append(Arm(name: name, objective: objective, layer: layer))
        }
        guard arms.first?.objective == .sft else {
            throw reader.error("arms", "must start with an sft arm, the baseline the paired differences are taken against")
        }
        guard arms.count >= 2 else { throw reader.error("arms", "needs an arm to compare with the sft baseline") }
        try Self.checkListed(file, armLayers, prefix: "arm", listed: armNames, listKey: "arms")
        self.arms = arms

        let regimeNames = try reader.strings("regimes") ?? ["all"]
        var regimes: [Regime] = []
        for name in regimeNames {
            guard !regimes.contains(where: { $0.name == name }) else { throw reader.error("regimes", "'\(name)' is listed twice") }
            guard !name.isEmpty, !name.contains("/"), !name.contains("."), !name.hasPrefix(".") else {
                throw reader.error("regimes", "'\(name)' cannot name a folder (no '/' or '.')")
            }
            var problems = benchmark.train
            var layer = regimeLayers[name] ?? .mapping(Node.Mapping([]))
            if let value = layer.mapping?["problems"] {
                guard let n = value.string.flatMap({ Int($0) }), (1...benchmark.train).contains(n) else {
                    throw file.error(at: ["regime", name, "problems"],
                                     "'regime.\(name).problems' must be an integer in 1...\(benchmark.train) (train-problems), got '\(value.string ?? "a list")'")
                }
                problems = n
                layer.mapping?["problems"] = nil
            }
            layer = try reader.layer(["regime", name], node: layer, objective: false)
            regimes.append(Regime(name: name, problems: problems, layer: layer))
        }
        try Self.checkListed(file, regimeLayers, prefix: "regime", listed: regimeNames, listKey: "regimes")
        self.regimes = regimes

        doseRegime = try reader.string("dose-regime")
        doseArms = try reader.strings("dose-arms") ?? []
        var doseRates: [Double] = []
        for text in try reader.strings("dose-rates") ?? [] {
            guard let rate = Double(text), rate > 0, rate <= 1 else { throw reader.error("dose-rates", "'\(text)' is not a rate in (0, 1]") }
            // Two equal rates would name the same cell folder (and count its result twice).
            guard !doseRates.contains(rate) else { throw reader.error("dose-rates", "rate \(rate) is listed twice") }
            doseRates.append(rate)
        }
        self.doseRates = doseRates
        if doseRegime != nil || !doseArms.isEmpty || !doseRates.isEmpty {
            guard let doseRegime else {
                throw reader.error(doseArms.isEmpty ? "dose-rates" : "dose-arms", "needs dose-regime, one of the regimes (\(regimeNames.joined(separator: ", ")))")
            }
            guard regimes.contains(where: { $0.name == doseRegime }) else {
                throw reader.error("dose-regime", "must name one of the regimes (\(regimeNames.joined(separator: ", ")))")
            }
            guard !doseArms.isEmpty, !doseRates.isEmpty else { throw reader.error("dose-regime", "needs dose-arms and dose-rates") }
            for (i, arm) in doseArms.enumerated() {
                guard !doseArms[..<i].contains(arm) else { throw reader.error("dose-arms", "'\(arm)' is listed twice") }
                guard let a = arms.first(where: { $0.name == arm }), a.objective != .sft else {
                    throw reader.error("dose-arms", "'\(arm)' must be one of the masking arms")
                }
            }
        }
        let primaryArm = try reader.string("primary-arm") ?? (arms.contains { $0.name == "remask" } ? "remask" : arms.last!.name)
        guard arms.dropFirst().contains(where: { $0.name == primaryArm }) else {
            throw reader.error("primary-arm", "must name one of the arms after the sft baseline, got '\(primaryArm)'")
        }
        let primaryRegime = try reader.string("primary-regime") ?? regimes[0].name
        guard regimes.contains(where: { $0.name == primaryRegime }) else {
            throw reader.error("primary-regime", "must name one of the regimes, got '\(primaryRegime)'")
        }
        self.primaryArm = primaryArm
        self.primaryRegime = primaryRegime
        try reader.finish()
        fingerprint = file.flattened()
    }

    /// Throws for the first `<prefix>.<name>` whose name `listKey` does not list, at its line.
    private static func checkListed(_ file: ConfigDocument, _ table: [String: Node], prefix: String, listed: [String], listKey: String) throws {
        for name in table.keys.sorted() where !listed.contains(name) {
            throw file.error(at: [prefix, name], "'\(prefix).\(name)': \(listKey) does not list '\(name)'")
        }
    }

    /// The training settings of a fine-tuning cell: the recipe's defaults, then `train`, the regime's, the arm's
    /// and a dose rate, then the study's own per-run settings; validated.
    public func settings(for cell: CellSpec, data: String, validation: String, out: String, model: String) throws -> TrainingSettings {
        var layers = [trainLayer, cell.regime.layer, cell.arm.layer]
        if let rate = cell.rate {
            layers.append(.mapping(Node.Mapping([(Node("masking"), .mapping(Node.Mapping([(Node("rate"), Node(String(rate)))])))])))
        }
        var s = try document.decode(TrainingSettings.self, from: ConfigDocument.merge(layers))
        s.objective.name = cell.arm.objective
        s.run.seed = cell.seed
        return try perRun(s, data: data, validation: validation, out: out, model: model, layers: layers, what: "\(cell.regime.name) \(cell.armLabel)")
    }

    /// Stage 0's training settings (objective sft on the base problems).
    public func baseSettings(data: String, validation: String, out: String, model: String, seed: UInt64) throws -> TrainingSettings {
        var s = try document.decode(TrainingSettings.self, from: baseLayer)
        s.objective.name = .sft
        s.run.seed = seed
        return try perRun(s, data: data, validation: validation, out: out, model: model, layers: [baseLayer], what: "stage 0")
    }

    private func perRun(_ settings: TrainingSettings, data: String, validation: String, out: String, model: String, layers: [Node],
                        what: String) throws -> TrainingSettings {
        var s = settings
        s.data.train = data
        s.data.val = validation
        s.run.out = out
        s.run.model = model
        do {
            try s.validate()
        } catch {
            // Blame the line of the layer that set the setting last, where one did.
            let keys = error.key.split(separator: ".").map(String.init)
            let layer = layers.last { document.node(at: keys, in: $0) != nil }
            let line = layer.flatMap { document.line(of: keys, in: $0) }
            throw FileError(path: document.path, line: line, "\(what): \(error)")
        }
        return s
    }

    /// Every fine-tuning cell: the dose-response regime's arms × seeds and then its dose cells (arms × rates ×
    /// seeds) first, then the other regimes' arms × seeds, so that the primary comparison finishes first. List
    /// only the rates beside an arm's own: the arm's cells are its own dose.
    public var cells: [CellSpec] {
        let ordered = regimes.filter { $0.name == doseRegime } + regimes.filter { $0.name != doseRegime }
        var cells: [CellSpec] = []
        for regime in ordered {
            for seed in seeds {
                for arm in arms { cells.append(CellSpec(regime: regime, arm: arm, rate: nil, seed: seed)) }
            }
            guard regime.name == doseRegime else { continue }
            for seed in seeds {
                for armName in doseArms {
                    let arm = arms.first { $0.name == armName }!
                    for rate in doseRates { cells.append(CellSpec(regime: regime, arm: arm, rate: rate, seed: seed)) }
                }
            }
        }
        return cells
    }

    /// Typed reads of top-level settings, remembering which were read so that the rest can be reported.
    private struct Reader {
        let file: ConfigDocument
        var used: Set<String> = []

        mutating func value(_ key: String) -> Node? {
            used.insert(key)
            return file.node(at: [key])
        }

        func error(_ key: String, _ reason: String) -> FileError {
            file.error(at: [key], "'\(key)' \(reason)")
        }

        mutating func string(_ key: String) throws -> String? {
            guard let v = value(key) else { return nil }
            guard let text = v.scalar?.string else { throw error(key, "must be a single value") }
            return text
        }

        mutating func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let text = try string(key) else { return nil }
            guard let i = Int(text) else { throw error(key, "must be an integer, got '\(text)'") }
            guard range.contains(i) else { throw error(key, "must be in \(range.lowerBound)...\(range.upperBound), got \(i)") }
            return i
        }

        mutating func fraction(_ key: String) throws -> Double? {
            guard let text = try string(key) else { return nil }
            guard let x = Double(text), (0...1).contains(x) else { throw error(key, "must be a number in [0, 1], got '\(text)'") }
            return x
        }

        mutating func seed(_ key: String) throws -> UInt64? {
            guard let text = try string(key) else { return nil }
            guard let i = UInt64(text) else { throw error(key, "must be a non-negative integer, got '\(text)'") }
            return i
        }

        mutating func strings(_ key: String) throws -> [String]? {
            guard let v = value(key) else { return nil }
            if let text = v.scalar?.string { return [text] }
            guard let items = v.sequence?.map({ $0.scalar?.string }), !items.contains(nil) else {
                throw error(key, "must be a list of values")
            }
            return items.compactMap { $0 }
        }

        /// `[lowest, highest]` steps within 1…25.
        mutating func range(_ key: String) throws -> ClosedRange<Int>? {
            guard let items = try strings(key) else { return nil }
            let values = items.compactMap { Int($0) }
            guard values.count == 2, items.count == 2, values[0] >= 1, values[0] <= values[1], values[1] <= 25 else {
                throw error(key, "must be [lowest, highest] within 1...25, got \(items)")
            }
            return values[0]...values[1]
        }

        /// The mapping under `key` as name → node (`arm: {mt-cot: {…}}`); empty without one.
        mutating func table(_ key: String) throws -> [String: Node] {
            guard let v = value(key) else { return [:] }
            guard let mapping = v.mapping else { throw error(key, "must be a mapping of names to settings") }
            var table: [String: Node] = [:]
            for (name, node) in mapping {
                guard let name = name.string, node.mapping != nil else { throw error(key, "must map each name to its settings") }
                table[name] = node
            }
            return table
        }

        /// The training-settings overlay at `keys` (or `node`), checked by decoding it alone, and refused where it sets what the study sets per run.
        mutating func layer(_ keys: [String], node: Node? = nil, objective: Bool) throws -> Node {
            if keys.count == 1 { used.insert(keys[0]) }
            guard let found = node ?? file.node(at: keys) else { return .mapping(Node.Mapping([])) }
            guard found.mapping != nil else { throw file.error(at: keys, "'\(keys.joined(separator: "."))' must be a mapping of training settings") }
            let layer = found
            let reserved = StudyConfig.reservedSettings + (objective ? [] : [["objective", "name"]])
            if let path = reserved.first(where: { file.node(at: $0, in: layer) != nil }) {
                let name = (keys + path).joined(separator: ".")
                throw FileError(path: file.path, line: file.line(of: path, in: layer),
                                      "'\(name)' is set by the study for each run" + (path == ["objective", "name"] ? " (set an arm's objective under arm.<name>)" : ""))
            }
            _ = try file.decode(TrainingSettings.self, from: layer, prefix: keys)
            return layer
        }

        /// Throws for the first setting nothing read: every known setting has been read by the time this runs.
        func finish() throws {
            let keys = file.root.mapping?.keys.compactMap(\.string) ?? []
            guard let unknown = keys.first(where: { !used.contains($0) }) else { return }
            throw file.error(at: [unknown], "unknown setting '\(unknown)' (see docs/study.md for the study's settings)")
        }
    }
}

/// The base model's gate: teacher-forced per-step accuracies on held-out base problems it must reach.
public struct Gate: Sendable, Equatable {
    /// Share of steps whose looked-up value is predicted right.
    public var lookup: Double
    /// Share of steps whose computed value is predicted right.
    public var arithmetic: Double
}

/// One fine-tuning cell of the grid.
public struct CellSpec {
    public var regime: StudyConfig.Regime
    public var arm: StudyConfig.Arm
    /// A dose-response mask rate (nil: the arm's own settings).
    public var rate: Double?
    public var seed: UInt64

    /// The arm's name as the report shows it: `remask`, or `remask@0.2` for a dose cell.
    public var armLabel: String { rate.map { "\(arm.name)@\($0)" } ?? arm.name }
    /// `runs/<regime>/<arm>[@rate]/seed-N`.
    public var path: String { "runs/\(regime.name)/\(armLabel)/seed-\(seed)" }
}

/// The chain benchmark a study generates.
public struct ChainBenchmarkSpec: Sendable, Equatable {
    public var seed: UInt64
    public var test: Int
    public var validation: Int
    /// The fine-tuning pool; a regime takes its first problems.
    public var train: Int
    public var steps: ClosedRange<Int>
    /// Problems for the base model (stage 0), drawn from a second stream with `baseSteps`.
    public var base: Int
    /// Held-out base problems (drawn first from that stream): the base model's validation and gate.
    public var baseValidation: Int
    public var baseSteps: ClosedRange<Int>
    public var choices: Int
}

/// The geometry of a from-scratch decoder and the size of its learned vocabulary.
public struct ScratchModelSpec: Sendable, Equatable {
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var intermediate: Int
    /// BPE merges learned on the base problems (the vocabulary is the 256 bytes, the merges and the tags).
    public var merges: Int

    /// What is wrong with the geometry, and the setting to blame.
    var problem: (key: String, reason: String)? {
        if hidden % heads != 0 { return ("scratch-heads", "scratch-hidden \(hidden) is not divisible by scratch-heads \(heads)") }
        if heads % kvHeads != 0 { return ("scratch-kv-heads", "scratch-heads \(heads) is not divisible by scratch-kv-heads \(kvHeads)") }
        if (hidden / heads) % 2 != 0 {
            return ("scratch-heads", "gives an odd head size \(hidden / heads) (scratch-hidden / scratch-heads); rotary embeddings need an even one")
        }
        return nil
    }
}
