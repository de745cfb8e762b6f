/// One turn of a conversation, as Hugging Face chat templates see it: `{"role": ..., "content": ...}`, plus the
/// fields of tool use and reasoning in OpenAI's shape (`tool_calls`, `tool_call_id`, `name`, `reasoning_content`).
/// Decodes from `{"role", "content"}` JSON; a null or missing `content` (an assistant turn that only calls
/// tools) decodes as "".
public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: String
    public var content: String
    /// The model's reasoning before its answer (Qwen3's `<think>` block).
    public var reasoningContent: String?
    /// Function calls of an assistant turn.
    public var toolCalls: [ChatToolCall]?
    /// In a `tool` turn, the call it answers.
    public var toolCallID: String?
    /// In a `tool` turn, the function's name.
    public var name: String?

    public init(role: String, content: String, reasoningContent: String? = nil, toolCalls: [ChatToolCall]? = nil,
                toolCallID: String? = nil, name: String? = nil) {
        self.role = role
        self.content = content
        self.reasoningContent = reasoningContent
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
    }

    enum CodingKeys: String, CodingKey {
        case role, content, name
        case reasoningContent = "reasoning_content"
        case toolCalls = "tool_calls"
        case toolCallID = "tool_call_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(String.self, forKey: .role)
        content = try container.decodeIfPresent(String.self, forKey: .content) ?? ""
        reasoningContent = try container.decodeIfPresent(String.self, forKey: .reasoningContent)
        toolCalls = try container.decodeIfPresent([ChatToolCall].self, forKey: .toolCalls)
        toolCallID = try container.decodeIfPresent(String.self, forKey: .toolCallID)
        name = try container.decodeIfPresent(String.self, forKey: .name)
    }

    /// The dict the template sees, with the keys transformers gives it: absent fields are left out (as
    /// `apply_chat_template` drops `None` values), and reasoning also appears as `thinking` (first, as
    /// transformers aliases it for templates that read that name).
    var jinjaValue: JinjaValue {
        var entries: [(String, JinjaValue)] = []
        if let reasoningContent { entries.append(("thinking", .string(reasoningContent))) }
        entries += [("role", .string(role)), ("content", .string(content))]
        if let toolCalls { entries.append(("tool_calls", .list(toolCalls.map(\.jinjaValue)))) }
        if let toolCallID { entries.append(("tool_call_id", .string(toolCallID))) }
        if let name { entries.append(("name", .string(name))) }
        if let reasoningContent { entries.append(("reasoning_content", .string(reasoningContent))) }
        return .dict(JinjaDict(entries))
    }
}

/// A function call in an assistant turn: `{"id", "type": "function", "function": {"name", "arguments"}}`.
/// `arguments` is a JSON object, or a string holding JSON as OpenAI's API sends it; templates differ in which
/// they expect (Qwen3 prints a string as it is and `tojson`s anything else).
public struct ChatToolCall: Sendable, Codable, Equatable {
    public var id: String?
    public var type: String
    public var function: Function

    public struct Function: Sendable, Codable, Equatable {
        public var name: String
        public var arguments: ChatJSON

        public init(name: String, arguments: ChatJSON) {
            self.name = name
            self.arguments = arguments
        }
    }

    public init(id: String? = nil, type: String = "function", name: String, arguments: ChatJSON) {
        self.id = id
        self.type = type
        self.function = Function(name: name, arguments: arguments)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        type = try container.decodeIfPresent(String.self, forKey: .type) ?? "function"
        function = try container.decode(Function.self, forKey: .function)
    }

    var jinjaValue: JinjaValue {
        var entries: [(String, JinjaValue)] = []
        if let id { entries.append(("id", .string(id))) }
        entries.append(("type", .string(type)))
        entries.append(("function", .dict(JinjaDict([
            ("name", .string(function.name)), ("arguments", function.arguments.jinjaValue),
        ]))))
        return .dict(JinjaDict(entries))
    }
}
