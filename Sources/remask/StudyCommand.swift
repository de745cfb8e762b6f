import ArgumentParser
import Foundation
import Core
import ReMask
import MessagePassing
import Study

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Compare SFT, Masked Thought and ReMask on symbolic arithmetic chains, across regimes and seeds.",
        discussion: """
            Generates the chain benchmark (test, validation, fine-tuning and base pools, and a multiple-choice test), \
            trains the base model once and checks its gate (stage 0), fine-tunes every regime × arm × seed and the \
            dose-response cells from it, scores each on the test split (free-running exact match overall and by chain \
            length, steps right free-running and teacher-forced, multiple choice), and writes results.md, \
            results.json, accuracy-by-length-<regime>.svg and loss-<regime>.svg into --out: mean, standard deviation \
            and 95% confidence interval across seeds, paired differences against SFT with exact permutation p-values \
            and Holm correction, and the minimum detectable effect.

            Finished cells are kept: run the same command again to resume an interrupted study. Settings and the \
            shipped configurations: docs/study.md and configs/. Under mpirun (mpirun -np N remask study …) the ranks \
            share the cells, the folder on a filesystem every rank sees (docs/distributed.md).
            """)

    @Option(help: "Study config (YAML or JSON): benchmark, base model and gate, arms, regimes, dose-response, seeds, training settings.")
    var config: String
    @Option(help: "Study folder (default: studies/<config name>).") var out: String?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: ArgumentHelp("Cells run at once, each in its own process with --threads/jobs threads (stage 0 uses them all). A small model keeps one core busier than it keeps two, so --jobs 2 on two cores finishes the grid sooner. Numbers depend on a cell's thread count: reproduce a study with the same --jobs and --threads."))
    var jobs: Int = 1
    @Option(help: .hidden) var worker: Int?
    @Flag(help: "Use --out even if it is a non-empty folder that holds no study and that remask did not create.") var overwrite = false
    @Flag(name: .customLong("dry-run"), help: "Check the config and list the runs without training anything.") var dryRun = false
    @Flag(name: .customLong("report-only"), help: "Write the report of the cells finished so far (of a study still running or stopped) without training anything.")
    var reportOnly = false

    /// Runs the grid in `jobs` processes of this executable, each claiming cells as it goes, and waits for them.
    private func runJobs(_ prepared: StudyRunner.Prepared, folder: URL) throws {
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let perJob = max(1, Parallel.threads / jobs)
        Log.info("running the cells in \(jobs) processes of \(perJob) thread\(perJob == 1 ? "" : "s") each")
        let processes = try (1...jobs).map { index in
            let process = Process()
            process.executableURL = executable
            process.arguments = ["study", "--config", config, "--out", folder.path, "--threads", String(perJob), "--worker", String(index)]
                + (overwrite ? ["--overwrite"] : [])
            try process.run()
            return process
        }
        for process in processes { process.waitUntilExit() }
        let failed = processes.enumerated().filter { $0.element.terminationStatus != 0 }.map { "job \($0.offset + 1)" }
        guard failed.isEmpty else {
            throw StudyError("\(failed.joined(separator: ", ")) stopped with an error (see above); run the same command again to finish the study")
        }
    }

    /// Under mpirun: every rank takes cells as a job of `--jobs` does (the folder must be one every host sees);
    /// rank 0 trains stage 0 first, waits for the other ranks' cells and writes the report.
    private func runRanks(_ runner: StudyRunner, _ distributed: DistributedRun, folder: URL) throws {
        let group = distributed.group
        let prepared: StudyRunner.Prepared
        if group.isLeader {
            prepared = try runner.prepare { _ = group.sum([0]) }
        } else {
            _ = group.sum([0])  // rank 0 has claimed the folder and holds stage 0's lock
            guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("study-config.txt").path) else {
                throw StudyError("rank \(group.rank) does not see rank 0's study folder \(folder.path): a study under mpirun needs its folder "
                                 + "on a filesystem every host shares (NFS, or the same path on one machine)")
            }
            prepared = try runner.prepare()
        }
        try runner.runCells(prepared)
        guard group.isLeader else { return }
        try runner.waitForOtherProcesses()
        try runner.finish()
    }

    func run() throws {
        if let threads {
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        let distributed = try DistributedRun.start("remask study", threads: threads)
        let group = distributed.group
        if group.size > 1 && jobs > 1 {
            distributed.fail("remask study: --jobs starts processes on this host; under mpirun the ranks are the jobs (use -np)")
        }
        if group.size > 1 && (dryRun || reportOnly) {
            distributed.fail("remask study: --dry-run and --report-only run as one process, not under mpirun")
        }
        distributed.announce("remask study")
        do {
            let study = try StudyConfig(path: config)
            let folder = URL(fileURLWithPath: out ?? "studies/\(study.name)")
            var bars: [String: ProgressLine] = [:]
            let prefix = worker.map { "[job \($0)] " } ?? (group.size > 1 ? "[rank \(group.rank)] " : "")
            let log: (String) -> Void = { Log.info(prefix + $0) }
            let runner = StudyRunner(study, folder: folder, log: log) {
                label, done, total, status in
                guard worker == nil && group.size == 1 else { return }  // jobs and ranks share the terminal: their logs only
                let bar = bars[label] ?? ProgressLine(label, total: total)
                bars[label] = bar
                bar.update(done, status)
                if done >= total { bar.finish() }
            }
            runner.inputs = [config]
            runner.overwrite = overwrite
            if dryRun {
                let plan = try runner.plan()
                let stage0 = if case .scratch = study.model { 1 } else { 0 }
                print("study \(study.name): \(study.cells.count + stage0) training runs into \(folder.path)")
                for line in plan { print("  " + line) }
                return
            }
            if worker != nil {
                try runner.runCells(runner.prepare())
                return
            }
            if group.size > 1 {
                try runRanks(runner, distributed, folder: folder)
                distributed.finish()
                guard group.isLeader else { return }
            } else if reportOnly {
                try runner.report()
            } else if jobs > 1 {
                try runJobs(runner.prepare(), folder: folder)
                try runner.finish()
            } else {
                try runner.run()
            }
            print(try String(contentsOf: folder.appendingPathComponent("results.md"), encoding: .utf8))
            print("results.md, results.json and the plots (accuracy-by-length-*.svg, loss-*.svg) in \(folder.path)")
        } catch let error as TrainingError {
            if case .interrupted(let signal, _) = error, group.size == 1 {
                Log.info("remask study: \(error)")
                throw ExitCode(InterruptSignal.exitStatus(for: signal))
            }
            distributed.fail("remask study: \(error)")
        } catch let error as ExitCode {
            throw error
        } catch {
            distributed.fail("remask study: \(error)")
        }
    }
}
