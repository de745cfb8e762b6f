import Foundation
import ReMask

/// Exact match on the problems with one number of steps, across seeds.
public struct LengthSummary: Encodable, Equatable, Sendable {
    public var steps: Int
    public var n: Int
    public var exactMatch: SeedStatistics
}

/// One arm's results in one regime, across the seeds.
public struct ArmSummary: Encodable, Equatable, Sendable {
    public var regime: String
    public var arm: String
    public var objective: String
    public var maskRate: Double?
    public var seeds: [UInt64]
    public var exactMatch: SeedStatistics
    public var exactMatchBySteps: [LengthSummary]
    public var freeStepAccuracy: SeedStatistics
    public var teacherStepAccuracy: SeedStatistics
    /// Teacher-forced minus free-running step accuracy: how much worse the model does on its own prefixes.
    public var exposureGap: SeedStatistics
    public var teacherLookup: SeedStatistics
    public var teacherArithmetic: SeedStatistics
    public var teacherChain: SeedStatistics
    public var validationLoss: SeedStatistics?
    public var multipleChoiceAccNorm: SeedStatistics
    public var multipleChoiceAcc: SeedStatistics
    public var steps: Int
    public var trainingTokens: Int
    public var tokenPasses: Int
}

/// A paired comparison of one metric against the regime's SFT arm, seed by seed.
public struct Comparison: Encodable, Equatable, Sendable {
    public var regime: String
    public var metric: String
    /// The pre-registered primary comparison (not Holm-corrected); the other exact-match comparisons are
    /// secondary and Holm-corrected together; other metrics are exploratory (uncorrected).
    public var role: String
    public var result: PairedComparison
}

/// Mean wall-clock cost of an arm's cells (varies between machines and runs).
public struct ArmTiming: Codable, Equatable, Sendable {
    public var regime: String
    public var arm: String
    public var trainSeconds: Double
    public var evalSeconds: Double
    /// Training tokens per second of training time.
    public var tokensPerSecond: Double
}

/// A study's results: every cell, the per-arm statistics, the paired comparisons and the base model's gate.
public struct StudyResults: Sendable {
    public let name: String
    public let gate: GateResult?
    public let cells: [CellResult]
    public let summaries: [ArmSummary]
    public let comparisons: [Comparison]
    public let timings: [ArmTiming]
    /// Cells the config plans (more than `cells.count` in a report on a study still running).
    public let plannedCells: Int

    public init(config: StudyConfig, cells: [CellResult], gate: GateResult?) {
        name = config.name
        plannedCells = config.cells.count
        self.gate = gate
        self.cells = cells
        var summaries: [ArmSummary] = []
        var timings: [ArmTiming] = []
        var comparisons: [Comparison] = []
        for regime in config.regimes {
            let inRegime = cells.filter { $0.regime == regime.name }
            var labels: [String] = []
            for cell in inRegime where !labels.contains(cell.arm) { labels.append(cell.arm) }
            let baseline = inRegime.filter { $0.arm == config.arms[0].name }.sorted { $0.seed < $1.seed }
            for label in labels {
                let runs = inRegime.filter { $0.arm == label }.sorted { $0.seed < $1.seed }
                summaries.append(Self.summary(regime.name, runs))
                let n = Double(runs.count), train = runs.map(\.trainSeconds).reduce(0, +) / n
                timings.append(ArmTiming(regime: regime.name, arm: label, trainSeconds: train, evalSeconds: runs.map(\.evalSeconds).reduce(0, +) / n,
                                         tokensPerSecond: Double(runs.map(\.trainingTokens).reduce(0, +)) / n / max(train, 1e-9)))
                guard label != config.arms[0].name else { continue }
                let paired = runs.compactMap { run in baseline.first { $0.seed == run.seed }.map { (run, $0) } }
                guard !paired.isEmpty else { continue }
                let metrics: [(String, (CellResult) -> Double)] = [
                    ("exact_match", { $0.scores.exactMatch }),
                    ("exposure_gap", { $0.scores.teacherStepAccuracy - $0.scores.freeStepAccuracy }),
                    ("mc_acc_norm", \.multipleChoiceAccNorm),
                ]
                for (metric, value) in metrics {
                    let isPrimary = metric == "exact_match" && regime.name == config.primaryRegime && label == config.primaryArm
                    comparisons.append(Comparison(
                        regime: regime.name, metric: metric, role: isPrimary ? "primary" : metric == "exact_match" ? "secondary" : "exploratory",
                        result: PairedComparison(arm: label, baseline: config.arms[0].name, armValues: paired.map { value($0.0) },
                                                 baselineValues: paired.map { value($0.1) })))
                }
            }
        }
        // Holm over the secondary comparisons together.
        let secondary = comparisons.indices.filter { comparisons[$0].role == "secondary" }
        for (i, adjusted) in zip(secondary, PairedComparison.holmAdjusted(secondary.map { comparisons[$0].result })) {
            comparisons[i].result = adjusted
        }
        self.summaries = summaries
        self.timings = timings
        self.comparisons = comparisons
    }

    private static func summary(_ regime: String, _ runs: [CellResult]) -> ArmSummary {
        func stats(_ value: (CellResult) -> Double) -> SeedStatistics { SeedStatistics(runs.map(value)) }
        let lengths = runs[0].scores.exactMatchBySteps.map(\.steps)
        let bySteps = lengths.map { steps in
            LengthSummary(steps: steps, n: runs[0].scores.exactMatchBySteps.first { $0.steps == steps }!.n,
                          exactMatch: stats { run in run.scores.exactMatchBySteps.first { $0.steps == steps }?.accuracy ?? 0 })
        }
        let losses = runs.compactMap(\.validationLoss)
        return ArmSummary(
            regime: regime, arm: runs[0].arm, objective: runs[0].objective, maskRate: runs[0].maskRate, seeds: runs.map(\.seed),
            exactMatch: stats { $0.scores.exactMatch }, exactMatchBySteps: bySteps, freeStepAccuracy: stats { $0.scores.freeStepAccuracy },
            teacherStepAccuracy: stats { $0.scores.teacherStepAccuracy },
            exposureGap: stats { $0.scores.teacherStepAccuracy - $0.scores.freeStepAccuracy },
            teacherLookup: stats { $0.scores.teacherLookup }, teacherArithmetic: stats { $0.scores.teacherArithmetic },
            teacherChain: stats { $0.scores.teacherChain },
            validationLoss: losses.count == runs.count ? SeedStatistics(losses) : nil,
            multipleChoiceAccNorm: stats(\.multipleChoiceAccNorm), multipleChoiceAcc: stats(\.multipleChoiceAcc),
            steps: runs[0].steps, trainingTokens: runs.map(\.trainingTokens).reduce(0, +) / runs.count,
            tokenPasses: runs.map(\.tokenPasses).reduce(0, +) / runs.count)
    }

    /// The pre-registered primary comparison, if its cells ran.
    public var primary: Comparison? { comparisons.first { $0.role == "primary" } }

    /// `results.json`: `results` (everything a rerun with the same seeds reproduces exactly) and `wall_clock`
    /// (times, which vary).
    public func json() throws -> Data {
        struct Cell: Encodable {
            let regime: String, arm: String, objective: String, maskRate: Double?, seed: UInt64, steps: Int
            let trainingTokens: Int, tokenPasses: Int, validationLoss: Double?, scores: ChainScores
            let multipleChoiceAcc: Double, multipleChoiceAccNorm: Double
            init(_ r: CellResult) {
                regime = r.regime; arm = r.arm; objective = r.objective; maskRate = r.maskRate; seed = r.seed; steps = r.steps
                trainingTokens = r.trainingTokens; tokenPasses = r.tokenPasses; validationLoss = r.validationLoss; scores = r.scores
                multipleChoiceAcc = r.multipleChoiceAcc; multipleChoiceAccNorm = r.multipleChoiceAccNorm
            }
        }
        struct Gate: Encodable {
            let lookup: Double, arithmetic: Double, exactMatch: Double, required: [String: Double], passed: Bool, steps: Int, trainingTokens: Int
        }
        struct Reproducible: Encodable {
            let name: String
            let plannedCells: Int
            let gate: Gate?
            let arms: [ArmSummary]
            let comparisons: [Comparison]
            let cells: [Cell]
        }
        struct WallClock: Encodable {
            let baseTrainSeconds: Double?
            let arms: [ArmTiming]
        }
        struct File: Encodable {
            let results: Reproducible
            let wallClock: WallClock
        }
        let file = File(
            results: Reproducible(name: name, plannedCells: plannedCells, gate: gate.map { Gate(lookup: $0.lookup, arithmetic: $0.arithmetic, exactMatch: $0.exactMatch,
                                                                    required: $0.required, passed: $0.passed, steps: $0.steps,
                                                                    trainingTokens: $0.trainingTokens) },
                                  arms: summaries, comparisons: comparisons, cells: cells.map(Cell.init)),
            wallClock: WallClock(baseTrainSeconds: gate?.trainSeconds, arms: timings))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(file)
    }
}
