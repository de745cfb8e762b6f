/// Chat prompts in the model's own template.
public enum ChatSession {
    /// Renders `messages` with the model's chat template and the assistant turn opened. Models without a
    /// template get ChatML (`<|im_start|>role\n…<|im_end|>`).
    public static func render(_ lm: LanguageModel, _ messages: [ChatMessage]) throws -> String {
        try render(messages, tokenizer: try lm.requireTokenizer(), template: lm.chatTemplate)
    }

    /// Renders `messages` with the model's chat template and the assistant turn opened.
    public static func render(_ lm: RunnableModel, _ messages: [ChatMessage]) throws -> String {
        try render(messages, tokenizer: try lm.requireTokenizer(), template: lm.chatTemplate)
    }

    /// Renders `messages` with `template` (ChatML when nil) and the assistant turn opened.
    public static func render(_ messages: [ChatMessage], tokenizer: BPETokenizer, template source: String?) throws -> String {
        let template = try ChatTemplate(source ?? chatML)
        func token(_ id: Int32?) -> String { id.map { tokenizer.decode([$0]) } ?? "" }
        return try template.render(messages: messages, addGenerationPrompt: true,
                                   bosToken: token(tokenizer.bosID), eosToken: token(tokenizer.eosID))
    }

    /// Tokens that end a reply: end-of-sequence and the usual end-of-turn tokens the vocabulary has.
    public static func stopTokens(_ tokenizer: BPETokenizer) -> Set<Int32> {
        var ids = Set(["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>"].compactMap { tokenizer.id(of: $0) })
        if let eos = tokenizer.eosID { ids.insert(eos) }
        return ids
    }

    static let chatML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
}
