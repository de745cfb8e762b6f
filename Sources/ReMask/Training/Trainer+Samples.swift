import Core
import Models

/// A prompt from the validation set and what the model writes after it.
public struct SampleGeneration: Sendable {
    public var prompt: String
    public var output: String
    /// The example's reference response.
    public var reference: String
}

extension Trainer {
    /// Greedy continuations of the first `count` validation prompts (each example's prompt tokens exactly as
    /// training renders them), to show what fine-tuning changed.
    public func sampleGenerations(count: Int, maxTokens: Int = 64) -> [SampleGeneration] {
        guard count > 0, let validation = data.validation, let tokenizer = languageModel.tokenizer else { return [] }
        let examples = validation.examples.prefix(count)
        let prompts = examples.map { e in Array(e.tokens.prefix(e.roles.prefix { $0 == .prompt }.count)) }
        guard prompts.allSatisfy({ !$0.isEmpty }) else { return [] }
        let wasTraining = adapters?.isTraining ?? false
        adapters?.isTraining = false
        defer { adapters?.isTraining = wasTraining }
        let generator = Generator(model: model, stopTokens: ChatSession.stopTokens(tokenizer))
        let outputs = generator.generate(prompts, maxTokens: maxTokens)
        return zip(zip(examples, prompts), outputs).map { pair, out in
            let (example, prompt) = pair
            return SampleGeneration(prompt: tokenizer.decode(prompt), output: tokenizer.decode(out.tokens),
                                    reference: tokenizer.decode(Array(example.tokens.dropFirst(prompt.count)), skipSpecial: true))
        }
    }
}
