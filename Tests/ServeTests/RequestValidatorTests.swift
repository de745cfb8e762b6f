import XCTest
import Models
@testable import Serve

/// Requests outside the API's ranges or the model's limits are refused with a 400 naming the field; good
/// ones become tokenized sequences.
final class RequestValidatorTests: XCTestCase {
    let validator = ServeFixtures.validator()
    let tokenizer = ServeFixtures.tokenizer

    func chat(_ json: String) throws(APIError) -> SequenceRequest {
        try validator.chat(ServeFixtures.decode(ChatCompletionRequest.self, json))
    }

    func completions(_ json: String) throws(APIError) -> [(sequence: SequenceRequest, promptText: String)] {
        try validator.completions(ServeFixtures.decode(CompletionRequest.self, json))
    }

    func refusal(_ body: () throws -> Any, param: String?, file: StaticString = #filePath, line: UInt = #line) -> APIError? {
        do {
            _ = try body()
            XCTFail("accepted", file: file, line: line)
            return nil
        } catch {
            guard let error = error as? APIError else {
                XCTFail("\(error)", file: file, line: line)
                return nil
            }
            XCTAssertEqual(error.status, .badRequest, file: file, line: line)
            XCTAssertEqual(error.param, param, error.message, file: file, line: line)
            return error
        }
    }

    func testChatRendersTheTemplateAndDefaultsToTheRestOfTheContext() throws {
        let sequence = try chat(#"{"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "seed": 7, "temperature": 0.5, "stop": ["\n\n"]}"#)
        let rendered = try ChatSession.render([ChatMessage(role: "user", content: "Hi")], tokenizer: tokenizer, template: ServeFixtures.chatTemplate)
        XCTAssertEqual(sequence.prompt, tokenizer.encode(rendered, addSpecial: true))
        XCTAssertTrue(rendered.hasSuffix("<|im_start|>assistant\n"))
        XCTAssertEqual(sequence.maxTokens, 96 - sequence.prompt.count)
        XCTAssertEqual(sequence.sampling.seed, 7)
        XCTAssertEqual(sequence.sampling.temperature, 0.5)
        XCTAssertEqual(sequence.stopStrings, ["\n\n"])
        XCTAssertNil(sequence.logprobs)
    }

    func testCompletionsTakeTextsAndTokenIds() throws {
        let texts = try completions(#"{"prompt": ["a b", "c"], "seed": 3, "logprobs": 2, "echo": true, "max_tokens": 0}"#)
        XCTAssertEqual(texts.map(\.sequence.prompt), [tokenizer.encode("a b", addSpecial: true), tokenizer.encode("c", addSpecial: true)])
        XCTAssertEqual(texts.map(\.promptText), ["a b", "c"])
        XCTAssertEqual(texts.map(\.sequence.sampling.seed), [3, 4], "choice i samples with seed + i")
        XCTAssertEqual(texts.map(\.sequence.maxTokens), [0, 0])
        XCTAssertTrue(texts.allSatisfy { $0.sequence.promptLogprobs && $0.sequence.logprobs == 2 })
        let ids = try completions(#"{"prompt": [[1, 2, 3]]}"#)
        XCTAssertEqual(ids[0].sequence.prompt, [1, 2, 3])
        XCTAssertEqual(ids[0].promptText, tokenizer.decode([1, 2, 3]))
        XCTAssertEqual(ids[0].sequence.maxTokens, 16, "OpenAI's default")
        XCTAssertFalse(ids[0].sequence.promptLogprobs, "echo without logprobs scores nothing")
    }

    func testRefusals() {
        let user = #"[{"role": "user", "content": "Hi"}]"#
        let unknown = refusal({ try self.chat(#"{"model": "gpt-4", "messages": \#(user)}"#) }, param: "model")
        XCTAssertEqual(unknown?.code, "model_not_found")
        _ = refusal({ try self.chat(#"{"messages": []}"#) }, param: "messages")
        _ = refusal({ try self.chat(#"{"messages": \#(user), "n": 2}"#) }, param: "n")
        _ = refusal({ try self.chat(#"{"messages": \#(user), "temperature": 2.5}"#) }, param: "temperature")
        _ = refusal({ try self.chat(#"{"messages": \#(user), "temperature": -0.1}"#) }, param: "temperature")
        _ = refusal({ try self.chat(#"{"messages": \#(user), "top_p": 0}"#) }, param: "top_p")
        _ = refusal({ try self.chat(#"{"messages": \#(user), "top_p": 1.5}"#) }, param: "top_p")
        _ = refusal({ try self.chat(#"{"messages": \#(user), "max_tokens": 0}"#) }, param: "max_tokens")
        _ = refusal({ try self.chat(#"{"messages": \#(user), "max_completion_tokens": 1000}"#) }, param: "max_completion_tokens")
        _ = refusal({ try self.chat(#"{"messages": \#(user), "stop": ["a", "b", "c", "d", "e"]}"#) }, param: "stop")
        _ = refusal({ try self.chat(#"{"messages": \#(user), "logprobs": true}"#) }, param: "logprobs")
        let long = refusal({ try self.completions(#"{"prompt": "hello", "max_tokens": 96}"#) }, param: "max_tokens")
        XCTAssertEqual(long?.code, "context_length_exceeded")
        XCTAssertTrue(long?.message.contains("maximum context length is 96 tokens. However, you requested 97 tokens") == true, long?.message ?? "")
        _ = refusal({ try self.completions(#"{"prompt": [[1, 49152]]}"#) }, param: "prompt")
        _ = refusal({ try self.completions(#"{"prompt": [[1, -1]]}"#) }, param: "prompt")
        _ = refusal({ try self.completions(#"{"prompt": [[]]}"#) }, param: "prompt")
        _ = refusal({ try self.completions(#"{"prompt": ""}"#) }, param: "prompt")
        _ = refusal({ try self.completions(#"{"prompt": []}"#) }, param: "prompt")
        _ = refusal({ try self.completions(#"{"prompt": "a", "max_tokens": -1}"#) }, param: "max_tokens")
        _ = refusal({ try self.completions(#"{"prompt": "a", "logprobs": 21}"#) }, param: "logprobs")
        _ = refusal({ try self.completions(#"{"prompt": "a", "stream": true, "echo": true}"#) }, param: "stream")
        _ = refusal({ try self.completions(#"{"prompt": ["a", "b"], "stream": true}"#) }, param: "stream")
        _ = refusal({ try self.completions(#"{"prompt": ["a", "b", "c", "d", "e", "f", "g", "h", "i"]}"#) }, param: "prompt")
    }

    /// `tools` and the tool fields of messages reach the template (here one that prints them, as Qwen's do).
    func testToolsAndToolCallsReachTheTemplate() throws {
        let template = "{% for t in tools %}[tool {{ t.function.name }}]{% endfor %}{% for m in messages %}<{{ m.role }}>"
            + "{% if m.tool_calls %}{% for c in m.tool_calls %}call {{ c.function.name }}({{ c.function.arguments | tojson }}){% endfor %}"
            + "{% endif %}{% if m.tool_call_id %}#{{ m.tool_call_id }} {{ m.name }}: {% endif %}{{ m.content }}{% endfor %}"
        let validator = RequestValidator(modelID: "tiny", tokenizer: tokenizer, chatTemplate: template, contextLength: 96,
                                         vocabSize: ServeFixtures.model.config.vocabSize, maxPrompts: 8)
        let request = try ServeFixtures.decode(ChatCompletionRequest.self, """
            {"messages": [{"role": "user", "content": "Weather?"},
                          {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                           "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                          {"role": "tool", "tool_call_id": "c1", "name": "get_weather", "content": "sunny"}],
             "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
             "max_tokens": 4}
            """)
        let prompt = try validator.chat(request).prompt
        XCTAssertEqual(tokenizer.decode(prompt),
                       "[tool get_weather]<user>Weather?<assistant>call get_weather({\"city\": \"Paris\"})<tool>#c1 get_weather: sunny")
    }
}
