import ArgumentParser
import Core
import MessagePassing

@main
struct Remask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remask",
        abstract: "Fine-tune causal language models with regularized masking (SFT, Masked Thought, ReMask).",
        subcommands: [TrainCommand.self, EvalCommand.self, GenerateCommand.self, ChatCommand.self, TokenizeCommand.self, ScoreCommand.self,
                      ExportCommand.self, DemoCommand.self, BenchCommand.self, StudyCommand.self, InfoCommand.self, ServeCommand.self,
                      NPMCommand.self])

    static func main() {
        BLASKernels.restartWithBetterKernelsIfNeeded()
        let command = CommandLine.arguments.dropFirst().first ?? ""
        if !["train", "study"].contains(command) {
            do {
                try MPILaunch.requireSingleProcess("remask \(command)")
            } catch {
                exit(withError: ValidationError("\(error)"))
            }
        }
        main(nil)
    }
}
