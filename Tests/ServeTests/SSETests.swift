import XCTest
import Hummingbird
@testable import Serve

/// Streamed chunks are `data: <json>` events in OpenAI's chunk shape, and the stream ends with `data: [DONE]`.
final class SSETests: XCTestCase {
    func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }

    func json(_ event: String) throws -> [String: Any] {
        XCTAssertTrue(event.hasPrefix("data: "))
        XCTAssertTrue(event.hasSuffix("\n\n"))
        let payload = event.dropFirst("data: ".count).dropLast(2)
        XCTAssertFalse(payload.contains("\n"), "one line per event")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
    }

    func testChatChunks() throws {
        let first = try json(text(ServerSentEvents.event(ChatCompletionChunk(
            id: "chatcmpl-1", created: 5, model: "tiny", choices: [.init(delta: .init(role: "assistant", content: "Hi\nthere"), finishReason: nil)], usage: nil))))
        XCTAssertEqual(first["object"] as? String, "chat.completion.chunk")
        XCTAssertEqual(first["id"] as? String, "chatcmpl-1")
        XCTAssertNil(first["usage"], "usage only in the last chunk, when asked for")
        let choice = try XCTUnwrap((first["choices"] as? [[String: Any]])?.first)
        XCTAssertEqual(choice["index"] as? Int, 0)
        XCTAssertTrue(choice["finish_reason"] is NSNull, "finish_reason is null until the end")
        XCTAssertEqual(choice["delta"] as? [String: String], ["role": "assistant", "content": "Hi\nthere"])

        let last = try json(text(ServerSentEvents.event(ChatCompletionChunk(
            id: "chatcmpl-1", created: 5, model: "tiny", choices: [.init(delta: .init(), finishReason: .length)], usage: nil))))
        let end = try XCTUnwrap((last["choices"] as? [[String: Any]])?.first)
        XCTAssertEqual(end["finish_reason"] as? String, "length")
        XCTAssertEqual(end["delta"] as? [String: String], [:])

        let usage = try json(text(ServerSentEvents.event(ChatCompletionChunk(
            id: "chatcmpl-1", created: 5, model: "tiny", choices: [], usage: Usage(promptTokens: 3, completionTokens: 4)))))
        XCTAssertEqual(usage["usage"] as? [String: Int], ["prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7])
        XCTAssertEqual(text(ServerSentEvents.done), "data: [DONE]\n\n")
    }

    func testCompletionChunkAndLogprobs() throws {
        var logprobs = CompletionLogprobs()
        logprobs.tokens = ["a", "b"]
        logprobs.tokenLogprobs = [nil, -0.5]
        logprobs.topLogprobs = [nil, ["b": -0.5]]
        logprobs.textOffset = [0, 1]
        let event = try json(text(ServerSentEvents.event(Completion(
            id: "cmpl-1", created: 5, model: "tiny", choices: [.init(text: "ab", index: 0, logprobs: logprobs, finishReason: .stop)],
            usage: Usage(promptTokens: 1, completionTokens: 1)))))
        XCTAssertEqual(event["object"] as? String, "text_completion")
        let choice = try XCTUnwrap((event["choices"] as? [[String: Any]])?.first)
        XCTAssertEqual(choice["finish_reason"] as? String, "stop")
        let lp = try XCTUnwrap(choice["logprobs"] as? [String: Any])
        XCTAssertEqual(lp["tokens"] as? [String], ["a", "b"])
        let tokenLogprobs = try XCTUnwrap(lp["token_logprobs"] as? [Any])
        XCTAssertTrue(tokenLogprobs[0] is NSNull)
        XCTAssertEqual(tokenLogprobs[1] as? Double, -0.5)
        let top = try XCTUnwrap(lp["top_logprobs"] as? [Any])
        XCTAssertTrue(top[0] is NSNull)
        XCTAssertEqual(top[1] as? [String: Double], ["b": -0.5])
        XCTAssertEqual(lp["text_offset"] as? [Int], [0, 1])

        let streamed = try json(text(ServerSentEvents.event(Completion(
            id: "cmpl-1", created: 5, model: "tiny", choices: [.init(text: "x", index: 0, logprobs: nil, finishReason: nil)], usage: nil))))
        let streamedChoice = try XCTUnwrap((streamed["choices"] as? [[String: Any]])?.first)
        XCTAssertTrue(streamedChoice["logprobs"] is NSNull)
        XCTAssertTrue(streamedChoice["finish_reason"] is NSNull)
    }
}
