import XCTest
import Foundation
import TestSupport

/// The `remask` executable (built beside the test bundle) on bad input: one clear message, non-zero exit.
final class CommandLineTests: XCTestCase {
    func run(_ args: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> ProcessOutput {
        try Subprocess.run(Subprocess.remask(), args, stdin: stdin, environment: environment)
    }

    /// The fuzzer's fallback harness (scripts/fuzz.sh without libFuzzer) runs every target from its seeds.
    func testFuzzHarnessRunsEveryTargetFromItsSeeds() throws {
        let binary = try Subprocess.remask().deletingLastPathComponent().appendingPathComponent("remask-fuzz")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "remask-fuzz not built beside the tests")
        for target in ["gguf", "safetensors", "tokenizer", "wordpiece", "jsonl", "eval", "config", "study", "template"] {
            let r = try Subprocess.run(binary, [target, "--runs", "200", "--seed", "3"], directory: repositoryRoot)
            XCTAssertEqual(r.status, 0, "\(target): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("\(target): 200 runs") && r.stdout.contains("no crash"), "\(target): \(r.stdout)")
        }
        let usage = try Subprocess.run(binary, ["nope"], directory: repositoryRoot)
        XCTAssertNotEqual(usage.status, 0)
        XCTAssertTrue(usage.stderr.contains("usage: remask-fuzz"), usage.stderr)
    }

    func testMissingModelFile() throws {
        let r = try run(["score", "--model", "/nonexistent/m.gguf", "--text", "hi"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("/nonexistent/m.gguf: no such file or folder"), r.stderr)
    }

    func testBadFlags() throws {
        for (args, expected) in [(["bench", "--only", "nope"], "unknown benchmark 'nope'"),
                                 (["generate", "--top-p", "0"], "--top-p must be in (0, 1]"),
                                 (["export", "--out", "x", "--format", "safetensors", "--dtype", "q8_0"], "--dtype q8_0 needs --format gguf"),
                                 (["bench", "--heads", "4", "--kv-heads", "3"], "4 heads are not a multiple of the 3 key/value heads")] {
            let r = try run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
    }

    /// A kernel name OpenBLAS does not know still runs (OpenBLAS falls back, remask does not restart again),
    /// and `info --shell` quotes it so the shell reads back exactly the same value.
    func testInfoWithAGarbageKernelNameRunsAndQuotesItForTheShell() throws {
        let hostile = "No'Such $(core)"
        let plain = try run(["info"], environment: ["OPENBLAS_CORETYPE": hostile])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("OpenBLAS kernels") && plain.stdout.contains("OPENBLAS_CORETYPE=\(hostile)"), plain.stdout)

        let shell = try run(["info", "--shell"], environment: ["OPENBLAS_CORETYPE": hostile])
        XCTAssertEqual(shell.status, 0, shell.stderr)
        let readBack = try Subprocess.run(URL(fileURLWithPath: "/bin/bash"), ["-c", shell.stdout + "\nprintf %s \"$OPENBLAS_CORETYPE\""])
        XCTAssertEqual(readBack.stdout, hostile)
    }

    func testGarbageModelFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("remask-garbage-\(UUID().uuidString).gguf")
        try Data("this is not a model".utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let r = try run(["tokenize", "--model", path.path], stdin: "hello")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains(path.path) && r.stderr.contains("not a GGUF file"), r.stderr)
    }

    func testModelWithoutTokenizer() throws {
        let tiny = GoldenModelTests.fixtures.appendingPathComponent("tiny-llama").path
        let r = try run(["tokenize", "--model", tiny], stdin: "hello")
        XCTAssertNotEqual(r.status, 0, "the tiny fixture has no tokenizer")
        XCTAssertTrue(r.stderr.contains("the model has no tokenizer"), r.stderr)
    }

    func testTrainRejectsBadConfigsFlagsAndOutputFolders() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remask-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("run.yaml")
        try "objective: remask\nlearning-rat: 1e-5\n".write(to: config, atomically: true, encoding: .utf8)
        let data = folder.appendingPathComponent("train.jsonl")
        try #"{"prompt": "1+1?", "completion": "2"}"#.write(to: data, atomically: true, encoding: .utf8)
        let blocker = folder.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: blocker)
        let tiny = GoldenModelTests.fixtures.appendingPathComponent("tiny-llama").path
        let masked = folder.appendingPathComponent("masked.yaml")
        try "objective: masked-thought\nmasking: {rate: 0.3}\n".write(to: masked, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["train", "--config", config.path, "--data", data.path, "--out", "x"], "\(config.path):2"),
            (["train", "--data", data.path, "--out", "x", "--objective", "sft", "--mask-rate", "0.4"], "sft masks no inputs, so --mask-rate cannot apply"),
            (["train", "--data", data.path, "--out", "x", "--objective", "sft", "--no-protect-answer"], "--protect-answer cannot apply"),
            (["train", "--data", data.path, "--out", "x", "--objective", "sft", "--masking", "remask-cot"], "--masking remask-cot cannot apply"),
            (["train", "--config", masked.path, "--data", data.path, "--out", "x", "--objective", "sft"], "sft masks no inputs"),
            (["train", "--data", data.path, "--out", "x", "--masking", "spans"], "--masking must be one of none, masked-thought, remask, remask-cot"),
            (["train", "--data", data.path, "--out", "x", "--mask-mix", "0.3"], "--mask-mix applies only with --mask-replacement mix"),
            (["train", "--data", data.path, "--out", "x", "--objective", "masked-thought", "--label-mask-rate", "2"], "--label-mask-rate / masking.label-mask-rate: must be in [0, 1]"),
            (["train", "--data", data.path, "--out", "x", "--clip-norm=-1"], "--clip-norm / optimizer.clip-norm: must be positive"),
            (["train", "--data", data.path, "--out", "x", "--objective", "dpo"], "--objective must be one of sft, masked-thought, remask"),
            (["train", "--data", data.path, "--out", "x", "--batch-size", "24"], "--batch-size / optimizer.batch-size: must be a multiple of --micro-batch (16), got 24"),
            (["train", "--model", tiny, "--data", data.path, "--out", blocker.appendingPathComponent("run").path], blocker.path),
            (["train", "--data", data.path, "--out", "x", "--val-limit=-1"], "--val-limit / data.val-limit: must be at least 1, got -1"),
            (["train", "--data", data.path, "--out", "x", "--lilith-beta1=5"], "--lilith-beta1 / optimizer.lilith.beta1: must be in [0, 1), got 5"),
            (["train", "--data", data.path, "--out", "x", "--lilith-eps=-1"], "--lilith-eps / optimizer.lilith.eps: must be positive, got -1"),
            (["train", "--data", data.path, "--out", "x", "--lilith-g-norm-min=-1"], "--lilith-g-norm-min / optimizer.lilith.g-norm-min: must be zero or positive"),
            (["train", "--data", data.path, "--out", "x", "--optimizer", "adamw", "--adam-beta1", "1.5"], "--adam-beta1 / optimizer.adam.beta1: must be in [0, 1), got 1.5"),
            (["train", "--data", data.path, "--out", "x", "--optimizer", "adamw", "--adam-eps=-1"], "--adam-eps / optimizer.adam.eps: must be positive"),
            (["train", "--data", data.path, "--out", "x", "--weight-decay=-0.1"], "--weight-decay / optimizer.weight-decay: must be zero or positive"),
            (["train", "--data", data.path, "--out", "x", "--lora-rank=-3"], "--lora-rank / lora.rank: cannot be negative"),
            (["train", "--model", tiny, "--data", data.path, "--out", folder.appendingPathComponent("wide").path, "--lora-rank", "100000"],
             "--lora-rank must be at most"),
        ]
        for (args, expected) in cases {
            let r = try run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
    }

    /// A Hugging Face folder with the tiny Llama's weights and SmolLM2's tokenizer (whose ids outrun the tiny vocabulary).
    func tinyModelWithTokenizer() throws -> URL {
        let fixtures = fixturesDirectory
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("evalmodel-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (dir, name) in [("tiny-llama", "config.json"), ("tiny-llama", "model.safetensors"), ("smollm2-tokenizer", "tokenizer.json")] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(dir).appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        return folder
    }

    func testEvalErrors() throws {
        let fixtures = fixturesDirectory
        let model = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: model) }
        let bad = model.appendingPathComponent("bad.jsonl")
        try Data("{\"prompt\": \"a\", \"answer\": \"1\"}\n{\"prompt\": 3}\n".utf8).write(to: bad)
        let good = model.appendingPathComponent("good.jsonl")
        try Data("{\"prompt\": \"Two plus two is\", \"answer\": \"4\"}\n".utf8).write(to: good)
        let cases: [([String], String)] = [
            (["eval", "--task", "nope"], "The value 'nope' is invalid for '--task <task>'"),
            (["eval", "--task", "jsonl"], "--task jsonl needs --data FILE"),
            (["eval", "--task", "arc-challenge", "--model", fixtures.appendingPathComponent("tiny-llama").path], "has no tokenizer"),
            (["eval", "--task", "arc-challenge", "--model", model.path, "--data-dir", "/nonexistent/tasks"],
             "/nonexistent/tasks/arc_challenge/test_rc_5shot/requests.jsonl.gz: no such file"),
            (["eval", "--task", "jsonl", "--model", model.path, "--data", bad.path], "bad.jsonl:2: field \"prompt\" is not a string"),
            (["eval", "--task", "jsonl", "--model", model.path, "--data", good.path], "outside the model's vocabulary"),
            (["eval", "--task", "jsonl", "--model", model.path, "--data", good.path, "--out", "/nonexistent/r.json"], "no such folder /nonexistent"),
            (["eval", "--task", "jsonl", "--model", model.path, "--data", good.path, "--out", good.path], "--out is one of this command's inputs"),
            (["eval", "--task", "jsonl", "--model", model.path, "--data", good.path, "--out", bad.path], "--out exists; add --overwrite"),
        ]
        for (args, expected) in cases {
            let r = try run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try String(contentsOf: good, encoding: .utf8), "{\"prompt\": \"Two plus two is\", \"answer\": \"4\"}\n", "the task file is intact")
    }

    /// train, export and eval never write over their inputs, a file that exists or a folder the user owns.
    func testCommandsRefuseToWriteOverWhatTheUserOwns() throws {
        let model = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: model) }
        let before = try FileManager.default.contentsOfDirectory(atPath: model.path).sorted()
        let data = model.deletingLastPathComponent().appendingPathComponent("train-\(UUID()).jsonl")
        try Data(#"{"prompt": "1+1?", "completion": "2"}"#.utf8).write(to: data)
        defer { try? FileManager.default.removeItem(at: data) }
        let existing = model.appendingPathComponent("tokenizer.json").path
        let cases: [([String], String)] = [
            (["train", "--model", model.path, "--data", data.path, "--out", model.path], "--out is one of this command's inputs"),
            (["train", "--model", model.path, "--data", data.path, "--out", ""], "--out / run.out: is required"),
            (["train", "--model", model.path, "--data", data.path, "--out", "/"], "--out is the root folder"),
            (["train", "--model", model.path, "--data", data.path, "--out", model.deletingLastPathComponent().path], "--out holds one of this command's inputs"),
            (["export", "--model", model.path, "--out", model.path, "--format", "safetensors", "--overwrite"], "--out is one of this command's inputs"),
            (["export", "--model", model.path, "--out", existing, "--format", "gguf"], "--out exists; add --overwrite to replace it"),
        ]
        for (args, expected) in cases {
            let r = try run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: model.path).sorted(), before, "nothing written into the model folder")
    }

    /// Texts longer than the model's context (64 positions for the tiny model) are refused with a message.
    func testInputsLongerThanTheContextAreRefused() throws {
        let model = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: model) }
        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 20)
        let score = try run(["score", "--model", model.path], stdin: long)
        XCTAssertNotEqual(score.status, 0)
        XCTAssertTrue(score.stderr.contains("more than the model's context of 64; score a shorter text"), score.stderr)
        let generate = try run(["generate", "--model", model.path, "--prompt", "Hi", "--max-tokens", "100"])
        XCTAssertNotEqual(generate.status, 0)
        XCTAssertTrue(generate.stderr.contains("with up to 100 new ones (--max-tokens) that is more than the model's context of 64"), generate.stderr)
    }
}
