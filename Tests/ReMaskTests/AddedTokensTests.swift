import XCTest
import Foundation
import Core
import Models
@testable import ReMask
import TestSupport

final class AddedTokensTests: XCTestCase {
    let tags = PromptFormat.seed.specialTokens + [MaskTokens.maskToken]

    func testAddedTokensAreMatchedWholeAndExistingIdsStay() throws {
        let original = DataFixtures.original
        let (t, ids) = try original.addingSpecialTokens(tags + ["<|im_end|>", "<|user|>"])
        let n = Int32(original.vocabSize)
        XCTAssertEqual(ids, [n, n + 1, n + 2, n + 3, n + 4, n + 5, original.id(of: "<|im_end|>")!, n + 1])
        XCTAssertEqual(t.vocabSize, original.vocabSize + 6)
        XCTAssertEqual(Array(t.vocabulary.prefix(original.vocabSize)), original.vocabulary)
        XCTAssertEqual(Array(t.tokenTypes.prefix(original.vocabSize)), original.tokenTypes)
        XCTAssertTrue(t.tokenTypes.suffix(6).allSatisfy { $0 == BPETokenizer.TokenType.control.rawValue })
        XCTAssertEqual(t.eosID, original.eosID)
        let text = "<|user|>\nWhat is 2+2?\n<|rationale|>\nTwo [mask] two.<|im_end|>"
        XCTAssertEqual(t.encode(text), [n + 1] + original.encode("\nWhat is 2+2?\n") + [n + 3] + original.encode("\nTwo ")
                       + [n + 5] + original.encode(" two.") + [original.id(of: "<|im_end|>")!])
        XCTAssertEqual(t.decode(t.encode(text)), text)
        XCTAssertEqual(original.encode("Hello, world 123"), t.encode("Hello, world 123"))
        let (same, sameIDs) = try t.addingSpecialTokens(["<|answer|>"])
        XCTAssertTrue(same === t)
        XCTAssertEqual(sameIDs, [n + 4])
        XCTAssertThrowsError(try original.addingSpecialTokens([""]))
    }

    func testGrownVocabularyRowsStartAtTheMean() throws {
        let lm = try LanguageModel.load(fixturesDirectory.appendingPathComponent("tiny-llama").path)
        let old = lm.model, v = old.config.vocabSize, h = old.config.hidden
        XCTAssertFalse(old.config.tiedEmbeddings)
        let grown = old.growingVocabulary(by: 3)
        XCTAssertEqual(grown.config.vocabSize, v + 3)
        for p in old.parameters.parameters {
            let q = try XCTUnwrap(grown.parameters[p.name])
            XCTAssertEqual(Array(q.tensor.values.prefix(p.count)), p.tensor.values, p.name)
            guard q.count > p.count else { continue }
            XCTAssertTrue(AddedTokensTests.vocabularyTables.contains(p.name), p.name)
            let table = p.tensor.values
            for j in 0..<h {
                let mean = (0..<v).reduce(0.0) { $0 + Double(table[$1 * h + j]) } / Double(v)
                for r in v..<v + 3 { XCTAssertEqual(Double(q.tensor.values[r * h + j]), mean, accuracy: 1e-6, "\(p.name) row \(r)") }
            }
        }
        // The old tokens' logits are unchanged.
        let ids: [Int32] = [1, 5, 9, 33, 2, 70, 12]
        let a = old.logits(ids, batch: 1, length: ids.count).values
        let b = grown.logits(ids, batch: 1, length: ids.count).values
        for t in 0..<ids.count {
            for k in 0..<v { XCTAssertEqual(a[t * v + k], b[t * (v + 3) + k], accuracy: 1e-5) }
        }
    }

    static let vocabularyTables = ["model.embed_tokens.weight", "lm_head.weight"]

    /// A tiny model with SmolLM2's vocabulary.
    func tinyModel(vocab: Int) -> LanguageModel {
        let config = DecoderConfig.llama(vocabSize: vocab, hidden: 16, layers: 1, heads: 2, kvHeads: 1, intermediate: 32)
        return LanguageModel(model: CausalLM(config: config, seed: 3), tokenizer: DataFixtures.original, chatTemplate: nil, path: "tiny")
    }

    /// A model with added tokens, exported in either format, loads back with the same tokens, ids, chat
    /// template and weights: what `remask generate` needs after training.
    func testAddedTokensSurviveExport() throws {
        let (lm, ids) = try tinyModel(vocab: DataFixtures.original.vocabSize).addingTokens(tags)
        let trained = lm.withChatTemplate(PromptFormat.seedChatTemplate)
        XCTAssertEqual(trained.model.config.vocabSize, DataFixtures.original.vocabSize + tags.count)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("remask-added-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let prompt = PromptFormat.seedPrompt("What is 2+2?", chainOfThought: true) + "[mask]"
        for format in ModelExport.Format.allCases {
            let out = dir.appendingPathComponent(format == .gguf ? "m.gguf" : "hf").path
            try ModelExport.export(trained, to: out, format: format, dtype: .f32)
            let back = try LanguageModel.load(out)
            let t = try back.requireTokenizer()
            XCTAssertEqual(tags.map { t.id(of: $0) }, ids.map { $0 }, "\(format)")
            XCTAssertEqual(t.vocabSize, trained.tokenizer!.vocabSize, "\(format)")
            XCTAssertEqual(t.tokenTypes, trained.tokenizer!.tokenTypes, "\(format)")
            XCTAssertEqual(t.encode(prompt), trained.tokenizer!.encode(prompt), "\(format)")
            XCTAssertEqual(t.eosID, trained.tokenizer!.eosID, "\(format)")
            XCTAssertEqual(back.chatTemplate, PromptFormat.seedChatTemplate, "\(format)")
            XCTAssertEqual(back.model.config.vocabSize, trained.model.config.vocabSize, "\(format)")
            let tokens = t.encode(prompt)
            XCTAssertEqual(back.model.logits(tokens, batch: 1, length: tokens.count).values,
                           trained.model.logits(tokens, batch: 1, length: tokens.count).values, "\(format)")
            XCTAssertEqual(try ChatSession.render(back, [ChatMessage(role: "user", content: "Hi")]), PromptFormat.seedPrompt("Hi"))
        }
    }

    /// A model whose vocabulary has rows its tokenizer does not use takes the new tokens there.
    func testSpareRowsAreUsedFirst() throws {
        let n = DataFixtures.original.vocabSize, h = 16
        let base = tinyModel(vocab: n + 8)
        let (lm, ids) = try base.addingTokens(["<|user|>", "<|assistant|>"])
        XCTAssertEqual(ids, [Int32(n), Int32(n + 1)])
        XCTAssertEqual(lm.model.config.vocabSize, n + 8)
        let table = lm.model.parameters["model.embed_tokens.weight"]!.tensor.values
        let old = base.model.parameters["model.embed_tokens.weight"]!.tensor.values
        for j in 0..<h {
            let mean = (0..<n).reduce(0.0) { $0 + Double(old[$1 * h + j]) } / Double(n)
            XCTAssertEqual(Double(table[n * h + j]), mean, accuracy: 1e-6)
            XCTAssertEqual(table[(n + 2) * h + j], old[(n + 2) * h + j], "unused spare rows stay")
        }
        let (more, _) = try lm.addingTokens(["<|a|>", "<|b|>", "<|c|>", "<|d|>", "<|e|>", "<|f|>", "<|g|>"])
        XCTAssertEqual(more.model.config.vocabSize, n + 9)
    }
}
