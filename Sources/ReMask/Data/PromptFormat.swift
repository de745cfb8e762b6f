import Models
import Core

/// How examples become text.
///
/// `.seed` is the format of the ReMask model card, messages separated by one newline, each response closed
/// by the tokenizer's EOS token (labelled, so the model learns to stop):
/// ```
/// <|user|>\n{prompt}\n<|assistant|>\n{response}<EOS>\n<|user|>\n{prompt}\n<|assistant|>\n{response}<EOS>
/// <|user|>\n{prompt}\n<|rationale|>\n{rationale}\n<|answer|>\n{answer}<EOS>
/// ```
/// A system message is `<|system|>\n{content}`; a completion record is a single-turn chat.
///
/// `.chatTemplate` renders with a Hugging Face chat template (the model's own). A chain-of-thought record
/// becomes a user message and an assistant message `{rationale}\n<|answer|>\n{answer}`. Each response is
/// located in the rendering as the text that follows the conversation so far rendered with the generation
/// prompt; the template's end-of-turn token after it (EOS, `<|im_end|>`, `<|eot_id|>`…) is labelled, and
/// where the template has none, EOS is inserted.
public enum PromptFormat: Sendable {
    case seed
    case chatTemplate(ChatTemplate)

    /// The model's own chat template, or an error naming the model when it has none.
    public static func modelTemplate(of lm: LanguageModel) throws -> PromptFormat {
        guard let source = lm.chatTemplate else {
            throw FileError(path: lm.path, "the model has no chat template; use the seed format")
        }
        return .chatTemplate(try ChatTemplate(source))
    }

    public static let userTag = "<|user|>"
    public static let assistantTag = "<|assistant|>"
    public static let systemTag = "<|system|>"
    public static let rationaleTag = "<|rationale|>"
    public static let answerTag = "<|answer|>"

    /// Tags this format writes, to add to the tokenizer as special tokens (existing ones keep their ids).
    public var specialTokens: [String] {
        switch self {
        case .seed: [Self.systemTag, Self.userTag, Self.assistantTag, Self.rationaleTag, Self.answerTag]
        case .chatTemplate: [Self.answerTag]
        }
    }

    /// The seed chat format as a Jinja chat template: a model fine-tuned in it gets this template, so that
    /// `remask chat` and `generate --chat` prompt it as it was trained.
    public static let seedChatTemplate = """
        {% for message in messages %}{% if not loop.first %}{{ '\\n' }}{% endif %}{{ '<|' + message['role'] + '|>\\n' + message['content'] }}{% if message['role'] == 'assistant' %}{{ eos_token }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '\\n<|assistant|>\\n' }}{% endif %}
        """

    /// A generation prompt in the seed format: `<|user|>\n{prompt}\n<|assistant|>\n`, or with
    /// `chainOfThought`, `<|user|>\n{prompt}\n<|rationale|>\n`.
    public static func seedPrompt(_ prompt: String, chainOfThought: Bool = false) -> String {
        "\(userTag)\n\(prompt)\n\(chainOfThought ? rationaleTag : assistantTag)\n"
    }

    /// A stretch of rendered text with its role, or the end of a response.
    enum Piece: Equatable {
        case text(String, TokenRole)
        /// The end-of-turn token that closes a response, labelled with this role.
        case endOfTurn(TokenRole)
    }

    /// The pieces of `example`. `bos`/`eos` are the tokenizer's BOS and EOS as text, for templates.
    func pieces(_ example: TrainingExample, bos: String, eos: String) throws(FileError) -> [Piece] {
        switch self {
        case .seed: Self.seedPieces(example.kind)
        case .chatTemplate(let template): try Self.templatePieces(example, template, bos: bos, eos: eos)
        }
    }

    private static func seedPieces(_ kind: TrainingExample.Kind) -> [Piece] {
        switch kind {
        case .chat(let messages):
            var out: [Piece] = []
            for (i, m) in messages.enumerated() {
                let open = (i == 0 ? "" : "\n") + "<|\(m.role)|>\n"
                if m.role == "assistant" {
                    out += [.text(open, .prompt), .text(m.content, .response), .endOfTurn(.response)]
                } else {
                    out.append(.text(open + m.content, .prompt))
                }
            }
            return out
        case .completion(let prompt, let completion):
            return [.text("\(userTag)\n\(prompt)\n\(assistantTag)\n", .prompt), .text(completion, .response), .endOfTurn(.response)]
        case .chainOfThought(let prompt, let rationale, let answer):
            return [.text(seedPrompt(prompt, chainOfThought: true), .prompt), .text(rationale, .rationale),
                    .text("\n\(answerTag)\n", .answer), .text(answer, .answer), .endOfTurn(.answer)]
        }
    }

    /// The conversation as messages, with each assistant message's content as role-tagged parts.
    private static func conversation(_ kind: TrainingExample.Kind) -> [(message: ChatMessage, parts: [(String, TokenRole)])] {
        switch kind {
        case .chat(let messages):
            return messages.map { ($0, $0.role == "assistant" ? [($0.content, .response)] : []) }
        case .completion(let prompt, let completion):
            return [(ChatMessage(role: "user", content: prompt), []),
                    (ChatMessage(role: "assistant", content: completion), [(completion, .response)])]
        case .chainOfThought(let prompt, let rationale, let answer):
            let parts: [(String, TokenRole)] = [(rationale, .rationale), ("\n\(answerTag)\n", .answer), (answer, .answer)]
            return [(ChatMessage(role: "user", content: prompt), []),
                    (ChatMessage(role: "assistant", content: parts.map(\.0).joined()), parts)]
        }
    }

    private static func templatePieces(_ example: TrainingExample, _ template: ChatTemplate,
                                       bos: String, eos: String) throws(FileError) -> [Piece] {
        let turns = conversation(example.kind)
        let messages = turns.map(\.message)
        func render(_ count: Int, generationPrompt: Bool) throws(FileError) -> [UInt8] {
            do {
                return Array(try template.render(messages: Array(messages.prefix(count)), addGenerationPrompt: generationPrompt,
                                                 bosToken: bos, eosToken: eos).utf8)
            } catch {
                throw FileError(example.source, "chat template: \(error)")
            }
        }
        let full = try render(messages.count, generationPrompt: false)
        func text(_ range: Range<Int>) -> String { String(decoding: full[range], as: UTF8.self) }
        var out: [Piece] = []
        var cursor = 0
        for (i, turn) in turns.enumerated() where turn.message.role == "assistant" {
            let prompt = try render(i, generationPrompt: true)
            guard prompt.count >= cursor, full.starts(with: prompt),
                  let parts = matchParts(turn.parts, in: full[prompt.count...]) else {
                throw FileError(example.source, "chat template: assistant message \(i) is not rendered right after its generation prompt")
            }
            out.append(.text(text(cursor..<prompt.count), .prompt))
            cursor = prompt.count
            for (part, role) in parts {
                out.append(.text(part, role))
                cursor += part.utf8.count
            }
            out.append(.endOfTurn(parts.last!.1))
        }
        // The text after the last response: its end-of-turn token, if the template writes one, and no more.
        if cursor < full.count { out.append(.text(text(cursor..<full.count), .prompt)) }
        return out
    }

    /// The parts as the template rendered them at the start of `text`: verbatim, or with the whitespace
    /// around the whole content trimmed (templates that `| trim` the content).
    private static func matchParts(_ parts: [(String, TokenRole)], in text: ArraySlice<UInt8>) -> [(String, TokenRole)]? {
        var trimmed = parts
        trimmed[0].0 = String(trimmed[0].0.drop(while: \.isWhitespace))
        trimmed[trimmed.count - 1].0 = String(trimmed[trimmed.count - 1].0.reversed().drop(while: \.isWhitespace).reversed())
        for candidate in [parts, trimmed] where text.starts(with: candidate.map(\.0).joined().utf8) {
            return candidate.filter { !$0.0.isEmpty }
        }
        return nil
    }
}
