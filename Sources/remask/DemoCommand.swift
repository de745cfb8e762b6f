import ArgumentParser
import Foundation
import Core
import Bench

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a tiny decoder from scratch on a built-in corpus and show what it learned.",
        discussion: "An end-to-end check of the engine: the loss falls and greedy completions turn from noise into the corpus.")

    @Option(help: "Training steps.") var steps = 150
    @Option(help: "Seed for weights and data order.") var seed: UInt64 = 7
    @Option(help: "Prompt to complete before and after training.") var prompt = "the quick brown"

    func validate() throws {
        if steps <= 0 { throw ValidationError("--steps must be positive") }
        if TinyDemo.encode(prompt).isEmpty { throw ValidationError("--prompt needs characters from the corpus: \(String(decoding: TinyDemo.alphabet, as: UTF8.self))") }
    }

    func run() throws {
        let untrained = TinyDemo.train(steps: 0, seed: seed)
        print("before training: \(TinyDemo.complete(untrained.model, prompt, count: 24).debugDescription)")
        let bar = ProgressLine("training", total: steps)
        let start = Date()
        let run = TinyDemo.train(steps: steps, seed: seed) { step, loss in bar.update(step + 1, "loss \(String(format: "%.3f", loss))") }
        bar.finish()
        let first = run.losses.first!, last = run.losses.last!
        print(String(format: "loss %.3f → %.3f in %d steps (%.1f s)", first, last, steps, Date().timeIntervalSince(start)))
        print("after training:  \(TinyDemo.complete(run.model, prompt, count: 24).debugDescription)")
    }
}
