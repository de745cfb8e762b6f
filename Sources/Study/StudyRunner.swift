import Foundation
import Core
import Models
import ReMask
import Evaluation

/// Runs a study in a folder: generates the benchmark, searches each objective's hyperparameters on the
/// validation split, trains and evaluates every objective × seed cell on the test split, and writes the
/// results. Every cell lives in its own subfolder; a cell with `result.json` is read back, not recomputed,
/// and an interrupted training run resumes from its checkpoint, so running the study again finishes it.
///
/// Layout: `benchmark/` (the splits), `base/seed-N/` (scratch models' initial weights),
/// `tune/<objective>/<flags>/` (search cells, scored on validation), `runs/<objective>/seed-N/` (grid cells,
/// scored on test), then `results.json`, `results.md`, `accuracy.svg` and `loss.svg`.
public final class StudyRunner {
    public let config: StudyConfig
    public let folder: URL
    /// Parses `remask train` arguments into training options (the CLI's own parser, so that flags mean the same).
    let makeOptions: ([String]) throws -> TrainingOptions
    let log: (String) -> Void
    /// `progress(label, done, total, status)` while a cell evaluates.
    let progress: (String, Int, Int, String) -> Void

    public init(_ config: StudyConfig, folder: URL, makeOptions: @escaping ([String]) throws -> TrainingOptions,
                log: @escaping (String) -> Void, progress: @escaping (String, Int, Int, String) -> Void = { _, _, _, _ in }) {
        self.config = config
        self.folder = folder
        self.makeOptions = makeOptions
        self.log = log
        self.progress = progress
    }

    /// The runs the study makes, one line each, after checking every run's training flags with `makeOptions`
    /// (so a bad value fails before the first run, not an hour in).
    public func plan() throws -> [String] {
        let grid = config.tuningGrid
        var lines: [String] = []
        for objective in config.objectives where grid.count > 1 {
            for assignment in grid {
                let flags = config.trainFlags(objective, assignment: assignment)
                _ = try makeOptions(flags + placeholders(objective))
                lines.append("tune \(objective.rawValue) seed \(config.tuningSeed) on validation: \(flags.joined(separator: " "))")
            }
        }
        for seed in config.seeds {
            for objective in config.objectives {
                let flags = config.trainFlags(objective, assignment: grid.count > 1 ? [] : grid[0])
                _ = try makeOptions(flags + placeholders(objective))
                let tuned = grid.count > 1 ? " + the tuned " + config.tune.map(\.flag).joined(separator: ", ") : ""
                lines.append("run \(objective.rawValue) seed \(seed) on test: \(flags.joined(separator: " "))\(tuned)")
            }
        }
        return lines
    }

    private func placeholders(_ objective: Objective) -> [String] {
        ["--data", "train.jsonl", "--out", folder.path, "--objective", objective.rawValue]
    }

    /// Runs (or finishes) the study and writes its report; returns the results.
    @discardableResult
    public func run() throws -> StudyResults {
        _ = try plan()
        try OutputDirectory.prepare(folder)
        try claimFolder()
        let benchmark = try StudyBenchmark(config.benchmark, folder: folder.appendingPathComponent("benchmark"))
        log("benchmark: \(config.benchmark.train) train, \(config.benchmark.validation) validation, \(config.benchmark.test) test problems in \(benchmark.folder.path)")
        let models = try ModelSource(config, benchmark: benchmark, folder: folder, makeOptions: makeOptions)

        let grid = config.tuningGrid
        let cellCount = config.objectives.count * (config.seeds.count + (grid.count > 1 ? grid.count : 0))
        var done = 0
        func announce(_ what: String) {
            done += 1
            log("── cell \(done)/\(cellCount): \(what)")
        }

        var search: [TuningOutcome] = []
        var chosen: [Objective: [ConfigFile.Entry]] = [:]
        for objective in config.objectives {
            guard grid.count > 1 else {
                chosen[objective] = grid[0]
                continue
            }
            var trials: [(settings: [ConfigFile.Entry], result: CellResult)] = []
            for assignment in grid {
                let label = assignment.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                announce("tuning \(objective.rawValue) \(label) (seed \(config.tuningSeed), validation)")
                let cell = Cell(objective: objective, seed: config.tuningSeed, settings: assignment,
                                folder: folder.appendingPathComponent("tune/\(objective.rawValue)/\(label)"), scoredOnTest: false)
                trials.append((assignment, try run(cell, benchmark: benchmark, models: models)))
            }
            // The best validation exact match; ties go to the lower validation loss, then to the earlier
            // combination (the file's order).
            let best = trials.indices.min { a, b in
                let (x, y) = (trials[a].result, trials[b].result)
                if x.exactMatch != y.exactMatch { return x.exactMatch > y.exactMatch }
                let (lx, ly) = (x.validationLoss ?? .infinity, y.validationLoss ?? .infinity)
                return lx != ly ? lx < ly : a < b
            }!
            chosen[objective] = trials[best].settings
            search += trials.enumerated().map { i, t in TuningOutcome(result: t.result, chosen: i == best) }
            log("\(objective.rawValue): chose \(trials[best].result.settings.joined(separator: ", ")) (validation exact match \(percent(trials[best].result.exactMatch)))")
        }

        var cells: [CellResult] = []
        for seed in config.seeds {
            for objective in config.objectives {
                announce("\(objective.rawValue) seed \(seed)")
                let cell = Cell(objective: objective, seed: seed, settings: chosen[objective]!,
                                folder: folder.appendingPathComponent("runs/\(objective.rawValue)/seed-\(seed)"), scoredOnTest: true)
                cells.append(try run(cell, benchmark: benchmark, models: models))
            }
        }

        let results = StudyResults(config: config, cells: cells, search: search)
        try StudyReport(results, folder: folder).write()
        return results
    }

    /// Records the config's fingerprint in a new folder; refuses a folder that holds a different study.
    private func claimFolder() throws {
        let url = folder.appendingPathComponent("study-config.txt")
        let text = config.fingerprint.joined(separator: "\n") + "\n"
        if let existing = try? String(contentsOf: url, encoding: .utf8) {
            guard existing == text else {
                let old = Set(existing.split(separator: "\n").map(String.init)), new = Set(config.fingerprint)
                let differing = old.symmetricDifference(new).map { $0.prefix { $0 != "=" } }
                throw TrainingFileError(path: folder.path,
                                        "holds a study with other settings (\(Set(differing).sorted().joined(separator: ", "))); use another --out, or delete the folder to start over")
            }
            return
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// One training run and its evaluation.
    struct Cell {
        let objective: Objective
        let seed: UInt64
        let settings: [ConfigFile.Entry]
        let folder: URL
        let scoredOnTest: Bool
    }

    /// Trains (or resumes, or skips when trained) and evaluates a cell; a finished cell is read back.
    private func run(_ cell: Cell, benchmark: StudyBenchmark, models: ModelSource) throws -> CellResult {
        let resultURL = cell.folder.appendingPathComponent("result.json")
        if let finished = try CellResult.read(resultURL) {
            log("finished earlier: \(summary(finished))")
            return finished
        }
        let trainFolder = cell.folder.appendingPathComponent("train")
        let costURL = cell.folder.appendingPathComponent("training.json")
        let cost: TrainingCost
        if let data = try? Data(contentsOf: costURL), let saved = try? JSONDecoder().decode(TrainingCost.self, from: data) {
            cost = saved
        } else {
            let modelPath = try models.path(seed: cell.seed)
            let arguments = config.trainFlags(cell.objective, assignment: cell.settings) + [
                "--data", benchmark.trainURL.path, "--val", benchmark.validationURL.path, "--out", trainFolder.path,
                "--objective", cell.objective.rawValue, "--seed", String(cell.seed), "--model", modelPath, "--resume",
            ]
            let options = try makeOptions(arguments)
            _ = try Trainer(options, modelPath: modelPath, log: log).run()
            cost = try TrainingCost(metrics: trainFolder.appendingPathComponent("metrics.jsonl"))
            try AtomicFile.write(try JSONEncoder().encode(cost), to: costURL)
        }

        let start = Date()
        let lm = try LanguageModel.load(trainFolder.path)
        let tokenizer = try lm.requireTokenizer()
        let problems = cell.scoredOnTest ? Array(benchmark.problems.test.prefix(config.testProblems))
            : Array(benchmark.problems.validation.prefix(config.tuningProblems))
        let split = cell.scoredOnTest ? "test" : "validation"
        let label = "\(cell.objective.rawValue) seed \(cell.seed) \(split)"
        let generative = try AnswerScorer(lm: lm, tokenizer: tokenizer, batchSize: config.evalBatchSize, maxNewTokens: config.maxNewTokens)
            .score(problems, idPrefix: split) { stage, done, total, status in
                self.progress("\(label) \(stage)", done, total, status)
            }
        try AtomicFile.write(generative.itemsJSONL(), to: cell.folder.appendingPathComponent("\(split)-generations.jsonl"))
        var choice: EvalReport?
        if cell.scoredOnTest {
            let items = Array(benchmark.multipleChoiceItems.prefix(config.testProblems))
            var options = EvalOptions(task: .jsonl)
            options.batchSize = config.evalBatchSize
            let report = try Evaluator.multipleChoice(lm.model, tokenizer, items, options) { done, total, status in
                self.progress("\(label) multiple choice", done, total, status)
            }
            try AtomicFile.write(report.itemsJSONL(), to: cell.folder.appendingPathComponent("\(split)-choices.jsonl"))
            choice = report
        }
        func metric(_ report: EvalReport?, _ name: String) -> Double? { report?.metrics.first { $0.name == name }?.value }
        let result = CellResult(
            objective: cell.objective.rawValue, seed: cell.seed, settings: cell.settings.map { "\($0.key)=\($0.value)" },
            steps: cost.steps, trainingTokens: cost.tokens, tokenPasses: cost.tokens * cell.objective.passes,
            validationLoss: cost.validationLoss, split: split, problems: problems.count,
            exactMatch: metric(generative, "exact_match") ?? 0,
            multipleChoiceAcc: metric(choice, "acc"), multipleChoiceAccNorm: metric(choice, "acc_norm"),
            trainSeconds: cost.seconds, evalSeconds: Date().timeIntervalSince(start))
        try result.write(to: resultURL)
        log(summary(result))
        return result
    }

    private func summary(_ r: CellResult) -> String {
        var s = "\(r.objective) seed \(r.seed): \(r.split) exact match \(percent(r.exactMatch))"
        if let a = r.multipleChoiceAccNorm { s += ", multiple-choice acc_norm \(percent(a))" }
        return s + String(format: " (train %.0f s, eval %.0f s)", r.trainSeconds, r.evalSeconds)
    }
}

func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }

extension Objective {
    /// Forward and backward passes per training token: two for ReMask (masked and full), else one.
    var passes: Int { self == .remask ? 2 : 1 }
}

/// The starting model of a run: a pretrained model for every seed, or a scratch model per seed (the seed
/// draws its initial weights).
private struct ModelSource {
    let config: StudyConfig
    let folder: URL
    let tokenizer: BPETokenizer?
    let maxLength: Int

    init(_ config: StudyConfig, benchmark: StudyBenchmark, folder: URL, makeOptions: ([String]) throws -> TrainingOptions) throws {
        self.config = config
        self.folder = folder
        // The scratch model's positions must cover the training length.
        maxLength = try makeOptions(config.trainFlags(.sft, assignment: []) + ["--data", "-", "--out", "-"]).maxLength
        if case .scratch(let spec) = config.model {
            tokenizer = try ScratchModel.tokenizer(spec, texts: benchmark.trainingTexts)
        } else {
            tokenizer = nil
        }
    }

    func path(seed: UInt64) throws -> String {
        switch config.model {
        case .pretrained(let path): return path
        case .scratch(let spec):
            return try ScratchModel.write(spec, tokenizer: tokenizer!, seed: seed, maxLength: maxLength,
                                          folder: folder.appendingPathComponent("base/seed-\(seed)"))
        }
    }
}
