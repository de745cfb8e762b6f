import ArgumentParser
import Foundation
import Core
import NN
import Models
import ReMask
import MessagePassing

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a model with SFT, Masked Thought or ReMask.",
        discussion: """
            Data: JSONL, one example per line, in any of three shapes: chat {"messages": [{"role": …, "content": …}]}, \
            chain of thought {"prompt", "rationale", "answer"}, completion {"prompt", "completion"}. Labels sit on \
            responses, rationales and answers only.

            Defaults are the ReMask recipe: objective remask with ReMask-CoT rules on chain-of-thought rows, 40% of \
            response inputs replaced by [mask], consistency weight 0.1 on the symmetric KL, Lilith at lr 1e-5 with \
            One Cycle cosine, micro-batches of 16 accumulated to 256, 6 epochs, 256 tokens, no gradient clipping.

            Masking: the objective picks the defaults (sft: nothing masked, no label rules; masked-thought: Chen et \
            al.'s, a Binomial count of response tokens replaced by random tokens, rate ramped over the first 2/3, \
            answers maskable, no label rules; remask: ReMask-CoT). --masking PRESET replaces them, --cot-rules / \
            --no-cot-rules sets answer protection and both label rules, and every single masking flag given then \
            overrides, for any objective. The label rules (--label-mask-rate, --answer-only-rate, --cot-rules) work \
            with sft too; input-masking flags with sft are an error. ReMask's own masking and CoT label rules under \
            one pass with no divergence: --objective masked-thought --masking remask-cot.

            Every setting can also come from --config FILE (YAML or JSON) in six groups, data, objective, masking, \
            optimizer, lora and run, as docs/config.md lists them (optimizer: {learning-rate: 3e-4}, or \
            optimizer.learning-rate: 3e-4); flags on the command line win. The output folder receives settings.yaml (the \
            settings used, a config file that runs it again), checkpoints/, \
            metrics.jsonl, loss.svg and the trained model (config.json, model.safetensors, tokenizer files), which \
            remask generate, chat, score and export load; with LoRA also adapter/ (PEFT format). Ctrl-C saves a \
            checkpoint; run the same command with --resume to continue bit-identically.

            Data parallel: under Open MPI's mpirun (mpirun -np N remask train …) every rank trains on its share of each \
            step's micro-batches and the gradients are summed once per step; rank 0 writes --out; --threads defaults \
            to the host's cores divided by its ranks. SIGUSR1 to mpirun saves a checkpoint and stops. Hosts, network \
            and reproducibility: docs/distributed.md.
            """)

    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @Option(help: "Config file (YAML or JSON) with the settings in groups: data, objective, masking, optimizer, lora, run (docs/config.md).")
    var config: String?
    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Objective") var objective: ObjectiveOptions
    @OptionGroup(title: "Masking") var masking: MaskingOptions
    @OptionGroup(title: "Optimizer") var optimizer: OptimizerOptions
    @OptionGroup(title: "LoRA") var lora: LoRAOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions
    @Flag(name: .customLong("print-settings"), help: "Print the settings the run would use, as a config file, and exit (the run also writes them to --out as settings.yaml).")
    var printSettings = false

    func validate() throws {
        _ = try settings()
    }

    /// The run's settings: the recipe's defaults, then the config file's, then the flags given; validated.
    func settings() throws -> TrainingSettings {
        var s = TrainingSettings()
        if let config {
            s = try ConfigDocument(path: config, shorthands: TrainingSettings.shorthands).decode(TrainingSettings.self)
        }
        if let model = modelOptions.model { s.run.model = model }
        if let threads = modelOptions.threads { s.run.threads = threads }
        try data.apply(to: &s.data)
        try objective.apply(to: &s.objective)
        try masking.apply(to: &s.masking)
        try optimizer.apply(to: &s.optimizer)
        try lora.apply(to: &s.lora)
        runOptions.apply(to: &s.run)
        do {
            try s.validate()
        } catch {
            throw ValidationError(config.map { "\(error) (settings from \($0) and the command line)" } ?? error.description)
        }
        return s
    }

    func run() throws {
        let settings = try settings()
        if printSettings {
            print(try settings.yaml(), terminator: "")
            return
        }
        let distributed = try DistributedRun.start("remask train", threads: settings.run.threads)
        let group = distributed.group
        distributed.announce("remask train")
        let samples = group.isLeader ? settings.run.samples : 0, sampleTokens = settings.run.sampleTokens
        let summary: TrainingSummary
        var before: [SampleGeneration] = []
        let trainer: Trainer
        do {
            trainer = try Trainer(settings, group: group, log: distributed.log)
            before = trainer.sampleGenerations(count: settings.run.resume ? 0 : samples, maxTokens: sampleTokens)
            summary = try trainer.run()
        } catch {
            if case TrainingError.interrupted(let signal, _) = error {
                distributed.log("remask train: \(error)")
                distributed.finish()
                throw ExitCode(InterruptSignal.exitStatus(for: signal))
            }
            distributed.fail("remask train: \(error)")
        }
        let after = trainer.sampleGenerations(count: samples, maxTokens: sampleTokens)
        distributed.finish()
        guard group.isLeader else { return }
        print(String(format: "trained %d steps, %d tokens in %.0f s (%.0f tokens/s)", summary.steps, summary.tokens, summary.seconds,
                     Double(summary.tokens) / max(summary.seconds, 1e-9))
              + (group.size > 1 ? String(format: " on %d ranks; summing gradients took %.1f s (%.1f%%), waiting for the slowest rank %.1f s (%.1f%%)",
                                         group.size, summary.allReduceSeconds, 100 * summary.allReduceSeconds / max(summary.seconds, 1e-9),
                                         summary.rankWaitSeconds, 100 * summary.rankWaitSeconds / max(summary.seconds, 1e-9)) : ""))
        if let a = summary.validationAfter {
            let b = summary.validationBefore.map { String(format: "%.4f → ", $0) } ?? ""
            print("validation loss: \(b)\(String(format: "%.4f", a))")
        }
        for (i, sample) in after.enumerated() {
            print("\n── sample \(i + 1) " + String(repeating: "─", count: 60))
            print(sample.prompt.trimmingCharacters(in: .whitespacesAndNewlines))
            if i < before.count { print("· before: \(oneLine(before[i].output))") }
            print("· after:  \(oneLine(sample.output))")
            print("· reference: \(oneLine(sample.reference))")
        }
        print("\nmodel, metrics.jsonl and loss.svg in \(settings.run.out)")
    }

    private func oneLine(_ s: String) -> String {
        s.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ⏎ ")
    }
}
