import Foundation
import Core
import Models

/// An encoder and its WordPiece tokenizer, as a Hugging Face folder holds them (`config.json`,
/// `model.safetensors`, `tokenizer.json` or `vocab.txt`): the model NPM trains, indexes with and queries.
public final class NPMModel: @unchecked Sendable {
    public let encoder: EncoderModel
    public let tokenizer: WordPieceTokenizer
    /// The folder it was loaded from.
    public let folder: String
    /// The files besides the weights that a saved copy carries over.
    static let companionFiles = ["config.json", "tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]

    /// The default encoder: `$REMASK_ENCODER`, else all-MiniLM-L6-v2 in remask's cache (`bash scripts/fetch-model.sh minilm`).
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        if let p = env["REMASK_ENCODER"], !p.isEmpty { return p }
        return (env["REMASK_CACHE"] ?? (NSHomeDirectory() + "/.cache/remask")) + "/models/all-MiniLM-L6-v2"
    }

    public init(encoder: EncoderModel, tokenizer: WordPieceTokenizer, folder: String) {
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.folder = folder
    }

    /// Loads a folder; `maskedLMHead` adds BERT's masked-LM head (fresh from `seed` when the folder has none).
    public static func load(folder: String, maskedLMHead: Bool = false, seed: UInt64 = 0) throws -> NPMModel {
        let dir = URL(fileURLWithPath: folder)
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path) else {
            throw FileError(path: folder, "is not a model folder (no config.json); an encoder such as all-MiniLM-L6-v2 is fetched with `bash scripts/fetch-model.sh minilm`")
        }
        let tokenizerJSON = dir.appendingPathComponent("tokenizer.json"), vocab = dir.appendingPathComponent("vocab.txt")
        let tokenizer: WordPieceTokenizer
        if FileManager.default.fileExists(atPath: tokenizerJSON.path) {
            tokenizer = try WordPieceTokenizer(tokenizerJSON: tokenizerJSON)
        } else if FileManager.default.fileExists(atPath: vocab.path) {
            tokenizer = try WordPieceTokenizer(vocabTXT: vocab)
        } else {
            throw FileError(path: folder, "has no tokenizer.json or vocab.txt")
        }
        let encoder = try EncoderModel.load(folder: folder, maskedLMHead: maskedLMHead, seed: seed)
        guard tokenizer.vocabSize <= encoder.config.vocabSize else {
            throw FileError(path: folder, "the tokenizer has \(tokenizer.vocabSize) tokens, the model's vocab_size is \(encoder.config.vocabSize)")
        }
        return NPMModel(encoder: encoder, tokenizer: tokenizer, folder: folder)
    }

    /// Writes the model as a folder of the same layout: the weights (with the masked-LM head when it has one)
    /// and the source folder's configuration and tokenizer files; each file atomically.
    public func save(to output: URL) throws {
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        for p in encoder.parameters.parameters { writer.add(p.name, p.tensor) }
        try writer.write(to: output.appendingPathComponent("model.safetensors").path)
        let source = URL(fileURLWithPath: folder)
        for name in Self.companionFiles where output.standardizedFileURL != source.standardizedFileURL {
            let from = source.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: from.path) else { continue }
            try AtomicFile.write(data, to: output.appendingPathComponent(name))
        }
    }

    /// `ids` cut to the model's positions when longer: `[CLS]` and the end of the text are kept (where a mask
    /// usually is); `positions` move with the tokens, and those cut away are dropped.
    func fittingPositions(_ ids: [Int32], _ positions: [Int]) -> (ids: [Int32], positions: [Int]) {
        let limit = encoder.config.maxPositions
        guard ids.count > limit else { return (ids, positions) }
        let dropped = ids.count - limit
        return ([ids[0]] + ids.suffix(limit - 1), positions.map { $0 - dropped }.filter { $0 >= 1 })
    }

    /// The last layer's vector of every token of `blocks`, [Σ tokens, hidden], in block order, encoded in
    /// batches of `batchSize` blocks without building a graph.
    public func tokenVectors(_ blocks: [EncodedBlock], batchSize: Int = 16, progress: ((Int) -> Void)? = nil) -> Tensor {
        let d = encoder.config.hidden
        let out = Tensor(uninitialized: [blocks.reduce(0) { $0 + $1.ids.count }, d])
        var row = 0
        Autograd.withNoGrad {
            for first in stride(from: 0, to: blocks.count, by: batchSize) {
                let part = blocks[first..<min(first + batchSize, blocks.count)]
                let length = part.map(\.ids.count).max()!
                let ids = part.flatMap { $0.ids + [Int32](repeating: tokenizer.padID, count: length - $0.ids.count) }
                let hidden = encoder.hiddenStates(ids, batch: part.count, length: length, lengths: part.map(\.ids.count)).contiguous()
                for (i, block) in part.enumerated() {
                    (out.pointer + row * d).update(from: hidden.pointer + i * length * d, count: block.ids.count * d)
                    row += block.ids.count
                }
                progress?(first + part.count)
            }
        }
        return out
    }
}
