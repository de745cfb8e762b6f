import ArgumentParser
import Core
import Foundation
import NPM

/// `remask npm …`: the nonparametric masked language model (Min et al. 2022).
struct NPMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "npm",
        abstract: "NPM, the nonparametric masked language model: fill masked spans by retrieving phrases from a corpus.",
        discussion: """
            An encoder maps every token of a reference corpus to a vector; a masked span, written [MASK] and read as \
            [MASK_s][MASK_e], is filled with the corpus phrase whose first and last tokens are nearest to the two \
            queries, so it can be any length and any word of the corpus. Typical use:
              remask npm train --data corpus.jsonl --out runs/npm
              remask npm index --model runs/npm --corpus corpus.jsonl --out runs/npm-index
              remask npm fill  --model runs/npm --index runs/npm-index --text "The capital of France is [MASK]."
              remask npm eval  --model runs/npm --index runs/npm-index --task ~/.cache/remask/npm-data/tasks/sst2.jsonl
            See docs/npm.md.
            """,
        subcommands: [NPMTrainCommand.self, NPMIndexCommand.self, NPMFillCommand.self, NPMEvalCommand.self])
}

/// The encoder folder and threads every `npm` subcommand takes.
struct EncoderOptions: ParsableArguments {
    @Option(help: "Encoder folder (BERT family: config.json, model.safetensors, tokenizer.json or vocab.txt). Default: $REMASK_ENCODER, else all-MiniLM-L6-v2 in remask's cache.")
    var model: String = NPMModel.defaultPath
    @Option(help: "Worker threads; default: all cores.") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func apply() { if let threads { Parallel.threads = threads } }
}
