import Foundation
import XCTest
import ReMask
import TestSupport

/// `remask study` end to end (the executable built beside the tests, e.g. `.build/release/remask` next to the
/// release test bundle): the shipped configs check out, a tiny study runs, resumes without recomputing
/// finished cells, recomputes a lost cell to the same numbers and reproduces its results in a fresh folder;
/// a base model that fails its gate stops the study before any cell.
final class StudyCommandTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func run(_ args: [String]) throws -> ProcessOutput {
        try start(args)()
    }

    /// Starts `remask <args>` in the repository's root; the returned function waits for it and gives its output.
    func start(_ args: [String]) throws -> () throws -> ProcessOutput {
        try Subprocess.start(Subprocess.remask(), args, directory: Self.root)
    }

    func writeConfig(_ text: String) throws -> String {
        let folder = scratchURL()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("tiny.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func exists(_ folder: URL, _ path: String) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path) }

    func count(_ text: String, _ needle: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// Two regimes × two seeds × {sft, remask}, and remask at one more mask rate in the small regime: 10 cells
    /// on a 1-layer, 16-wide decoder; the gate at 0 so that any base passes.
    static let tiny = """
        name: tiny
        model: scratch
        scratch-hidden: 16
        scratch-layers: 1
        scratch-heads: 2
        scratch-kv-heads: 2
        scratch-intermediate: 32
        scratch-merges: 20
        benchmark-seed: 5
        problem-steps: [2, 3]
        base-steps: [1, 2]
        base-problems: 40
        base-validation-problems: 20
        train-problems: 6
        validation-problems: 4
        test-problems: 6
        gate-lookup: 0
        gate-arithmetic: 0
        arms: [sft, remask]
        arm.remask.masking.rate: 0.3
        regimes: [small, all]
        regime.small.problems: 3
        regime.small.optimizer.epochs: 2
        dose-regime: small
        dose-arms: [remask]
        dose-rates: [0.5]
        seeds: [1, 2]
        max-new-tokens: 16
        eval-batch-size: 16
        base.optimizer: adamw
        base.optimizer.learning-rate: 3e-3
        base.optimizer.micro-batch: 20
        base.optimizer.batch-size: 20
        base.optimizer.epochs: 1
        base.data.max-length: 96
        train.optimizer: adamw
        train.optimizer.learning-rate: 1e-3
        train.optimizer.micro-batch: 3
        train.optimizer.batch-size: 3
        train.optimizer.epochs: 1
        train.data.max-length: 128
        train.run.save-every: 1
        train.run.keep-checkpoints: 1

        """

    static let cellPaths = ["runs/small/sft/seed-1", "runs/small/remask/seed-1", "runs/small/sft/seed-2", "runs/small/remask/seed-2",
                            "runs/small/remask@0.5/seed-1", "runs/small/remask@0.5/seed-2",
                            "runs/all/sft/seed-1", "runs/all/remask/seed-1", "runs/all/sft/seed-2", "runs/all/remask/seed-2"]

    /// The `results` part of `results.json`: everything but wall-clock times.
    func reproducible(_ folder: URL) throws -> NSDictionary {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("results.json"))) as! [String: Any]
        XCTAssertNotNil(object["wall_clock"] as? [String: Any])
        return try XCTUnwrap(object["results"] as? NSDictionary)
    }

    /// `mpirun -np 2 remask study`: both ranks take cells, rank 0 writes the report, and the results are those of
    /// one process with the same threads per cell.
    func testStudyUnderMPISharesTheCells() throws {
        _ = try MPIRun.executable()
        let config = try writeConfig(Self.tiny)
        let one = scratchURL(), two = scratchURL()
        let single = try run(["study", "--config", config, "--out", one.path, "--threads", "1"])
        XCTAssertEqual(single.status, 0, single.stderr)
        let ranks = try MPIRun.start(ranks: 2, ["study", "--config", config, "--out", two.path, "--threads", "1"], directory: Self.root)()
        XCTAssertEqual(ranks.status, 0, ranks.stderr)
        // A rank may reach a cell the other has just finished: it finds it finished and goes on.
        XCTAssertEqual(count(ranks.stderr, "] ── cell ") - count(ranks.stderr, "finished earlier"), Self.cellPaths.count, ranks.stderr)
        XCTAssertGreaterThan(count(ranks.stderr, "[rank 0] ── cell "), 0, ranks.stderr)
        XCTAssertGreaterThan(count(ranks.stderr, "[rank 1] ── cell "), 0, ranks.stderr)
        XCTAssertEqual(count(ranks.stderr, "stage 0: training the base model"), 1, ranks.stderr)
        XCTAssertTrue(ranks.stdout.contains("## Primary comparison (pre-registered)"), ranks.stdout)
        XCTAssertEqual(try reproducible(two), try reproducible(one))
    }

    func testShippedConfigsCheckOut() throws {
        let configs = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("configs").path)
            .filter { $0.hasPrefix("study-") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json")) }.sorted()
        XCTAssertFalse(configs.isEmpty, "no configs/study-*.yaml")
        for name in configs {
            let out = scratchURL()
            let r = try run(["study", "--config", "configs/" + name, "--out", out.path, "--dry-run"])
            XCTAssertEqual(r.status, 0, "configs/\(name): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("training runs into \(out.path)"), "configs/\(name): \(r.stdout)")
            XCTAssertTrue(r.stdout.contains(" sft seed "), "configs/\(name): \(r.stdout)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "a dry run writes nothing")
        }
    }

    func testTinyStudyRunsResumesAndReproduces() throws {
        let config = try writeConfig(Self.tiny)
        let a = scratchURL(), b = scratchURL()
        // The same study in two fresh folders at once (the second must reproduce the first exactly).
        let firstRun = try start(["study", "--config", config, "--out", a.path])
        let freshRun = try start(["study", "--config", config, "--out", b.path])
        let first = try firstRun(), fresh = try freshRun()
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(fresh.status, 0, fresh.stderr)
        XCTAssertTrue(first.stdout.contains("## Primary comparison (pre-registered)"), first.stdout)
        XCTAssertTrue(first.stdout.contains("## Regime `small`") && first.stdout.contains("## Regime `all`"), first.stdout)
        XCTAssertEqual(count(first.stderr, "stage 0: training the base model"), 1)
        var files = ["results.md", "results.json", "accuracy-by-length-small.svg", "accuracy-by-length-all.svg", "loss-small.svg",
                     "loss-all.svg", "study-config.txt", "benchmark/test.jsonl", "benchmark/val.jsonl", "benchmark/base.jsonl",
                     "benchmark/test-mc.jsonl", "benchmark/train-small.jsonl", "benchmark/train-all.jsonl", "base/gate.json",
                     "base/base-val-generations.jsonl", "base/train/metrics.jsonl"]
        for cell in Self.cellPaths {
            files += ["\(cell)/result.json", "\(cell)/training.json", "\(cell)/test-generations.jsonl", "\(cell)/test-choices.jsonl"]
        }
        for file in files { XCTAssertTrue(exists(a, file), file) }
        let gate = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: a.appendingPathComponent("base/gate.json"))) as? [String: Any])
        XCTAssertEqual(gate["passed"] as? Bool, true)

        let results = try reproducible(a)
        XCTAssertEqual(results["name"] as? String, "tiny")
        XCTAssertEqual((results["gate"] as? [String: Any])?["passed"] as? Bool, true)
        XCTAssertNil((results["gate"] as? [String: Any])?["train_seconds"], "wall-clock times are outside results")
        let cells = try XCTUnwrap(results["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.count, 10)
        XCTAssertEqual(cells.map { "runs/\($0["regime"]!)/\($0["arm"]!)/seed-\($0["seed"]!)" }, Self.cellPaths)
        for regime in ["small", "all"] {
            // Every arm of a regime gets the same training tokens; ReMask's second pass doubles its token passes.
            let inRegime = cells.filter { $0["regime"] as? String == regime }
            XCTAssertEqual(Set(inRegime.compactMap { $0["training_tokens"] as? Int }).count, 1, regime)
        }
        for cell in cells {
            let tokens = try XCTUnwrap(cell["training_tokens"] as? Int)
            XCTAssertEqual(cell["token_passes"] as? Int, cell["objective"] as? String == "remask" ? 2 * tokens : tokens)
            let scores = try XCTUnwrap(cell["scores"] as? [String: Any])
            XCTAssertEqual(scores["problems"] as? Int, 6)
            for key in ["exact_match", "free_step_accuracy", "teacher_step_accuracy", "teacher_lookup", "teacher_arithmetic", "teacher_chain"] {
                let value = try XCTUnwrap(scores[key] as? Double, key)
                XCTAssertTrue((0...1).contains(value), key)
            }
        }
        XCTAssertEqual(cells.filter { $0["arm"] as? String == "remask@0.5" }.compactMap { $0["mask_rate"] as? Double }, [0.5, 0.5])
        let arms = try XCTUnwrap(results["arms"] as? [[String: Any]])
        XCTAssertEqual(arms.map { "\($0["regime"]!) \($0["arm"]!)" }, ["small sft", "small remask", "small remask@0.5", "all sft", "all remask"])

        // Paired comparisons against sft: the primary one (remask, first regime, exact match) uncorrected, the other
        // exact-match ones Holm-corrected, the other metrics exploratory.
        let comparisons = try XCTUnwrap(results["comparisons"] as? [[String: Any]])
        XCTAssertEqual(comparisons.count, 3 * 3)
        for c in comparisons {
            let result = try XCTUnwrap(c["result"] as? [String: Any])
            let p = try XCTUnwrap(result["p_permutation"] as? Double)
            XCTAssertTrue(p > 0 && p <= 1)
            XCTAssertEqual(result["baseline"] as? String, "sft")
            XCTAssertEqual(result["n"] as? Int, 2)
            XCTAssertEqual(c["role"] as? String, c["metric"] as? String != "exact_match" ? "exploratory"
                           : c["regime"] as? String == "small" && result["arm"] as? String == "remask" ? "primary" : "secondary")
            XCTAssertEqual(result["p_holm"] is NSNull, c["role"] as? String != "secondary", "\(c)")
        }
        XCTAssertEqual(comparisons.filter { $0["role"] as? String == "primary" }.count, 1)

        // One error bar per arm and length in the accuracy-by-length plot (dose cells are not drawn there).
        let lengths = Set(try String(contentsOf: a.appendingPathComponent("benchmark/test.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["steps"] as? Int })
        let svg = try String(contentsOf: a.appendingPathComponent("accuracy-by-length-small.svg"), encoding: .utf8)
        XCTAssertEqual(count(svg, "class=\"error-bar\""), 2 * lengths.count)
        XCTAssertTrue(try String(contentsOf: a.appendingPathComponent("loss-all.svg"), encoding: .utf8).hasPrefix("<svg"))

        // A second run finds every cell finished (and the base model trained) and writes the same results.
        let again = try run(["study", "--config", config, "--out", a.path])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(count(again.stderr, "finished earlier"), 10, again.stderr)
        XCTAssertEqual(count(again.stderr, "stage 0: training"), 0, again.stderr)
        XCTAssertEqual(try reproducible(a), results)

        // A cell whose result, cost and training are lost is recomputed to the same numbers.
        let cell = a.appendingPathComponent("runs/small/remask/seed-2")
        for name in ["result.json", "training.json", "train"] { try FileManager.default.removeItem(at: cell.appendingPathComponent(name)) }
        let recomputed = try run(["study", "--config", config, "--out", a.path])
        XCTAssertEqual(recomputed.status, 0, recomputed.stderr)
        XCTAssertEqual(count(recomputed.stderr, "finished earlier"), 9, recomputed.stderr)
        XCTAssertTrue(exists(a, "runs/small/remask/seed-2/result.json"))
        XCTAssertEqual(try reproducible(a), results)

        // A cell whose result and cost are lost but whose training finished resumes from its last checkpoint.
        let trained = a.appendingPathComponent("runs/all/remask/seed-1")
        for name in ["result.json", "training.json"] { try FileManager.default.removeItem(at: trained.appendingPathComponent(name)) }
        let resumed = try run(["study", "--config", config, "--out", a.path])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(count(resumed.stderr, "finished earlier"), 9, resumed.stderr)
        XCTAssertEqual(count(resumed.stderr, "resuming from"), 1, resumed.stderr)
        XCTAssertEqual(try reproducible(a), results)

        // The same config and seeds in a fresh folder reproduced the results exactly.
        XCTAssertEqual(try reproducible(b), results)
        let table = { (folder: URL) in
            try String(contentsOf: folder.appendingPathComponent("results.md"), encoding: .utf8).components(separatedBy: "## Cost")[0]
        }
        XCTAssertEqual(try table(b), try table(a))

        // A folder holding a study refuses different settings.
        let changed = try writeConfig(Self.tiny.replacingOccurrences(of: "seeds: [1, 2]", with: "seeds: [1, 3]"))
        let refused = try run(["study", "--config", changed, "--out", a.path])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("holds a study with other settings (seeds)"), refused.stderr)
        XCTAssertFalse(exists(a, "runs/small/sft/seed-3"))
    }

    /// `--jobs 2`: two processes share the grid, each cell run once, and the same command in a fresh folder gives
    /// the same results. A cell whose lock another process holds is left to it, and the study says it is unfinished.
    func testJobsShareTheGridAndLeaveClaimedCells() throws {
        let config = try writeConfig(Self.tiny)
        let a = scratchURL(), b = scratchURL()
        let first = try run(["study", "--config", config, "--out", a.path, "--jobs", "2", "--threads", "2"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("running the cells in 2 processes of 1 thread each"), first.stderr)
        // Each cell computed once (a job that claims a cell the other has just finished reads it back).
        let computed = first.stderr.split(separator: "\n").filter { $0.contains(": exact match") && !$0.contains("finished earlier") }
        XCTAssertEqual(computed.count, 10, first.stderr)
        for cell in Self.cellPaths { XCTAssertTrue(exists(a, "\(cell)/result.json"), cell) }
        XCTAssertTrue(first.stdout.contains("## Primary comparison (pre-registered)"), first.stdout)
        let second = try run(["study", "--config", config, "--out", b.path, "--jobs", "2", "--threads", "2"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try reproducible(b), try reproducible(a))

        let c = scratchURL()
        try FileManager.default.createDirectory(at: c.appendingPathComponent("locks"), withIntermediateDirectories: true)
        try Data().write(to: c.appendingPathComponent(OutputPolicy.marker))  // a folder remask made, as another job would have
        let held = try XCTUnwrap(FileLock.tryLock(c.appendingPathComponent("locks/runs_small_sft_seed-1.lock")))
        defer { held.unlock() }
        let partial = try run(["study", "--config", config, "--out", c.path])
        XCTAssertNotEqual(partial.status, 0)
        XCTAssertTrue(partial.stderr.contains("1 of 10 cells have not finished (first: runs/small/sft/seed-1)"), partial.stderr)
        XCTAssertFalse(exists(c, "runs/small/sft/seed-1/result.json"))
        XCTAssertTrue(exists(c, "runs/small/remask/seed-1/result.json"))
    }

    /// A base model that fails its gate stops the study: a message naming the gate, `base/gate.json` with
    /// `passed: false`, no cell. Running again reads the gate back rather than training the base again.
    func testFailedGateRunsNoCell() throws {
        let text = Self.tiny.replacingOccurrences(of: "gate-lookup: 0\n", with: "gate-lookup: 1.0\n") + "base.optimizer.max-steps: 1\n"
        let config = try writeConfig(text)
        let out = scratchURL()
        let r = try run(["study", "--config", config, "--out", out.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("the base model failed the gate"), r.stderr)
        XCTAssertTrue(r.stderr.contains("look-up"), r.stderr)
        let gate = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("base/gate.json"))) as? [String: Any])
        XCTAssertEqual(gate["passed"] as? Bool, false)
        XCTAssertEqual(gate["steps"] as? Int, 1)
        XCTAssertLessThan(try XCTUnwrap(gate["lookup"] as? Double), 1)
        XCTAssertEqual((gate["required"] as? [String: Double])?["lookup"], 1)
        XCTAssertFalse(exists(out, "runs"))
        XCTAssertFalse(exists(out, "results.json"))

        let again = try run(["study", "--config", config, "--out", out.path])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("the base model failed the gate"), again.stderr)
        XCTAssertEqual(count(again.stderr, "stage 0: training"), 0, again.stderr)
        XCTAssertFalse(exists(out, "runs"))
    }

    func testBadTrainingSettingFailsBeforeAnyRun() throws {
        let config = try writeConfig(Self.tiny.replacingOccurrences(of: "train.optimizer.learning-rate: 1e-3", with: "train.optimizer.learning-rate: -1"))
        let out = scratchURL()
        let r = try run(["study", "--config", config, "--out", out.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--learning-rate / optimizer.learning-rate: must be positive, got -1"), r.stderr)
        XCTAssertTrue(r.stderr.contains(config + ":"), "names the config file and line: \(r.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        // Base settings are checked the same way, and so is the config itself.
        let base = try writeConfig(Self.tiny.replacingOccurrences(of: "base.optimizer.epochs: 1", with: "base.optimizer.epochs: 0"))
        let badBase = try run(["study", "--config", base, "--out", out.path, "--dry-run"])
        XCTAssertNotEqual(badBase.status, 0)
        XCTAssertTrue(badBase.stderr.contains("epochs"), badBase.stderr)
        let unknown = try writeConfig(Self.tiny + "train.no-such-flag: 1\n")
        let badKey = try run(["study", "--config", unknown, "--out", out.path])
        XCTAssertNotEqual(badKey.status, 0)
        XCTAssertTrue(badKey.stderr.contains("'train.no-such-flag' is not a setting"), badKey.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        let missing = try run(["study", "--config", "/nonexistent/study.yaml"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/study.yaml: cannot read the config file"), missing.stderr)
    }
}
