/// One turn of a conversation, as Hugging Face chat templates see it: `{"role": ..., "content": ...}`.
public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A Hugging Face chat template (`tokenizer.chat_template`, a Jinja template) parsed once and rendered
/// for any number of conversations.
///
/// Rendering matches `tokenizer.apply_chat_template(messages, tokenize=False)` in transformers, which runs
/// Jinja with `trim_blocks` and `lstrip_blocks` on, `raise_exception` as a global and a `tojson` filter
/// that does not escape HTML. Only the subset of Jinja that chat templates commonly use is supported:
/// see `JinjaParser` for the statements and expressions, `JinjaFilter` and `JinjaTest` for the filters
/// and tests, and `callMethod` for the string methods. Anything else is a `ChatTemplateError` at init.
public struct ChatTemplate: Sendable {
    private let nodes: [JinjaNode]

    public init(_ source: String) throws {
        nodes = try JinjaParser.parse(try JinjaLexer.tokenize(source))
    }

    /// Renders a conversation. The template sees `messages` (dicts with `role` and `content`),
    /// `add_generation_prompt`, `bos_token`, `eos_token`, and each of `extra` as a string variable (for
    /// other special tokens); the named parameters win over `extra` entries with the same name.
    /// Throws a `ChatTemplateError`, of kind `.raised` when the template calls `raise_exception`.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String = "",
                       eosToken: String = "", extra: [String: String] = [:]) throws -> String {
        var variables = extra.mapValues(JinjaValue.string)
        variables["messages"] = .list(messages.map {
            .dict(JinjaDict([("role", .string($0.role)), ("content", .string($0.content))]))
        })
        variables["add_generation_prompt"] = .bool(addGenerationPrompt)
        variables["bos_token"] = .string(bosToken)
        variables["eos_token"] = .string(eosToken)
        var renderer = JinjaRenderer(variables: variables)
        try renderer.render(nodes)
        return renderer.output
    }
}
