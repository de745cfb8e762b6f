import Foundation

/// A Hugging Face chat template (`tokenizer.chat_template`, a Jinja template) parsed once and rendered
/// for any number of conversations.
///
/// Rendering matches `tokenizer.apply_chat_template(messages, tokenize=False)` in transformers, which runs
/// Jinja with `trim_blocks` and `lstrip_blocks` on, `raise_exception` as a global and a `tojson` filter
/// that does not escape HTML, plus `strftime_now`, `namespace` and the loop controls `break` and `continue`.
/// Only the subset of Jinja that chat templates commonly use is supported: see `JinjaParser` for the
/// statements and expressions, `JinjaFilter` and `JinjaTest` for the filters and tests, `callMethod` for the
/// string and dict methods, and `JinjaGlobal` for the functions. Anything else is a `ChatTemplateError` at init.
public struct ChatTemplate: Sendable {
    private let nodes: [JinjaNode]

    public init(_ source: String) throws {
        nodes = try JinjaParser.parse(try JinjaLexer.tokenize(source))
    }

    /// Renders a conversation. The template sees `messages` (dicts with `role` and `content`, and the tool
    /// and reasoning fields that are set), `tools` (the JSON-schema function definitions, or none),
    /// `add_generation_prompt`, `bos_token`, `eos_token`, each of `extra` as a string variable (for other
    /// special tokens, or `date_string` for Llama 3.1), and each of `variables` (what transformers calls
    /// chat_template_kwargs, e.g. Qwen3's `enable_thinking: false`). The named parameters win over `variables`,
    /// which win over `extra` entries with the same name. `now` is the time the `strftime_now` global formats (transformers uses the local clock).
    /// Throws a `ChatTemplateError`, of kind `.raised` when the template calls `raise_exception`.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String = "",
                       eosToken: String = "", tools: [ChatJSON]? = nil, extra: [String: String] = [:],
                       variables templateVariables: [String: ChatJSON] = [:], now: Date = Date()) throws -> String {
        var variables = extra.mapValues(JinjaValue.string).merging(templateVariables.mapValues(\.jinjaValue)) { $1 }
        variables["messages"] = .list(messages.map(\.jinjaValue))
        // transformers always passes `tools` and `documents`, None when absent.
        variables["tools"] = tools.map { .list($0.map(\.jinjaValue)) } ?? JinjaValue.none
        if variables["documents"] == nil { variables["documents"] = JinjaValue.none }
        variables["add_generation_prompt"] = .bool(addGenerationPrompt)
        variables["bos_token"] = .string(bosToken)
        variables["eos_token"] = .string(eosToken)
        var renderer = JinjaRenderer(variables: variables, now: now)
        defer { renderer.releaseNamespaces() }
        try renderer.render(nodes)
        return renderer.output
    }
}
