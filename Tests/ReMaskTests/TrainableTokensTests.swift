import XCTest
import Foundation
import Core
import NN
import Models
@testable import ReMask
import TestSupport

/// Under LoRA the rows of the tokens a run adds (`<|answer|>`, `[mask]`…) are trained with the adapters, saved
/// in checkpoints and `adapter/`, and merged into the written model; nothing else of the vocabulary tables
/// changes.
final class TrainableTokensTests: XCTestCase {
    /// Chain-of-thought problems the tiny model memorizes.
    static let problems = [("What is 2 plus 3?", "2 plus 3 makes 5.", "5"), ("What is 4 minus 1?", "4 minus 1 leaves 3.", "3"),
                           ("What is 3 times 2?", "3 times 2 makes 6.", "6"), ("What is 8 minus 5?", "8 minus 5 leaves 3.", "3")]

    /// The problems as chain-of-thought JSONL (seed-format records), each `repeats` times, and `chat` of them as
    /// chat records too.
    func data(repeats: Int, chat: Int = 0) throws -> String {
        let url = try makeScratchFolder().appendingPathComponent("train.jsonl")
        let lines = (0..<repeats).flatMap { _ in
            Self.problems.map { p, r, a in #"{"prompt": "\#(p)", "rationale": "\#(r)", "answer": "\#(a)"}"# }
        } + Self.problems.prefix(chat).map { p, r, _ in
            #"{"messages": [{"role": "user", "content": "\#(p)"}, {"role": "assistant", "content": "\#(r)"}]}"#
        }
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A tiny Llama whose byte-level BPE vocabulary is learned on the problems (none of the seed tags in it, so
    /// training adds them), as a Hugging Face folder. With `pretrainSteps`, the base first learns the problems
    /// as plain text (`prompt\nrationale\nanswer<EOS>`, every weight trained), so that, like a pretrained
    /// model, it already writes the rationales before any tag exists.
    /// With `chatTemplate`, the model has that template and ChatML's `<|im_start|>`/`<|im_end|>` as tokens.
    func tinyModel(tied: Bool, pretrainSteps: Int = 0, chatTemplate: String? = nil) throws -> String {
        let folder = try makeScratchFolder().appendingPathComponent("tiny")
        let specials = ["<|endoftext|>"] + (chatTemplate == nil ? [] : ["<|im_start|>", "<|im_end|>"])
        let tokenizer = try BPETrainer.train(Self.problems.flatMap { [$0.0, $0.1, $0.2] }, merges: 40, specials: specials)
        let config = DecoderConfig.llama(vocabSize: tokenizer.vocabSize, hidden: 32, layers: 2, heads: 2, kvHeads: 1,
                                         intermediate: 64, tiedEmbeddings: tied)
        let model = CausalLM(config: config, seed: 3)
        if pretrainSteps > 0 { pretrain(model, tokenizer, steps: pretrainSteps) }
        let lm = LanguageModel(model: model, tokenizer: tokenizer, chatTemplate: chatTemplate, path: folder.path)
        try ModelExport.export(lm, to: folder.path, format: .safetensors, dtype: .f32)
        return folder.path
    }

    /// Full-batch AdamW on the problems as plain text.
    func pretrain(_ model: CausalLM, _ tokenizer: BPETokenizer, steps: Int) {
        let eos = tokenizer.eosID!
        let sequences = Self.problems.map { p, r, a in tokenizer.encode("\(p)\n\(r)\n\(a)") + [eos] }
        let length = sequences.map(\.count).max()!
        var tokens: [Int32] = [], labels: [Int32] = []
        for s in sequences {
            tokens += s + Array(repeating: eos, count: length - s.count)
            labels += s.dropFirst() + Array(repeating: Tensor.ignoreIndex, count: length - s.count + 1)
        }
        let optimizer = AdamW(model.parameters, learningRate: 1e-2, weightDecay: 0)
        for _ in 0..<steps {
            model.loss(tokens, labels: labels, batch: sequences.count, length: length).backward()
            optimizer.update()
            model.parameters.zeroGrad()
        }
    }

    func options(data: String, out: URL, objective: Objective = .sft, steps: Int) -> TrainingSettings {
        var o = TrainingSettings(data: data, out: out.path)
        o.objective.name = objective
        o.optimizer.microBatch = 4
        o.optimizer.batchSize = 4
        o.optimizer.maxSteps = steps
        o.optimizer.learningRate = 3e-2
        o.optimizer.schedule = .cosine
        o.optimizer.weightDecay = 0
        o.run.seed = 5
        o.optimizer.name = .adamw
        o.lora.rank = 4
        o.lora.alpha = 8
        o.lora.dropout = 0
        return o
    }

    /// After LoRA training on chain-of-thought data, greedy decoding of the written model emits `<|answer|>`
    /// after the rationale. Were the tag's row frozen at the mean row (tied embeddings), its logit would be the
    /// mean of all logits and never the largest.
    func testGreedyDecodingAfterLoRAEmitsTheAnswerTag() throws {
        let out = try makeScratchFolder().appendingPathComponent("run")
        _ = try Trainer(options(data: try data(repeats: 4), out: out, steps: 40),
                        modelPath: try tinyModel(tied: true, pretrainSteps: 60), log: { _ in }).run()

        let trained = try LanguageModel.load(out.path)
        let tokenizer = try XCTUnwrap(trained.tokenizer)
        let answer = try XCTUnwrap(tokenizer.id(of: PromptFormat.answerTag))
        let generator = Generator(model: trained.model, stopTokens: ChatSession.stopTokens(tokenizer))
        // After each rationale, the greedy next token is the tag.
        let afterRationale = Self.problems.map { p, r, _ in
            tokenizer.encode(PromptFormat.seedPrompt(p, chainOfThought: true) + r + "\n", addSpecial: true)
        }
        XCTAssertEqual(generator.generate(afterRationale, maxTokens: 1).map(\.tokens),
                       Array(repeating: [answer], count: Self.problems.count))
        // From the question alone, greedy decoding writes a rationale, then the tag (allowing one slip of the
        // tiny model's memory).
        let questions = Self.problems.map { tokenizer.encode(PromptFormat.seedPrompt($0.0, chainOfThought: true), addSpecial: true) }
        let outputs = generator.generate(questions, maxTokens: 24)
        let tagged = outputs.filter { ($0.tokens.firstIndex(of: answer) ?? 0) > 0 }.count
        XCTAssertGreaterThanOrEqual(tagged, Self.problems.count - 1, outputs.map { tokenizer.decode($0.tokens) }.joined(separator: " | "))
    }

    /// A short ReMask run (which adds `[mask]` as well as the tags): in the written model only the added
    /// tokens' rows of the embedding (and of the untied output projection) differ from the base's, and they
    /// are the trained rows saved in `adapter/` and in the checkpoint.
    func testOnlyTheAddedRowsChangeAndTheWrittenModelHoldsThem() throws {
        for tied in [true, false] {
            let base = try tinyModel(tied: tied), out = try makeScratchFolder().appendingPathComponent("run")
            var o = options(data: try data(repeats: 2), out: out, objective: .remask, steps: 3)
            o.optimizer.learningRate = 1e-2
            _ = try Trainer(o, modelPath: base, log: { _ in }).run()

            let original = try LanguageModel.load(base)
            let vocab = try XCTUnwrap(original.tokenizer).vocabSize
            let added = PromptFormat.seed.specialTokens + MaskingPolicy.remaskCoT.specialTokens
            let (grown, ids) = try original.addingTokens(added)
            XCTAssertEqual(ids.map(Int.init), Array(vocab..<vocab + added.count))
            let written = try SafetensorsFile(path: out.appendingPathComponent("model.safetensors").path)
            let adapter = try SafetensorsFile(path: out.appendingPathComponent("adapter/adapter_model.safetensors").path)
            let checkpoint = try XCTUnwrap(try CheckpointDirectory(output: out).latest())
            let tables = tied ? ["model.embed_tokens.weight"] : ["model.embed_tokens.weight", "lm_head.weight"]
            for name in tables {
                let before = try XCTUnwrap(grown.model.parameters[name]).tensor.values
                let after = try written.tensor(name).values
                let width = grown.model.config.hidden
                XCTAssertEqual(after.count, before.count)
                XCTAssertEqual(Array(after.prefix(vocab * width)), Array(before.prefix(vocab * width)), "\(name): rows of the base changed (tied \(tied))")
                let rowsName = TokenRows.name(replacing: try XCTUnwrap(grown.model.parameters[name]))
                let trained = try adapter.tensor(rowsName)
                XCTAssertEqual(trained.shape, [added.count, width])
                XCTAssertEqual(Array(after.suffix(added.count * width)), trained.values, "\(name): the written rows are not the trained ones")
                // Every token the data feeds in moved (a tag that never occurs gets no embedding gradient).
                for tag in [PromptFormat.userTag, PromptFormat.rationaleTag, PromptFormat.answerTag, MaskTokens.maskToken] {
                    let row = Int(ids[added.firstIndex(of: tag)!])
                    XCTAssertNotEqual(Array(after[row * width..<(row + 1) * width]), Array(before[row * width..<(row + 1) * width]),
                                      "\(name): row of \(tag) not trained (tied \(tied))")
                }
                XCTAssertTrue(checkpoint.modelTensorNames.contains(rowsName), "\(checkpoint.modelTensorNames)")
            }
            XCTAssertEqual(adapter.tensorNames.filter { $0.contains("token_adapter") }.count, tables.count)
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("adapter/adapter_config.json"))) as! [String: Any]
            if tied {
                XCTAssertEqual(config["trainable_token_indices"] as? [Int], ids.map(Int.init))
            } else {
                XCTAssertEqual(config["trainable_token_indices"] as? [String: [Int]],
                               ["embed_tokens": ids.map(Int.init), "lm_head": ids.map(Int.init)])
            }
            // The adapter folder on the base model with the tags added computes what the written model does.
            let reloaded = grown.model
            _ = try reloaded.attachLoRA(folder: out.appendingPathComponent("adapter").path)
            let merged = try LanguageModel.load(out.path).model
            let probe: [Int32] = [Int32(vocab + 1), 40, 41, Int32(vocab + 3), 7, Int32(vocab + 4)]
            let a = Autograd.withNoGrad { reloaded.logits(probe, batch: 1, length: probe.count) }.values
            let b = Autograd.withNoGrad { merged.logits(probe, batch: 1, length: probe.count) }.values
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        }
    }

    /// `--format model` (the model's own chat template; here SmolLM2's ChatML) trains with every objective, with
    /// LoRA and without. A masked objective's `[mask]` is an added token in that format too (Masked Thought
    /// replaces with random tokens and adds none), and under LoRA the rows of every added token are trained
    /// and merged while no other row of the embedding changes.
    func testModelFormatTrainsEveryObjectiveWithAndWithoutLoRA() throws {
        let base = try tinyModel(tied: true, chatTemplate: DataFixtures.chatTemplateSource), data = try data(repeats: 1, chat: 2)
        let original = try LanguageModel.load(base)
        let vocab = try XCTUnwrap(original.tokenizer).vocabSize, width = original.model.config.hidden
        for objective in [Objective.sft, .maskedThought, .remask] {
            for lora in [false, true] {
                let out = try makeScratchFolder().appendingPathComponent("run")
                var o = options(data: data, out: out, objective: objective, steps: 2)
                o.data.format = .model
                o.optimizer.microBatch = 2
                if !lora { o.lora.rank = 0 }
                let trainer = try Trainer(o, modelPath: base, log: { _ in })
                XCTAssertEqual(trainer.maskTokens.maskID != nil, objective == .remask, "\(objective)")
                XCTAssertEqual(try trainer.run().steps, 2)
                let written = try LanguageModel.load(out.path)
                let tokenizer = try XCTUnwrap(written.tokenizer)
                XCTAssertEqual(written.chatTemplate, DataFixtures.chatTemplateSource)
                XCTAssertEqual(tokenizer.id(of: MaskTokens.maskToken) != nil, objective == .remask, "\(objective)")
                guard lora else { continue }
                let added = Array(tokenizer.vocabulary[vocab...])
                XCTAssertFalse(added.isEmpty)
                let before = try original.addingTokens(added).model.model.parameters["model.embed_tokens.weight"]!.tensor.values
                let after = written.model.parameters["model.embed_tokens.weight"]!.tensor.values
                XCTAssertEqual(Array(after.prefix(vocab * width)), Array(before.prefix(vocab * width)), "\(objective)")
                for (j, token) in added.enumerated() {
                    let rows = (vocab + j) * width..<(vocab + j + 1) * width
                    XCTAssertNotEqual(Array(after[rows]), Array(before[rows]), "\(objective): \(token) not trained")
                }
            }
        }
    }
}
