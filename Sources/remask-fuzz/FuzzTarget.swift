import Foundation
import Core
import Models
import ReMask
import Evaluation
import Study
import NPM

/// One parser of user input, driven by arbitrary bytes. A thrown error is the right answer to bad bytes; a
/// crash, a hang or a huge allocation is a bug.
enum FuzzTarget: String, CaseIterable {
    case gguf, safetensors, tokenizer, wordpiece, jsonl, eval, config, study, template, npm

    /// Parses `data` the way the tool reads such a file, going as far as the bytes allow.
    func run(_ data: Data) {
        switch self {
        case .gguf:
            guard let file = try? GGUFFile(data: data, name: "fuzz.gguf") else { return }
            _ = try? DecoderConfig.gguf(file)
            for info in file.tensors.prefix(8) where info.elementCount <= 1 << 16 { _ = try? file.tensor(info.name) }
        case .safetensors:
            guard let file = try? SafetensorsFile(data: data, name: "fuzz.safetensors") else { return }
            for name in file.tensorNames.prefix(8) { _ = try? file.tensor(name) }
        case .tokenizer:
            guard let tokenizer = try? BPETokenizer(tokenizerJSON: Scratch.write(data, "tokenizer.json")) else { return }
            _ = tokenizer.decode(tokenizer.encode("Hello, world! 12 + 30 = 42 <|user|> ünïcödé", addSpecial: true))
        case .wordpiece:
            // The same bytes as a tokenizer.json and as a vocab.txt.
            let loaded = [try? WordPieceTokenizer(tokenizerJSON: Scratch.write(data, "tokenizer.json")),
                          try? WordPieceTokenizer(vocabTXT: Scratch.write(data, "vocab.txt"))]
            for tokenizer in loaded.compactMap({ $0 }) {
                _ = tokenizer.decode(tokenizer.encode("Héllo, [MASK] wörld! 12 + 30 = 42 日本 don't\t\u{301}x"), skipSpecial: false)
            }
        case .jsonl:
            _ = try? JSONLReader.parse(data, file: "fuzz.jsonl", skipBadLines: true)
            _ = try? JSONLReader.parse(data, file: "fuzz.jsonl", skipBadLines: false)
        case .eval:
            let url = Scratch.write(data, "task.jsonl")
            _ = try? UserTaskFile.read(url.path)
            _ = try? UserTaskFile.documents(url.path)
        case .config:
            guard let text = String(data: data, encoding: .utf8),
                  let document = try? ConfigDocument(text: text, path: "fuzz.yaml", shorthands: TrainingSettings.shorthands),
                  let settings = try? document.decode(TrainingSettings.self) else { return }
            _ = try? settings.validate()
            _ = try? settings.yaml()
        case .study:
            guard let text = String(data: data, encoding: .utf8),
                  let document = try? ConfigDocument(text: text, path: "fuzz.yaml", shorthands: TrainingSettings.shorthands),
                  let config = try? StudyConfig(document) else { return }
            for cell in config.cells.prefix(4) { _ = try? config.settings(for: cell, data: "t", validation: "v", out: "o", model: "m") }
        case .template:
            guard let source = String(data: data, encoding: .utf8), let template = try? ChatTemplate(source) else { return }
            let messages = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "2+2?"),
                            ChatMessage(role: "assistant", content: "4")]
            _ = try? template.render(messages: messages, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>")
        case .npm:
            // The bytes as an index file (beside the seed's documents), as a task file and as a corpus.
            let folder = Scratch.folder.appendingPathComponent("npm-index")
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try? data.write(to: folder.appendingPathComponent("index.bin"))
            try? Data(Seeds.npmDocuments.utf8).write(to: folder.appendingPathComponent("documents.jsonl"))
            if let (index, _, _) = try? PhraseIndex.load(folder: folder), index.count > 1 { _ = index.text(1, 1) }
            _ = try? ZeroShotTask.read(Scratch.write(data, "task.jsonl").path)
            _ = try? TextCorpus.read(Scratch.write(data, "corpus.jsonl").path)
            _ = try? TextCorpus.read(Scratch.write(data, "corpus.txt").path)
        }
    }
}

/// A per-process scratch folder for parsers that read a path.
enum Scratch {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("remask-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static func write(_ data: Data, _ name: String) -> URL {
        let url = folder.appendingPathComponent(name)
        try? data.write(to: url)
        return url
    }
}
