import ArgumentParser
import Core
import Foundation
import NPM

struct NPMTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an encoder with NPM's span masking and in-batch contrastive loss (or the masked-LM baseline).",
        discussion: """
            The corpus (JSONL with a text field, or plain text whose paragraphs are documents) is cut into blocks; a \
            step takes --batch-size neighbouring blocks, masks whole-word phrases that recur in another block of the \
            step (15% of tokens, span lengths geometric with p 0.5, at most 10), and pulls each span's [MASK_s] and \
            [MASK_e] outputs towards the first and last tokens of the phrase's other occurrences. --objective mlm \
            trains the same encoder as a plain masked LM with a softmax over its vocabulary instead (the baseline). \
            The trained model is written to --out with checkpoints in --out/checkpoints; --resume continues the newest.
            """)

    @OptionGroup var encoder: EncoderOptions
    @Option(help: "Training corpus: .jsonl (one object a line) or plain text.") var data: String
    @Option(help: "The JSONL field holding the text.") var field = "text"
    @Option(help: "Output folder (the trained model, metrics.jsonl, checkpoints/).") var out: String
    @Option(help: "npm (contrastive span retrieval) or mlm (the softmax baseline).") var objective = NPMObjective.npm
    @Option(help: "Optimizer steps.") var steps = 1000
    @Option(help: "Blocks per step (NPM's positives come from the other blocks of a step).") var batchSize = 16
    @Option(help: "Tokens per block, [CLS] and [SEP] included.") var blockLength = 128
    @Option(help: "Peak learning rate (AdamW, linear warm-up, cosine decay).") var lr: Float = 2e-5
    @Option(help: "Warm-up steps.") var warmupSteps = 50
    @Option(help: "AdamW weight decay.") var weightDecay: Float = 0.01
    @Option(help: "Share of each block's tokens to mask.") var maskBudget = 0.15
    @Option(help: "Span lengths: geometric with this p.") var spanP = 0.5
    @Option(help: "Longest masked span, in tokens.") var maxSpanLength = 10
    @Option(help: "Masked-LM objective: share of tokens to predict.") var mlmProbability = 0.15
    @Option(help: "Seed for the data order and the masks.") var seed: UInt64 = 0
    @Option(help: "Save a checkpoint every N steps.") var checkpointEvery = 200
    @Flag(help: "Continue from the newest checkpoint in --out.") var resume = false
    @Flag(help: "Write into an existing folder remask did not create.") var overwrite = false

    func run() throws {
        encoder.apply()
        var s = NPMTrainingSettings(model: encoder.model, data: data, out: out)
        s.field = field; s.objective = objective; s.steps = steps; s.batchSize = batchSize; s.blockLength = blockLength
        s.learningRate = lr; s.warmupSteps = min(warmupSteps, max(0, steps - 1)); s.weightDecay = weightDecay
        s.masking.budget = maskBudget; s.masking.geometricP = spanP; s.masking.maxSpanLength = maxSpanLength
        s.mlmProbability = mlmProbability; s.seed = seed; s.checkpointEvery = checkpointEvery; s.resume = resume; s.overwrite = overwrite
        let trainer = try NPMTrainer(settings: s)
        trainer.log = { Log.info($0) }
        Log.info("npm train: \(objective.rawValue) objective, \(trainer.blocks.count) blocks of ≤\(blockLength) tokens, \(steps) steps of \(batchSize) blocks, \(Parallel.threads) threads")
        let progress = ProgressLine("npm train", total: steps)
        let summary = try trainer.run { r in
            let halves = r.start.map { String(format: " (start %.3f, end %.3f)", $0, r.end ?? 0) } ?? ""
            progress.update(r.step, String(format: "loss %.4f%@, %d targets, lr %.2e, %.0f tok/s", r.loss, halves, r.targets, r.learningRate, r.tokensPerSecond))
        }
        progress.finish()
        Log.info(String(format: "npm train: %d steps, loss %.4f → %.4f, %.0f tokens/s", summary.steps, summary.firstLoss ?? .nan,
                        summary.lastLoss ?? .nan, summary.tokensPerSecond))
        if summary.interrupted { throw ExitCode(130) }
    }
}

extension NPMObjective: ExpressibleByArgument {}
