import ArgumentParser
import Foundation
import Models

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text as a JSON array.",
        discussion: "Reads --text, or standard input when --text is absent. Special tokens such as <|im_start|> written in the text are matched whole.")

    @OptionGroup var options: ModelOptions
    @Option(help: "The text (default: standard input).") var text: String?
    @Flag(help: "Also print each token's text, one per line, on standard error.") var verbose = false

    func run() throws {
        let lm = try options.load()
        let tokenizer = try lm.requireTokenizer()
        let ids = tokenizer.encode(textArgumentOrStandardInput(text))
        print("[" + ids.map(String.init).joined(separator: ", ") + "]")
        if verbose {
            for id in ids { Log.info("\(id)\t\(tokenizer.decode([id]).debugDescription)") }
        }
    }
}
