import Foundation
import Core
import Models
@testable import ReMask
import TestSupport

/// Shared inputs for the data and masking tests.
enum DataFixtures {
    /// SmolLM2's tokenizer as published (no `<|user|>` and friends).
    static let original: BPETokenizer = {
        try! BPETokenizer(tokenizerJSON: fixturesDirectory.appendingPathComponent("smollm2-tokenizer/tokenizer.json"))
    }()

    /// SmolLM2's tokenizer with the seed format's tags and `[mask]` added.
    static let tokenizer: BPETokenizer = {
        try! original.addingSpecialTokens(PromptFormat.seed.specialTokens + [MaskTokens.maskToken]).tokenizer
    }()

    static let chatTemplateSource: String = {
        try! String(contentsOf: fixturesDirectory.appendingPathComponent("smollm2-tokenizer/chat_template.jinja"), encoding: .utf8)
    }()

    static func seedTokenizer(maxLength: Int = 256) -> ExampleTokenizer {
        try! ExampleTokenizer(tokenizer: tokenizer, format: .seed, maxLength: maxLength)
    }

    private static let words = ["the", "cat", "sat", "on", "a", "mat", "42", "7", "+", "=", "Ça", "va", "naïve", "日本", "🙂",
                                "why?", "because", "\n", "  ", "x", "reasoning", "so", "answer", "is", "done."]

    static func text(_ rng: inout SeededRandom, words count: Int) -> String {
        (0..<count).map { _ in words[rng.nextInt(below: words.count)] }.joined(separator: " ")
    }

    /// A random example of a random shape, with responses that are never blank.
    static func randomExample(_ rng: inout SeededRandom) -> TrainingExample {
        func t(_ n: Int) -> String { text(&rng, words: 1 + rng.nextInt(below: n)) + "." }
        switch rng.nextInt(below: 3) {
        case 0:
            var messages: [ChatMessage] = rng.nextBool(probability: 0.3) ? [ChatMessage(role: "system", content: t(5))] : []
            for _ in 0...rng.nextInt(below: 3) {
                messages.append(ChatMessage(role: "user", content: t(12)))
                messages.append(ChatMessage(role: "assistant", content: t(20)))
            }
            return TrainingExample(.chat(messages))
        case 1:
            return TrainingExample(.chainOfThought(prompt: t(15), rationale: t(40), answer: t(4)))
        default:
            return TrainingExample(.completion(prompt: t(15), completion: t(25)))
        }
    }
}
