import ArgumentParser

@main
struct Remask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remask",
        abstract: "Fine-tune causal language models with regularized masking (SFT, Masked Thought, ReMask).",
        subcommands: [DemoCommand.self, BenchCommand.self])
}
