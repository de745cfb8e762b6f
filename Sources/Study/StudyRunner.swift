import Foundation
import Core
import Models
import ReMask
import Evaluation

/// Runs a study in a folder: generates the chain benchmark, trains the base model once and checks its gate
/// (stage 0), then fine-tunes and scores every regime × arm × seed cell and the dose-response cells, and writes
/// the results. Every cell lives in its own subfolder; a cell with `result.json` is read back, not recomputed,
/// and an interrupted training run resumes from its checkpoint, so running the study again finishes it.
///
/// Layout: `benchmark/` (the splits), `base/` (stage 0: `init/`, `train/`, `gate.json`),
/// `runs/<regime>/<arm>[@rate]/seed-N/` (cells), then `results.json`, `results.md` and the plots.
public final class StudyRunner {
    public let config: StudyConfig
    public let folder: URL
    let log: (String) -> Void
    /// `progress(label, done, total, status)` while something evaluates.
    let progress: (String, Int, Int, String) -> Void
    /// The study's own inputs (its config file): the folder may not be one of them or hold one.
    public var inputs: [String] = []
    /// Write into a non-empty folder that holds no study and that remask did not create.
    public var overwrite = false

    public init(_ config: StudyConfig, folder: URL,
                log: @escaping (String) -> Void, progress: @escaping (String, Int, Int, String) -> Void = { _, _, _, _ in }) {
        self.config = config
        self.folder = folder
        self.log = log
        self.progress = progress
    }

    /// The runs the study makes, one line each with the settings that differ from the recipe's, after
    /// validating every run's settings (so a bad value fails before the first run, not an hour in).
    public func plan() throws -> [String] {
        var lines: [String] = []
        let defaults = TrainingSettings().fingerprint
        func changed(_ s: TrainingSettings) -> String {
            s.fingerprint.filter { defaults[$0.key] != $0.value && !["run.seed", "data.train", "data.val"].contains($0.key) }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.trimmingCharacters(in: ["\""]))" }.joined(separator: " ")
        }
        if case .scratch = config.model {
            let s = try config.baseSettings(data: "base.jsonl", validation: "base-val.jsonl", out: folder.path, model: "base", seed: BaseStage.seed)
            lines.append("stage 0: base model, sft on \(config.benchmark.base) problems of \(config.benchmark.baseSteps) steps: \(changed(s))")
            lines.append(String(format: "gate: teacher-forced look-up ≥ %.0f%%, arithmetic ≥ %.0f%% on held-out base problems", 100 * config.gate.lookup, 100 * config.gate.arithmetic))
        }
        for cell in config.cells {
            let s = try config.settings(for: cell, data: "train.jsonl", validation: "val.jsonl", out: folder.path, model: "base")
            lines.append("\(cell.regime.name) \(cell.armLabel) seed \(cell.seed) (\(cell.regime.problems) problems): \(changed(s))")
        }
        return lines
    }

    /// What every cell needs from stage 0: the benchmark on disk and the base model's path.
    public struct Prepared {
        public let benchmark: StudyBenchmark
        public let basePath: String
    }

    /// Runs (or finishes) the study and writes its report; returns the results.
    @discardableResult
    public func run() throws -> StudyResults {
        try runCells(prepare())
        return try finish()
    }

    /// Checks the plan, claims the folder, writes the benchmark and runs stage 0 (or reads back its result).
    /// `whileStageZeroIsLocked` runs once this process holds stage 0's lock (the other ranks of an MPI job start
    /// then, and wait on the lock).
    public func prepare(whileStageZeroIsLocked: () throws -> Void = {}) throws -> Prepared {
        _ = try plan()
        // Shared by every job of the study (cells lock themselves), so the folder itself is not locked.
        _ = try OutputPolicy.claimFolder(folder.path, inputs: inputs, overwrite: overwrite, lock: false, command: "remask study")
        try claimFolder()
        let benchmark = try StudyBenchmark(config.benchmark, regimes: config.regimes, folder: folder.appendingPathComponent("benchmark"))
        log("benchmark: \(config.benchmark.test) test, \(config.benchmark.validation) validation, \(config.benchmark.train) fine-tuning, "
            + "\(config.benchmark.base) base problems in \(benchmark.folder.path)")
        // Two studies started on one folder must not both train the base: the second waits, then reads it back.
        let locks = folder.appendingPathComponent("locks")
        try FileManager.default.createDirectory(at: locks, withIntermediateDirectories: true)
        let stage0 = try FileLock.lock(locks.appendingPathComponent("stage-0.lock"))
        defer { stage0.unlock() }
        try whileStageZeroIsLocked()
        let base = try BaseStage(config: config, folder: folder.appendingPathComponent("base"), log: log, progress: progress).run(benchmark)
        return Prepared(benchmark: benchmark, basePath: base.path)
    }

    /// Runs every unfinished cell that no other process is running: a cell is claimed by locking
    /// `locks/<cell>.lock`, so several processes (`remask study --jobs`) share one grid. Returns the number of
    /// cells it left to other processes.
    @discardableResult
    public func runCells(_ prepared: Prepared) throws -> Int {
        var skipped = 0
        for (index, cell) in config.cells.enumerated() {
            guard let lock = try FileLock.tryLock(lockURL(cell)) else {
                skipped += 1
                continue
            }
            defer { lock.unlock() }
            log("── cell \(index + 1)/\(config.cells.count): \(cell.regime.name) \(cell.armLabel) seed \(cell.seed)")
            _ = try run(cell, benchmark: prepared.benchmark, basePath: prepared.basePath)
        }
        return skipped
    }

    /// Waits until no other process is running a cell of this study (each holds its cell's lock while it runs).
    public func waitForOtherProcesses() throws {
        for cell in config.cells { try FileLock.lock(lockURL(cell)).unlock() }
    }

    /// The lock a process holds while it runs `cell`.
    private func lockURL(_ cell: CellSpec) -> URL {
        folder.appendingPathComponent("locks").appendingPathComponent(cell.path.replacingOccurrences(of: "/", with: "_") + ".lock")
    }

    /// Writes the report once every planned cell has finished; says which have not otherwise.
    @discardableResult
    public func finish() throws -> StudyResults {
        let missing = config.cells.filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0.path).appendingPathComponent("result.json").path) }
        guard missing.isEmpty else {
            throw StudyError("\(missing.count) of \(config.cells.count) cells have not finished (first: \(missing[0].path)); "
                             + "run the study again to finish them, or --report-only for a partial report")
        }
        return try writeReport()
    }

    /// Writes the report of the cells finished so far (for a study still running or stopped), training and
    /// scoring nothing; the report says how many of the planned cells it covers.
    @discardableResult
    public func report() throws -> StudyResults {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("study-config.txt").path) else {
            throw StudyError("\(folder.path) holds no study to report on (run the study first)")
        }
        try claimFolder()
        return try writeReport()
    }

    private func writeReport() throws -> StudyResults {
        let gateURL = folder.appendingPathComponent("base/gate.json")
        let gate = try? JSONDecoder().decode(GateResult.self, from: Data(contentsOf: gateURL))
        let cells = try config.cells.compactMap { try CellResult.read(folder.appendingPathComponent($0.path).appendingPathComponent("result.json")) }
        guard !cells.isEmpty else { throw StudyError("no cell of \(folder.path) has finished yet") }
        log("reporting \(cells.count) of \(config.cells.count) cells")
        let results = StudyResults(config: config, cells: cells, gate: gate)
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
                throw FileError(path: folder.path,
                                        "holds a study with other settings (\(Set(differing).sorted().joined(separator: ", "))); use another --out, or delete the folder to start over")
            }
            return
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// Trains (or resumes, or skips when trained) and evaluates a cell; a finished cell is read back.
    private func run(_ cell: CellSpec, benchmark: StudyBenchmark, basePath: String) throws -> CellResult {
        let cellFolder = folder.appendingPathComponent(cell.path)
        let resultURL = cellFolder.appendingPathComponent("result.json")
        if let finished = try CellResult.read(resultURL) {
            log("finished earlier: \(summary(finished))")
            return finished
        }
        let trainFolder = cellFolder.appendingPathComponent("train")
        let costURL = cellFolder.appendingPathComponent("training.json")
        let cost: TrainingCost
        if let data = try? Data(contentsOf: costURL), let saved = try? JSONDecoder().decode(TrainingCost.self, from: data) {
            cost = saved
        } else {
            let settings = try config.settings(for: cell, data: benchmark.trainURL(cell.regime).path, validation: benchmark.validationURL.path,
                                               out: trainFolder.path, model: basePath)
            cost = try TrainingCost.train(settings, log: log)
            try AtomicFile.write(try JSONEncoder().encode(cost), to: costURL)
        }

        let start = Date()
        let lm = try LanguageModel.load(trainFolder.path)
        let tokenizer = try lm.requireTokenizer()
        let label = "\(cell.regime.name) \(cell.armLabel) seed \(cell.seed)"
        let (scores, generations) = try ChainScorer(lm: lm, tokenizer: tokenizer, batchSize: config.evalBatchSize, maxNewTokens: config.maxNewTokens)
            .score(benchmark.problems.test, idPrefix: "test") { stage, done, total, status in
                self.progress("\(label) \(stage)", done, total, status)
            }
        try AtomicFile.write(generations, to: cellFolder.appendingPathComponent("test-generations.jsonl"))
        var options = EvalOptions(task: .jsonl)
        options.batchSize = config.evalBatchSize
        let choice = try Evaluator.multipleChoice(lm.model, tokenizer, benchmark.multipleChoiceItems, options) { done, total, status in
            self.progress("\(label) multiple choice", done, total, status)
        }
        try AtomicFile.write(choice.itemsJSONL(), to: cellFolder.appendingPathComponent("test-choices.jsonl"))
        func metric(_ name: String) -> Double { choice.metrics.first { $0.name == name }?.value ?? 0 }
        let result = CellResult(
            regime: cell.regime.name, arm: cell.armLabel, objective: cell.arm.objective.rawValue, maskRate: cell.rate, seed: cell.seed,
            steps: cost.steps, trainingTokens: cost.tokens, tokenPasses: cost.tokens * cell.arm.objective.passes,
            validationLoss: cost.validationLoss, scores: scores, multipleChoiceAcc: metric("acc"), multipleChoiceAccNorm: metric("acc_norm"),
            trainSeconds: cost.seconds, evalSeconds: Date().timeIntervalSince(start))
        try result.write(to: resultURL)
        log(summary(result))
        return result
    }

    private func summary(_ r: CellResult) -> String {
        String(format: "%@ %@ seed %llu: exact match %.1f%%, steps right free-running %.1f%% / teacher-forced %.1f%%, MC acc_norm %.1f%% (train %.0f s, eval %.0f s)",
               r.regime, r.arm, r.seed, 100 * r.scores.exactMatch, 100 * r.scores.freeStepAccuracy, 100 * r.scores.teacherStepAccuracy,
               100 * r.multipleChoiceAccNorm, r.trainSeconds, r.evalSeconds)
    }
}

func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }

extension Objective {
    /// Forward and backward passes per training token: two for ReMask (masked and full), else one.
    var passes: Int { self == .remask ? 2 : 1 }
}
