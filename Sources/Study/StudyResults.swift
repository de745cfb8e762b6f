import Foundation
import ReMask

/// One hyperparameter combination tried on validation.
public struct TuningOutcome: Codable, Equatable, Sendable {
    public var result: CellResult
    public var chosen: Bool
}

/// One objective's results across the grid's seeds.
public struct ObjectiveSummary: Encodable, Equatable, Sendable {
    public var objective: String
    /// The tuned flags every seed used.
    public var settings: [String]
    public var seeds: [UInt64]
    public var exactMatch: SeedStatistics
    public var multipleChoiceAccNorm: SeedStatistics?
    public var multipleChoiceAcc: SeedStatistics?
    /// This objective minus SFT, seed by seed (nil for SFT itself).
    public var exactMatchVersusSFT: SeedStatistics?
    public var accNormVersusSFT: SeedStatistics?
    public var validationLoss: SeedStatistics?
    public var steps: Int
    public var trainingTokens: Int
    public var tokenPasses: Int
}

/// Mean wall-clock cost of an objective's cells (varies between machines and runs).
public struct ObjectiveTiming: Codable, Equatable, Sendable {
    public var objective: String
    public var trainSeconds: Double
    public var evalSeconds: Double
    /// Training tokens per second of training time.
    public var tokensPerSecond: Double
}

/// A study's results: every cell, the per-objective statistics, and the hyperparameter search.
public struct StudyResults: Sendable {
    public let name: String
    public let cells: [CellResult]
    public let search: [TuningOutcome]
    public let summaries: [ObjectiveSummary]
    public let timings: [ObjectiveTiming]

    public init(config: StudyConfig, cells: [CellResult], search: [TuningOutcome]) {
        name = config.name
        self.cells = cells
        self.search = search
        let byObjective = Dictionary(grouping: cells, by: \.objective)
        let sft = (byObjective[Objective.sft.rawValue] ?? []).sorted { $0.seed < $1.seed }
        summaries = config.objectives.compactMap { objective in
            guard let runs = byObjective[objective.rawValue]?.sorted(by: { $0.seed < $1.seed }), !runs.isEmpty else { return nil }
            func stats(_ value: (CellResult) -> Double?) -> SeedStatistics? {
                let values = runs.compactMap(value)
                return values.count == runs.count ? SeedStatistics(values) : nil
            }
            /// Differences against SFT over the seeds both have.
            func paired(_ value: (CellResult) -> Double?) -> SeedStatistics? {
                guard objective != .sft else { return nil }
                let differences = runs.compactMap { run -> Double? in
                    guard let base = sft.first(where: { $0.seed == run.seed }), let a = value(run), let b = value(base) else { return nil }
                    return a - b
                }
                return differences.isEmpty ? nil : SeedStatistics(differences)
            }
            return ObjectiveSummary(
                objective: objective.rawValue, settings: runs[0].settings, seeds: runs.map(\.seed),
                exactMatch: SeedStatistics(runs.map(\.exactMatch)), multipleChoiceAccNorm: stats(\.multipleChoiceAccNorm),
                multipleChoiceAcc: stats(\.multipleChoiceAcc), exactMatchVersusSFT: paired(\.exactMatch),
                accNormVersusSFT: paired(\.multipleChoiceAccNorm), validationLoss: stats(\.validationLoss),
                steps: runs[0].steps, trainingTokens: runs.map(\.trainingTokens).reduce(0, +) / runs.count,
                tokenPasses: runs.map(\.tokenPasses).reduce(0, +) / runs.count)
        }
        timings = config.objectives.compactMap { objective in
            guard let runs = byObjective[objective.rawValue], !runs.isEmpty else { return nil }
            let n = Double(runs.count)
            let train = runs.map(\.trainSeconds).reduce(0, +) / n
            return ObjectiveTiming(objective: objective.rawValue, trainSeconds: train, evalSeconds: runs.map(\.evalSeconds).reduce(0, +) / n,
                                   tokensPerSecond: Double(runs.map(\.trainingTokens).reduce(0, +)) / n / max(train, 1e-9))
        }
    }

    /// `results.json`: `results` (everything a rerun with the same seeds reproduces exactly) and `wall_clock`
    /// (times, which vary).
    public func json() throws -> Data {
        struct Reproducible: Encodable {
            let name: String
            let objectives: [ObjectiveSummary]
            let cells: [Cell]
            let search: [Search]
        }
        struct Cell: Encodable {
            let objective: String, seed: UInt64, settings: [String], steps: Int, trainingTokens: Int, tokenPasses: Int
            let validationLoss: Double?, exactMatch: Double, multipleChoiceAcc: Double?, multipleChoiceAccNorm: Double?
            init(_ r: CellResult) {
                objective = r.objective; seed = r.seed; settings = r.settings; steps = r.steps; trainingTokens = r.trainingTokens
                tokenPasses = r.tokenPasses; validationLoss = r.validationLoss; exactMatch = r.exactMatch
                multipleChoiceAcc = r.multipleChoiceAcc; multipleChoiceAccNorm = r.multipleChoiceAccNorm
            }
        }
        struct Search: Encodable {
            let objective: String, settings: [String], validationExactMatch: Double, chosen: Bool
        }
        struct File: Encodable {
            let results: Reproducible
            let wallClock: [ObjectiveTiming]
        }
        let file = File(results: Reproducible(name: name, objectives: summaries, cells: cells.map(Cell.init),
                                              search: search.map { Search(objective: $0.result.objective, settings: $0.result.settings,
                                                                          validationExactMatch: $0.result.exactMatch, chosen: $0.chosen) }),
                        wallClock: timings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(file)
    }
}
