import Foundation
import TestSupport
import XCTest
@testable import Models

/// Real chat templates (SmolLM2, Gemma 3, Qwen2.5, Qwen3, Llama 3.1, Llama 3.2) render byte for byte what
/// transformers' `apply_chat_template` renders, for conversations with system prompts, several turns, tool
/// definitions, tool calls (arguments as objects and as JSON strings), tool results and Qwen3's reasoning.
/// `Tests/Fixtures/chat-templates/expected.json` comes from `tools/make_chat_template_fixture.py`.
final class ChatTemplateFixtureTests: XCTestCase {
    private let folder = fixturesDirectory.appendingPathComponent("chat-templates")

    func testRealTemplatesRenderAsTransformersDoes() throws {
        let fixture = try ChatJSON(parsing: String(contentsOf: folder.appendingPathComponent("expected.json"), encoding: .utf8))
        guard case .object(let templates)? = fixture["templates"] else { return XCTFail("no templates in the fixture") }
        XCTAssertEqual(templates.map(\.key), ["smollm2", "gemma3", "qwen2.5", "qwen3", "llama3.1", "llama3.2"])
        let now = try XCTUnwrap(strftimeNow(fixture))
        var rendered = 0
        for (name, entry) in templates.map({ ($0.key, $0.value) }) {
            let source = try String(contentsOf: folder.appendingPathComponent(try string(entry["file"])), encoding: .utf8)
            let template = try ChatTemplate(source)
            guard case .array(let cases)? = entry["cases"] else { return XCTFail("\(name): no cases") }
            for testCase in cases {
                let label = "\(name) \(try string(testCase["name"]))"
                let messages = try array(testCase["messages"]).map(chatMessage)
                let tools = try testCase["tools"].map(array)
                var variables: [String: ChatJSON] = [:]
                if case .object(let members)? = testCase["kwargs"] {
                    for member in members { variables[member.key] = member.value }
                }
                for generationPrompt in [false, true] {
                    let output = try template.render(
                        messages: messages, addGenerationPrompt: generationPrompt, bosToken: optionalString(entry["bos_token"]),
                        eosToken: optionalString(entry["eos_token"]), tools: tools, variables: variables, now: now)
                    let key = generationPrompt ? "expected_with_generation_prompt" : "expected"
                    XCTAssertEqual(output, try string(testCase[key]), "\(label), add_generation_prompt=\(generationPrompt)")
                    rendered += 1
                }
            }
        }
        XCTAssertEqual(rendered, 2 * 39)
    }

    /// The fixture's Gemma 3 template is the one remask gives Gemma 3 files that carry none, so that template is
    /// checked against transformers on the conversations above too.
    func testGemma3FixtureIsTheDefaultTemplate() throws {
        let fixture = try String(contentsOf: folder.appendingPathComponent("gemma3.jinja"), encoding: .utf8)
        XCTAssertEqual(fixture, DefaultChatTemplate.gemma3)
    }

    // MARK: Reading the fixture

    private struct FixtureError: Error, CustomStringConvertible {
        let description: String
    }

    private func string(_ value: ChatJSON?) throws -> String {
        guard case .string(let text)? = value else { throw FixtureError(description: "expected a string, found \(String(describing: value))") }
        return text
    }

    /// A special token the tokenizer lacks is null in the fixture (transformers then leaves the variable out); the
    /// templates here never use such a token, so "" stands in.
    private func optionalString(_ value: ChatJSON?) throws -> String {
        if case .null? = value { return "" }
        return try string(value)
    }

    private func array(_ value: ChatJSON?) throws -> [ChatJSON] {
        guard case .array(let items)? = value else { throw FixtureError(description: "expected an array") }
        return items
    }

    private func chatMessage(_ json: ChatJSON) throws -> ChatMessage {
        let toolCalls = try json["tool_calls"].map(array)?.map { call in
            ChatToolCall(id: try call["id"].map(string), name: try string(call["function"]?["name"]),
                         arguments: try XCTUnwrap(call["function"]?["arguments"]))
        }
        return ChatMessage(role: try string(json["role"]), content: try string(json["content"]),
                           reasoningContent: try json["reasoning_content"].map(string), toolCalls: toolCalls,
                           toolCallID: try json["tool_call_id"].map(string), name: try json["name"].map(string))
    }

    /// The local wall-clock time the generator pinned `strftime_now` to (`2026-03-07T09:05:00`).
    private func strftimeNow(_ fixture: ChatJSON) throws -> Date? {
        let parts = try string(fixture["strftime_now"]).split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard parts.count == 6 else { return nil }
        let components = DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4],
                                        second: parts[5])
        return Calendar(identifier: .gregorian).date(from: components)
    }
}
