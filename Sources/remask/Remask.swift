import ArgumentParser
import Core
import ReMask

@main
struct Remask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remask",
        abstract: "Fine-tune causal language models with regularized masking (SFT, Masked Thought, ReMask).",
        subcommands: [TrainCommand.self, EvalCommand.self, GenerateCommand.self, ChatCommand.self, TokenizeCommand.self, ScoreCommand.self,
                      ExportCommand.self, DemoCommand.self, BenchCommand.self, StudyCommand.self, InfoCommand.self])

    /// `remask train --config FILE` reads the file's settings as flags first (flags on the command line win).
    static func main() {
        BLASKernels.restartWithBetterKernelsIfNeeded()
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "train" {
            do {
                arguments = ["train"] + (try ConfigArguments.expand(Array(arguments.dropFirst()), allowedKeys: TrainCommand.configKeys))
            } catch {
                exit(withError: ValidationError("\(error)"))
            }
        }
        main(arguments)
    }
}
