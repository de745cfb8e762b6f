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

    /// Renders `messages` with `template` (ChatML when nil) and the assistant turn opened; `tools` are function
    /// definitions for templates that describe them.
    public static func render(_ messages: [ChatMessage], tokenizer: BPETokenizer, template source: String?,
                              tools: [ChatJSON]? = nil) throws -> String {
        let template = try ChatTemplate(source ?? chatML)
        func token(_ id: Int32?) -> String { id.map { tokenizer.decode([$0]) } ?? "" }
        return try template.render(messages: messages, addGenerationPrompt: true,
                                   bosToken: token(tokenizer.bosID), eosToken: token(tokenizer.eosID), tools: tools)
    }

    /// Tokens that end a reply: end-of-sequence and the usual end-of-turn tokens the vocabulary has as control
    /// tokens (ChatML's, Llama 3's, Gemma's, Phi-3's; Gemma's "</s>" is a plain user-defined token, not a stop).
    public static func stopTokens(_ tokenizer: BPETokenizer) -> Set<Int32> {
        let names = ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>", "<end_of_turn>", "<|end|>"]
        let control = BPETokenizer.TokenType.control.rawValue
        var ids = Set(names.compactMap { tokenizer.id(of: $0) }.filter { tokenizer.tokenTypes[Int($0)] == control })
        if let eos = tokenizer.eosID { ids.insert(eos) }
        return ids
    }

    static let chatML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
}
