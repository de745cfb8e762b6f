import Foundation
import Core
import NN
import Models
import ReMask
import NPM

/// Valid inputs each target starts from: a tiny model exported as GGUF and as safetensors with its
/// tokenizer.json, the shipped configs, the bundled data, and chat templates.
enum Seeds {
    static func of(_ target: FuzzTarget) throws -> [Data] {
        switch target {
        case .gguf: return [try model().gguf]
        case .safetensors: return [try model().safetensors]
        case .tokenizer: return [try model().tokenizerJSON]
        case .wordpiece:
            let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "##s", "world", "!", ",", "don", "'", "t"]
            let template: [[String: Any]] = [["SpecialToken": ["id": "[CLS]"]], ["Sequence": ["id": "A"]], ["SpecialToken": ["id": "[SEP]"]]]
            let json: [String: Any] = [
                "added_tokens": (0..<5).map { ["id": $0, "content": vocab[$0], "special": true] as [String: Any] },
                "normalizer": ["type": "BertNormalizer", "lowercase": true] as [String: Any],
                "pre_tokenizer": ["type": "BertPreTokenizer"],
                "post_processor": ["type": "TemplateProcessing", "single": template,
                                   "special_tokens": ["[CLS]": ["tokens": ["[CLS]"]], "[SEP]": ["tokens": ["[SEP]"]]]] as [String: Any],
                "decoder": ["type": "WordPiece", "prefix": "##"],
                "model": ["type": "WordPiece", "vocab": Dictionary(uniqueKeysWithValues: vocab.enumerated().map { ($1, $0) })] as [String: Any],
            ]
            return [try JSONSerialization.data(withJSONObject: json), Data(vocab.joined(separator: "\n").utf8)]
        case .jsonl:
            return [Data(sampleLines(8).utf8),
                    Data(#"{"prompt": "2+3?", "rationale": "2+3=5", "answer": "5"}\n{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n{"prompt": "a", "completion": "b"}"#.utf8)]
        case .eval:
            return [Data(#"{"prompt": "Q: 2+2?\nA:", "choices": [" 4", " 5"], "gold": 0, "id": "a"}\n{"prompt": "Q: 3+3?\nA:", "choices": [" 6", " 7"], "gold": 0}"#.utf8),
                    Data(#"{"prompt": "2+2?", "answer": "4", "stop": ["\n"]}\n{"prompt": "3+3?", "answer": "6"}"#.utf8),
                    Data(#"{"text": "some text to score"}"#.utf8)]
        case .config:
            return try configs { !$0.hasPrefix("study-") }
        case .study:
            return try configs { $0.hasPrefix("study-") }
        case .npm:
            let documents = [CorpusDocument(text: "Glass pianos ring.", source: SourceLocation(file: "c.txt", line: 1))]
            let ids: [Int32] = [2, 7, 8, 9, 3]
            let index = PhraseIndex(vectors: Tensor((0..<20).map { Float($0) / 7 }, shape: [5, 4]), tokenIDs: ids,
                                    startsWord: [true, true, true, true, true], block: [0, 0, 0, 0, 0], document: [0, 0, 0, 0, 0],
                                    offsets: [0..<0, 0..<5, 6..<12, 13..<18, 0..<0], documents: documents)
            let folder = Scratch.folder.appendingPathComponent("npm-seed")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try index.save(to: folder, model: "m", blockLength: 8, vocabSize: 16)
            let task = "{\"input\": \"Good. It was [MASK].\", \"label\": 1, \"labels\": [\"bad\", \"good\"]}\n{\"input\": \"[MASK] rings.\", \"answers\": [\"glass\"], \"context\": \"Glass rings.\"}\n"
            return [try Data(contentsOf: folder.appendingPathComponent("index.bin")), Data(task.utf8)]
        case .template:
            let smol = repository.appendingPathComponent("Tests/Fixtures/smollm2-tokenizer/chat_template.jinja")
            return [Data(PromptFormat.seedChatTemplate.utf8), try Data(contentsOf: smol)]
        }
    }

    /// The documents file every fuzzed NPM index is read with (the seed index's).
    static let npmDocuments = "{\"file\": \"c.txt\", \"line\": 1, \"text\": \"Glass pianos ring.\"}\n"

    static let repository = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)

    private static func configs(_ keep: (String) -> Bool) throws -> [Data] {
        let folder = repository.appendingPathComponent("configs")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") && keep($0) }.sorted()
            .map { try Data(contentsOf: folder.appendingPathComponent($0)) }
    }

    private static func sampleLines(_ n: Int) -> String {
        let url = repository.appendingPathComponent("data/sample/train.jsonl")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").prefix(n).joined(separator: "\n")
    }

    /// A 1-layer decoder with a 20-merge tokenizer, exported once.
    private static func model() throws -> (gguf: Data, safetensors: Data, tokenizerJSON: Data) {
        let folder = Scratch.folder.appendingPathComponent("seed-model")
        let tokenizer = try BPETrainer.train(["a=74, b=a+5, c=b/3. c?", "The bakery has 41 rolls.", "Hello, world!"], merges: 20,
                                             preTokenizer: .smollm, specials: ["<|endoftext|>"] + PromptFormat.seed.specialTokens)
        let config = DecoderConfig.llama(vocabSize: tokenizer.vocabSize, hidden: 16, layers: 1, heads: 2, kvHeads: 2, intermediate: 32,
                                         tiedEmbeddings: true, maxPositions: 64)
        let lm = LanguageModel(model: CausalLM(config: config, seed: 1), tokenizer: tokenizer, chatTemplate: PromptFormat.seedChatTemplate,
                               path: folder.path)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let gguf = folder.appendingPathComponent("m.gguf")
        try ModelExport.export(lm, to: gguf.path, format: .gguf, dtype: .q8_0)
        let hf = folder.appendingPathComponent("hf")
        try ModelExport.export(lm, to: hf.path, format: .safetensors, dtype: .f32)
        return (try Data(contentsOf: gguf), try Data(contentsOf: hf.appendingPathComponent("model.safetensors")),
                try Data(contentsOf: hf.appendingPathComponent("tokenizer.json")))
    }
}
