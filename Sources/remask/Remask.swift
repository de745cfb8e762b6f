import ArgumentParser

@main
struct Remask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remask",
        abstract: "Fine-tune causal language models with regularized masking (SFT, Masked Thought, ReMask).",
        subcommands: [GenerateCommand.self, ChatCommand.self, TokenizeCommand.self, ScoreCommand.self, ExportCommand.self, DemoCommand.self, BenchCommand.self])
}
