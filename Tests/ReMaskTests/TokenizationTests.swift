import XCTest
import Core
import Models
@testable import ReMask

final class TokenizationTests: XCTestCase {
    let tokenizer = DataFixtures.tokenizer

    func text(_ e: TokenizedExample, _ roles: Set<TokenRole>) -> String {
        tokenizer.decode(zip(e.tokens, e.roles).filter { roles.contains($0.1) }.map(\.0))
    }

    func encode(_ kind: TrainingExample.Kind, format: PromptFormat = .seed) throws -> TokenizedExample {
        try ExampleTokenizer(tokenizer: tokenizer, format: format).encode(TrainingExample(kind))
    }

    func testSeedRenderingsAreExact() throws {
        XCTAssertEqual(tokenizer.eosID.flatMap(tokenizer.tokenString), "<|im_end|>")
        let chat = try encode(.chat([ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi"),
                                     ChatMessage(role: "assistant", content: "Hello!"), ChatMessage(role: "user", content: "Bye"),
                                     ChatMessage(role: "assistant", content: "Ciao")]))
        XCTAssertEqual(tokenizer.decode(chat.tokens),
                       "<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\nHello!<|im_end|>\n<|user|>\nBye\n<|assistant|>\nCiao<|im_end|>")
        XCTAssertEqual(text(chat, [.response]), "Hello!<|im_end|>Ciao<|im_end|>")

        let cot = try encode(.chainOfThought(prompt: "2+2?", rationale: "Two and two make four.", answer: "4"))
        XCTAssertEqual(tokenizer.decode(cot.tokens), "<|user|>\n2+2?\n<|rationale|>\nTwo and two make four.\n<|answer|>\n4<|im_end|>")
        XCTAssertEqual(text(cot, [.prompt]), "<|user|>\n2+2?\n<|rationale|>\n")
        XCTAssertEqual(text(cot, [.rationale]), "Two and two make four.")
        XCTAssertEqual(text(cot, [.answer]), "\n<|answer|>\n4<|im_end|>")

        let completion = try encode(.completion(prompt: "Say hi", completion: "hi"))
        XCTAssertEqual(tokenizer.decode(completion.tokens), "<|user|>\nSay hi\n<|assistant|>\nhi<|im_end|>")
        XCTAssertEqual(completion.tokens.prefix(1), [tokenizer.id(of: "<|user|>")!], "tags are single tokens")
        XCTAssertEqual(PromptFormat.seedPrompt("Say hi"), "<|user|>\nSay hi\n<|assistant|>\n")
        XCTAssertEqual(PromptFormat.seedPrompt("2+2?", chainOfThought: true), "<|user|>\n2+2?\n<|rationale|>\n")
    }

    /// Labels are the next token wherever that token is supervised, and nowhere else.
    func testLabelsAreNeverOnPromptTokens() throws {
        var rng = SeededRandom(seed: 11)
        let encoder = DataFixtures.seedTokenizer()
        for _ in 0..<300 {
            let e = try encoder.encode(DataFixtures.randomExample(&rng))
            let labels = e.labels
            XCTAssertEqual(labels.last, Tensor.ignoreIndex)
            XCTAssertEqual(e.roles.last.map(\.isSupervised), true, "ends with a labelled end-of-turn token")
            XCTAssertEqual(e.tokens.last, tokenizer.eosID)
            for i in 0..<e.count - 1 {
                if e.roles[i + 1].isSupervised {
                    XCTAssertEqual(labels[i], e.tokens[i + 1])
                } else {
                    XCTAssertEqual(labels[i], Tensor.ignoreIndex)
                }
            }
        }
    }

    /// The seed chat template, rendered through the chat-template path, gives the seed format's tokens and roles.
    func testSeedChatTemplateMatchesTheSeedFormat() throws {
        let seed = DataFixtures.seedTokenizer()
        let viaTemplate = try ExampleTokenizer(tokenizer: tokenizer, format: .chatTemplate(try ChatTemplate(PromptFormat.seedChatTemplate)))
        var rng = SeededRandom(seed: 5)
        var checked = 0
        while checked < 100 {
            let example = DataFixtures.randomExample(&rng)
            if case .chainOfThought = example.kind { continue }
            XCTAssertEqual(try viaTemplate.encode(example), try seed.encode(example))
            checked += 1
        }
        let rendered = try ChatTemplate(PromptFormat.seedChatTemplate).render(
            messages: [ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true, eosToken: "<|im_end|>")
        XCTAssertEqual(rendered, PromptFormat.seedPrompt("Hi"))
    }

    func testModelChatTemplate() throws {
        let template = try ChatTemplate(DataFixtures.chatTemplateSource)
        let messages = [ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "assistant", content: "Hello!"),
                        ChatMessage(role: "user", content: "2+2?"), ChatMessage(role: "assistant", content: "4")]
        let e = try encode(.chat(messages), format: .chatTemplate(template))
        let rendered = try template.render(messages: messages, addGenerationPrompt: false)
        XCTAssertTrue(rendered.hasSuffix("<|im_start|>assistant\n4<|im_end|>\n"))
        // The same tokens as the whole rendering, minus the newline after the last turn.
        XCTAssertEqual(e.tokens, tokenizer.encode(String(rendered.dropLast())))
        XCTAssertEqual(text(e, [.response]), "Hello!<|im_end|>4<|im_end|>")
        XCTAssertTrue(text(e, [.prompt]).hasPrefix("<|im_start|>system\nYou are a helpful AI assistant"))

        let cot = try encode(.chainOfThought(prompt: "2+2?", rationale: "Two and two.", answer: "4"), format: .chatTemplate(template))
        XCTAssertTrue(tokenizer.decode(cot.tokens).hasSuffix("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\nTwo and two.\n<|answer|>\n4<|im_end|>"))
        XCTAssertEqual(text(cot, [.rationale]), "Two and two.")
        XCTAssertEqual(text(cot, [.answer]), "\n<|answer|>\n4<|im_end|>")
    }

    func testTemplateWithoutEndTokenGetsEOSAndTrimmedContentIsFound() throws {
        let plain = try ChatTemplate("{% for m in messages %}{{ m['role'] + ': ' + (m['content'] | trim) + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}")
        let e = try encode(.completion(prompt: "Hi", completion: "  Hello! "), format: .chatTemplate(plain))
        XCTAssertEqual(tokenizer.decode(e.tokens), "user: Hi\nassistant: Hello!<|im_end|>")
        XCTAssertEqual(text(e, [.response]), "Hello!<|im_end|>")
    }

    func testTemplateErrorsNameTheExample() throws {
        let strict = try ChatTemplate("{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system messages') }}{% endif %}{{ m['content'] }}{% endfor %}")
        let encoder = try ExampleTokenizer(tokenizer: tokenizer, format: .chatTemplate(strict))
        let bad = TrainingExample(.chat([ChatMessage(role: "system", content: "s"), ChatMessage(role: "user", content: "u"),
                                         ChatMessage(role: "assistant", content: "a")]), source: SourceLocation(file: "d.jsonl", line: 9))
        let good = TrainingExample(.completion(prompt: "p", completion: "c"))
        XCTAssertThrowsError(try encoder.tokenize([good, bad])) { error in
            XCTAssertTrue("\(error)".hasPrefix("d.jsonl:9: chat template: "), "\(error)")
            XCTAssertTrue("\(error)".contains("no system messages"), "\(error)")
        }
        let data = try encoder.tokenize([good, bad, good], skipBadExamples: true)
        XCTAssertEqual(data.examples.count, 2)
        XCTAssertEqual(data.skipped, 1)
        XCTAssertEqual(data.skippedErrors.first?.line, 9)
    }

    func testTagsMustBeSpecialTokens() {
        XCTAssertThrowsError(try ExampleTokenizer(tokenizer: DataFixtures.original, format: .seed)) {
            XCTAssertTrue("\($0)".contains("no special token <|system|>"), "\($0)")
        }
        XCTAssertThrowsError(try ExampleTokenizer(tokenizer: tokenizer, maxLength: 1))
    }

    func testTruncationIsCountedAndExamplesWithoutResponsesAreDropped() throws {
        let encoder = DataFixtures.seedTokenizer(maxLength: 24)
        let short = TrainingExample(.completion(prompt: "Hi", completion: "Hello!"))
        let long = TrainingExample(.completion(prompt: "Hi", completion: String(repeating: "word ", count: 40)))
        let longPrompt = TrainingExample(.completion(prompt: String(repeating: "word ", count: 40), completion: "ok"))
        let data = try encoder.tokenize([short, long, longPrompt, short])
        XCTAssertEqual(data.examples.count, 3)
        XCTAssertEqual(data.truncated, 2)
        XCTAssertEqual(data.droppedWithoutLabels, 1)
        XCTAssertEqual(data.examples[1].count, 24)
        XCTAssertEqual(data.examples.map(\.count).max(), 24)
        XCTAssertEqual(data.summary, "3 examples, 2 truncated to 24 tokens, 1 dropped (no response left)")
    }

    /// Parallel tokenization gives the examples in order, as one at a time does.
    func testBatchTokenizationKeepsOrder() throws {
        var rng = SeededRandom(seed: 3)
        let examples = (0..<500).map { _ in DataFixtures.randomExample(&rng) }
        let encoder = DataFixtures.seedTokenizer(maxLength: 100_000)
        let data = try encoder.tokenize(examples)
        XCTAssertEqual(data.examples, try examples.map(encoder.encode))
        XCTAssertEqual(data.truncated, 0)
    }
}
