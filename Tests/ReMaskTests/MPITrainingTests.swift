import XCTest
import Foundation
import Core
@testable import ReMask
import TestSupport

/// `remask train` under Open MPI's `mpirun` (skipped where mpirun is not installed; `scripts/setup.sh` installs it):
/// two ranks compute the losses one process computes, an interrupted job resumes to the same weights, a killed
/// rank ends the job, the ranks talk over TCP between two network namespaces, and bad launches fail clearly.
final class MPITrainingTests: XCTestCase {
    func mpirun() throws -> URL { try MPIRun.executable() }
    static let environment = MPIRun.environment
    static let launch = MPIRun.options

    /// `remask train` arguments: 4 micro-batches of 2 per step (2 per rank), 8 steps, one thread, Float32 products
    /// (the tolerances below are Float32 rounding of another summation order; under bf16 a weight that moves by that
    /// much can round to a neighbouring bfloat16 and the runs part by more).
    func trainArguments(model: String, data: (train: String, val: String), out: URL, objective: String, lora: Bool = false,
                        steps: Int = 8, extra: [String] = []) -> [String] {
        ["train", "--model", model, "--data", data.train, "--val", data.val, "--objective", objective,
         "--micro-batch", "2", "--batch-size", "8", "--max-steps", String(steps), "--learning-rate", "1e-3", "--seed", "7",
         "--threads", "1", "--samples", "0", "--precision", "fp32", "--out", out.path]
            + (lora ? ["--lora-rank", "2", "--lora-alpha", "4", "--lora-dropout", "0.1", "--optimizer", "adamw"] : []) + extra
    }

    func runPlain(_ arguments: [String]) throws -> ProcessOutput {
        let out = try Subprocess.run(Subprocess.remask(), arguments)
        XCTAssertEqual(out.status, 0, out.stderr)
        return out
    }

    func startMPI(ranks: Int, _ arguments: [String], options: [String] = []) throws -> () throws -> ProcessOutput {
        try MPIRun.start(ranks: ranks, arguments, options: options)
    }

    func runMPI(ranks: Int, _ arguments: [String], options: [String] = []) throws -> ProcessOutput {
        let out = try startMPI(ranks: ranks, arguments, options: options)()
        XCTAssertEqual(out.status, 0, out.stderr)
        return out
    }

    func metrics(_ out: URL) throws -> [MetricsRow] { try MetricsLog.read(out.appendingPathComponent("metrics.jsonl")) }

    /// Every loss, part and gradient norm of `b`'s rows within `tolerance` (relative) of `a`'s, row by row; returns
    /// the largest relative difference.
    @discardableResult
    func assertSameLosses(_ a: [MetricsRow], _ b: [MetricsRow], tolerance: Double, _ label: String) -> Double {
        var largest = 0.0
        XCTAssertEqual(a.map(\.step), b.map(\.step), label)
        XCTAssertEqual(a.map(\.split), b.map(\.split), label)
        XCTAssertEqual(a.map(\.tokens), b.map(\.tokens), label)
        for (x, y) in zip(a, b) {
            for (name, u, v) in [("loss", x.loss, y.loss), ("ce_full", x.ceFull, y.ceFull), ("ce_masked", x.ceMasked, y.ceMasked),
                                 ("D", x.divergence, y.divergence), ("grad_norm", x.gradNorm, y.gradNorm)] {
                XCTAssertEqual(u == nil, v == nil, "\(label) step \(x.step) \(name)")
                guard let u, let v else { continue }
                largest = max(largest, abs(u - v) / max(abs(u), 1e-12))
                XCTAssertLessThanOrEqual(abs(u - v), tolerance * max(abs(u), 1e-12),
                                         "\(label) step \(x.step) \(x.split) \(name): one process \(u), mpirun \(v)")
            }
        }
        return largest
    }

    /// SFT, ReMask and ReMask with LoRA: two ranks of one thread give one process's per-step losses within 1e-5
    /// (the gradients' sums run in another order); one rank gives exactly one process's numbers.
    func testTwoRanksComputeWhatOneProcessComputes() throws {
        _ = try mpirun()
        let model = try tinyModel(), data = try sampleData()
        for (objective, lora) in [("sft", false), ("remask", false), ("remask", true)] {
            let label = "\(objective)\(lora ? " lora" : "")"
            let one = try makeScratchFolder(), two = try makeScratchFolder()
            _ = try runPlain(trainArguments(model: model, data: data, out: one, objective: objective, lora: lora))
            let output = try runMPI(ranks: 2, trainArguments(model: model, data: data, out: two, objective: objective, lora: lora))
            XCTAssertTrue(output.stdout.contains("on 2 ranks"), output.stdout)
            let a = try metrics(one), b = try metrics(two)
            XCTAssertEqual(a.filter { $0.split == .train }.count, 8, label)
            let largest = assertSameLosses(a, b, tolerance: 1e-5, label)
            print("\(label): 2 ranks vs one process, largest relative difference of a loss or gradient norm \(largest)")
            XCTAssertTrue(b.filter { $0.split == .train }.allSatisfy { $0.allReduceSeconds != nil }, label)
            if objective == "sft" && !lora {
                let single = try makeScratchFolder()
                _ = try runMPI(ranks: 1, trainArguments(model: model, data: data, out: single, objective: objective))
                assertSameLosses(a, try metrics(single), tolerance: 0, "one rank")
                XCTAssertEqual(try Data(contentsOf: one.appendingPathComponent("model.safetensors")),
                               try Data(contentsOf: single.appendingPathComponent("model.safetensors")), "one rank: weights")
            }
        }
    }

    /// SIGUSR1 to mpirun (forwarded to every rank) saves a checkpoint at one step on all ranks; `--resume` under
    /// mpirun then ends with the weights of a run never stopped, bit for bit.
    func testInterruptedJobResumesToTheSameWeights() throws {
        let mpirun = try mpirun()
        let model = try tinyModel(), data = try sampleData()
        let steps = 30
        let straight = try makeScratchFolder(), split = try makeScratchFolder()
        _ = try runMPI(ranks: 2, trainArguments(model: model, data: data, out: straight, objective: "remask", steps: steps))

        let arguments = trainArguments(model: model, data: data, out: split, objective: "remask", steps: steps)
        let process = Process()
        process.executableURL = mpirun
        process.arguments = Self.launch + ["-np", "2", try Subprocess.remask().path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(Self.environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let metricsURL = split.appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? String(contentsOf: metricsURL, encoding: .utf8)) ?? "").split(separator: "\n").count < 4 {
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGUSR1)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0, "stopped by SIGUSR1")
        let stopped = try XCTUnwrap(try CheckpointDirectory(output: split).latest()).state.step
        XCTAssertLessThan(stopped, steps, "the job was not stopped before its end")

        _ = try runMPI(ranks: 2, arguments + ["--resume"])
        XCTAssertEqual(try Data(contentsOf: straight.appendingPathComponent("model.safetensors")),
                       try Data(contentsOf: split.appendingPathComponent("model.safetensors")), "stopped at step \(stopped), then resumed")
        assertSameLosses(try metrics(straight), try metrics(split), tolerance: 0, "resumed")
    }

    /// SIGKILL to one rank ends the job within 30 s; the surviving rank names the last checkpoint, which loads.
    func testKilledRankEndsTheJob() throws {
        _ = try mpirun()
        let model = try tinyModel(), data = try sampleData()
        let out = try makeScratchFolder()
        let wait = try startMPI(ranks: 2, trainArguments(model: model, data: data, out: out, objective: "sft", steps: 100_000,
                                                         extra: ["--save-every", "3"]))
        let checkpoints = CheckpointDirectory(output: out)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (try? checkpoints.steps().last) ?? 0 < 6 { usleep(20_000) }
        let rank1 = try XCTUnwrap(rankProcess(1, argument: out.path), "rank 1's process not found")
        let killed = Date()
        kill(rank1, SIGKILL)
        let output = try wait()
        let seconds = Date().timeIntervalSince(killed)
        XCTAssertLessThanOrEqual(seconds, 30)
        XCTAssertNotEqual(output.status, 0)
        XCTAssertTrue(output.stderr.contains("remask rank 0: the job is ending"), output.stderr)
        XCTAssertTrue(output.stderr.contains("the last checkpoint is \(out.path)/checkpoints/step-"), output.stderr)
        let (found, damaged) = try checkpoints.latestValid()
        XCTAssertEqual(damaged, [])
        let checkpoint = try XCTUnwrap(found)
        XCTAssertGreaterThanOrEqual(checkpoint.state.step, 6)
        XCTAssertEqual(checkpoint.state.step % 3, 0)
        print("killed rank 1: the job ended \(String(format: "%.1f", seconds)) s later; last checkpoint step \(checkpoint.state.step)")
    }

    /// The pid of the rank `rank` of a job whose command line holds `argument` (found through /proc).
    func rankProcess(_ rank: Int, argument: String) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let command = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline")),
                  let environment = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/environ")) else { continue }
            let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.first?.hasSuffix("remask") == true, arguments.contains(argument), variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") {
                return pid
            }
        }
        return nil
    }

    /// Two "hosts" on one machine: network namespaces joined by a veth pair, one rank in each, MPI over TCP on that
    /// link only (mpirun starts the far rank's daemon through `ip netns exec` where it would use ssh); the losses
    /// are one process's. Needs root and iproute2.
    func testRanksInTwoNetworkNamespacesOverTCP() throws {
        _ = try mpirun()
        try XCTSkipUnless(getuid() == 0, "creating network namespaces needs root")
        let ip = try XCTUnwrap(["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) },
                               "iproute2's ip not installed")
        let tag = String(getpid() % 100_000)
        let (a, b) = ("remask-a\(tag)", "remask-b\(tag)")
        func sh(_ command: String) throws {
            let out = try Subprocess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", command])
            guard out.status == 0 else { throw XCTSkip("cannot set up network namespaces here (\(command): \(out.stderr))") }
        }
        defer { _ = try? Subprocess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "\(ip) netns del \(a); \(ip) netns del \(b)"]) }
        try sh("\(ip) netns add \(a) && \(ip) netns add \(b)")
        try sh("\(ip) link add va\(tag) netns \(a) type veth peer name vb\(tag) netns \(b)")
        try sh("\(ip) -n \(a) addr add 10.231.0.1/24 dev va\(tag) && \(ip) -n \(b) addr add 10.231.0.2/24 dev vb\(tag)")
        try sh("\(ip) -n \(a) link set va\(tag) up && \(ip) -n \(b) link set vb\(tag) up && \(ip) -n \(a) link set lo up && \(ip) -n \(b) link set lo up")

        let folder = try makeScratchFolder()
        let hostfile = folder.appendingPathComponent("hosts"), agent = folder.appendingPathComponent("netns-ssh")
        try "10.231.0.1 slots=1\n10.231.0.2 slots=1\n".write(to: hostfile, atomically: true, encoding: .utf8)
        // mpirun runs `<agent> <host> <command…>` to start its daemon on a host, as it would run ssh.
        try """
            #!/bin/sh
            host=$1; shift
            case "$host" in 10.231.0.1) ns=\(a) ;; 10.231.0.2) ns=\(b) ;; *) echo "netns-ssh: unknown host $host" >&2; exit 1 ;; esac
            exec \(ip) netns exec "$ns" /bin/sh -c "$*"
            """.write(to: agent, atomically: true, encoding: .utf8)
        chmod(agent.path, 0o755)

        let model = try tinyModel(), data = try sampleData()
        let one = try makeScratchFolder(), two = try makeScratchFolder()
        _ = try runPlain(trainArguments(model: model, data: data, out: one, objective: "remask"))
        let command = ([try mpirun().path] + Self.launch + ["-np", "2", "--hostfile", hostfile.path, "--map-by", "node",
                        "--mca", "plm_rsh_agent", agent.path, "--mca", "btl", "self,tcp",
                        "--mca", "btl_tcp_if_include", "10.231.0.0/24", "--mca", "oob_tcp_if_include", "10.231.0.0/24",
                        "-x", "PATH", try Subprocess.remask().path]
                       + trainArguments(model: model, data: data, out: two, objective: "remask"))
            .map { "'\($0)'" }.joined(separator: " ")
        let out = try Subprocess.run(URL(fileURLWithPath: ip), ["netns", "exec", a, "/bin/sh", "-c", command], environment: Self.environment)
        XCTAssertEqual(out.status, 0, out.stderr)
        assertSameLosses(try metrics(one), try metrics(two), tolerance: 1e-5, "two namespaces")
    }

    /// A launch that cannot work says why on every rank and fails: ranks whose settings differ (naming the
    /// setting), an MPI launch without Open MPI's library, a command that does not run distributed.
    func testBadLaunchesFailWithAMessage() throws {
        _ = try mpirun()
        let model = try tinyModel(), data = try sampleData()
        let out = try makeScratchFolder()
        let base = trainArguments(model: model, data: data, out: out, objective: "sft")
        let remask = try Subprocess.remask().path
        let differing = try Subprocess.run(mpirun(), Self.launch + ["-np", "1", remask] + base + [":", "-np", "1", remask] + base + ["--seed", "8"],
                                           environment: Self.environment)
        XCTAssertNotEqual(differing.status, 0)
        XCTAssertTrue(differing.stderr.contains("rank 1 holds settings, a model or data that differ from rank 0's (run.seed: rank 0 7, rank 1 8)"),
                      differing.stderr)

        let missing = try Subprocess.run(Subprocess.remask(), base, environment: [
            "OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "0", "REMASK_MPI_LIBRARY": "/nonexistent/libmpi.so.40"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("Open MPI's library /nonexistent/libmpi.so.40 could not be loaded"), missing.stderr)

        let eval = try Subprocess.run(mpirun(), Self.launch + ["-np", "2", remask, "tokenize", "--model", model, "--text", "hi"],
                                      environment: Self.environment)
        XCTAssertNotEqual(eval.status, 0)
        XCTAssertTrue(eval.stderr.contains("remask tokenize does not run distributed"), eval.stderr)
    }
}
