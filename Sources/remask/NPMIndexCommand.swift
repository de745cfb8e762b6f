import ArgumentParser
import Core
import Foundation
import NPM
import ReMask

struct NPMIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Encode every token of a reference corpus into an NPM phrase index (exact inner-product search).",
        discussion: "Writes --out/index.bin (token ids, word starts, sources, float16 vectors) and --out/documents.jsonl (the text, to show where a phrase came from).")

    @OptionGroup var encoder: EncoderOptions
    @Option(help: "Reference corpus: .jsonl (one object a line) or plain text.") var corpus: String
    @Option(help: "The JSONL field holding the text.") var field = "text"
    @Option(help: "Index folder to write.") var out: String
    @Option(help: "Tokens per block, [CLS] and [SEP] included.") var blockLength = 128
    @Option(help: "Blocks encoded together.") var batchSize = 16
    @Flag(help: "Write into an existing folder remask did not create.") var overwrite = false

    func run() throws {
        encoder.apply()
        let lock = try OutputPolicy.claimFolder(out, inputs: [encoder.model, corpus], overwrite: overwrite, command: "remask npm index")
        defer { lock?.unlock() }
        let model = try NPMModel.load(folder: encoder.model)
        guard blockLength >= 8 && blockLength <= model.encoder.config.maxPositions else {
            throw NPMError.invalidSettings("--block-length must be 8…\(model.encoder.config.maxPositions)")
        }
        let documents = try TextCorpus.read(corpus, field: field)
        let clock = ContinuousClock.now
        var progress: ProgressLine?
        let index = PhraseIndex.build(model: model, documents: documents, blockLength: blockLength, batchSize: batchSize) { done, total in
            if progress == nil { progress = ProgressLine("npm index", total: total) }
            progress?.update(done, "blocks")
        }
        progress?.finish()
        let seconds = (ContinuousClock.now - clock) / .seconds(1)
        try index.save(to: URL(fileURLWithPath: out), model: encoder.model, blockLength: blockLength, vocabSize: model.encoder.config.vocabSize)
        Log.info(String(format: "npm index: %d documents, %d tokens in %.1f s (%.0f tokens/s), %d × %d vectors → %@", documents.count, index.count,
                        seconds, Double(index.count) / seconds, index.count, index.dim, out))
    }
}
