import XCTest
import Foundation
import Core
import Models
import TestSupport

/// The model and data the trainer's tests train on.
extension XCTestCase {
    /// A tiny Llama with SmolLM2's vocabulary and tokenizer, exported as a Hugging Face folder.
    func tinyModel() throws -> String {
        let folder = try makeScratchFolder().appendingPathComponent("tiny")
        let config = DecoderConfig.llama(vocabSize: DataFixtures.original.vocabulary.count, hidden: 16, layers: 2, heads: 2,
                                         kvHeads: 1, intermediate: 32, tiedEmbeddings: true)
        let lm = LanguageModel(model: CausalLM(config: config, seed: 1), tokenizer: DataFixtures.original,
                               chatTemplate: DataFixtures.chatTemplateSource, path: folder.path)
        try ModelExport.export(lm, to: folder.path, format: .safetensors, dtype: .f32)
        return folder.path
    }

    /// The first lines of the bundled chain-of-thought and chat samples.
    func sampleData(cot: Int = 12, chat: Int = 4) throws -> (train: String, val: String) {
        let folder = try makeScratchFolder()
        func lines(_ name: String, _ n: Int) throws -> [Substring] {
            try String(contentsOf: repositoryRoot.appendingPathComponent("data/sample/\(name)"), encoding: .utf8)
                .split(separator: "\n").prefix(n).map { $0 }
        }
        let train = folder.appendingPathComponent("train.jsonl"), val = folder.appendingPathComponent("val.jsonl")
        try ((try lines("cot-train.jsonl", cot)) + (try lines("chat-train.jsonl", chat))).joined(separator: "\n").write(to: train, atomically: true, encoding: .utf8)
        try ((try lines("cot-val.jsonl", 4)) + (try lines("chat-val.jsonl", 2))).joined(separator: "\n").write(to: val, atomically: true, encoding: .utf8)
        return (train.path, val.path)
    }
}
