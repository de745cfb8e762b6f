import XCTest
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Models
@testable import Serve

/// The server over real HTTP on a free loopback port, with the tiny model.
final class ServerTests: XCTestCase {
    struct Reply {
        let status: Int
        let body: Data
        let contentType: String?
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    var base: URL!

    func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> Reply {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try XCTUnwrap(response as? HTTPURLResponse)
        return Reply(status: http.statusCode, body: data, contentType: http.value(forHTTPHeaderField: "Content-Type"))
    }

    func testEndpointsOverHTTP() async throws {
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let server = OpenAIServer(model: ServeFixtures.model, tokenizer: ServeFixtures.tokenizer, chatTemplate: ServeFixtures.chatTemplate,
                                  modelID: "tiny", configuration: ServeConfiguration(port: 0, handlesSignals: false),
                                  onListening: { listening.yield($0) })
        let running = Task { try await server.run() }
        var iterator = ports.makeAsyncIterator()
        let firstPort = await iterator.next()
        let port = try XCTUnwrap(firstPort)
        base = URL(string: "http://127.0.0.1:\(port)")!

        let health = try await call("GET", "health")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.json["status"] as? String, "ok")
        let models = try await call("GET", "v1/models")
        XCTAssertEqual((models.json["data"] as? [[String: Any]])?.first?["id"] as? String, "tiny")

        let chatBody = #"{"model": "tiny", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 8, "temperature": 0}"#
        let chat = try await call("POST", "v1/chat/completions", chatBody)
        XCTAssertEqual(chat.status, 200, chat.text)
        XCTAssertEqual(chat.json["object"] as? String, "chat.completion")
        let choice = try XCTUnwrap((chat.json["choices"] as? [[String: Any]])?.first)
        let message = try XCTUnwrap(choice["message"] as? [String: Any])
        XCTAssertEqual(message["role"] as? String, "assistant")
        let reply = try XCTUnwrap(message["content"] as? String)
        let usage = try XCTUnwrap(chat.json["usage"] as? [String: Int])
        let rendered = try ChatSession.render([ChatMessage(role: "user", content: "Hello")], tokenizer: ServeFixtures.tokenizer,
                                              template: ServeFixtures.chatTemplate)
        XCTAssertEqual(usage["prompt_tokens"], ServeFixtures.tokenizer.encode(rendered, addSpecial: true).count)
        XCTAssertEqual(usage["total_tokens"], usage["prompt_tokens"]! + usage["completion_tokens"]!)

        let stream = try await call("POST", "v1/chat/completions", chatBody.dropLast() + #", "stream": true, "stream_options": {"include_usage": true}}"#)
        XCTAssertEqual(stream.status, 200)
        XCTAssertEqual(stream.contentType, "text/event-stream")
        let events = stream.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        XCTAssertEqual(events.last, "data: [DONE]")
        let chunks = events.dropLast().map { (try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8))) as? [String: Any] ?? [:] }
        let deltas = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: String] }
        XCTAssertEqual(deltas.first?["role"], "assistant")
        XCTAssertEqual(deltas.compactMap { $0["content"] }.joined(), reply, "streamed text equals the whole reply (greedy)")
        XCTAssertEqual(chunks.last?["usage"] as? [String: Int], usage)

        let echo = try await call("POST", "v1/completions", #"{"model": "tiny", "prompt": [[1, 2, 3, 4]], "max_tokens": 1, "echo": true, "logprobs": 1, "temperature": 0}"#)
        XCTAssertEqual(echo.status, 200, echo.text)
        let logprobs = try XCTUnwrap(((echo.json["choices"] as? [[String: Any]])?.first)?["logprobs"] as? [String: Any])
        let tokenLogprobs = try XCTUnwrap(logprobs["token_logprobs"] as? [Any])
        XCTAssertEqual(tokenLogprobs.count, 5, "four prompt tokens and the one generated")
        XCTAssertTrue(tokenLogprobs[0] is NSNull)
        XCTAssertEqual((logprobs["tokens"] as? [String])?.count, 5)
        XCTAssertEqual((logprobs["text_offset"] as? [Int])?.first, 0)
        let top = try XCTUnwrap(logprobs["top_logprobs"] as? [Any])
        XCTAssertTrue(top[0] is NSNull)
        XCTAssertEqual((top[4] as? [String: Double])?.values.max(), tokenLogprobs[4] as? Double, "greedy: the chosen token is the best")

        for bad in [#"{"messages": "#, #"{"model": "tiny", "messages": []}"#, #"{"messages": [{"role": "user", "content": "x"}], "n": 3}"#,
                    #"{"model": "other", "messages": [{"role": "user", "content": "x"}]}"#] {
            let refused = try await call("POST", "v1/chat/completions", bad)
            XCTAssertEqual(refused.status, 400, bad)
            XCTAssertEqual((refused.json["error"] as? [String: Any])?["type"] as? String, "invalid_request_error", bad)
        }
        let missing = try await call("GET", "v1/nothing")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual((missing.json["error"] as? [String: Any])?["code"] as? String, "not_found")
        let tokens = try await call("POST", "tokenize", #"{"prompt": "Hello world", "add_special_tokens": false}"#)
        let ids = try XCTUnwrap(tokens.json["tokens"] as? [Int])
        XCTAssertEqual(ids.map(Int32.init), ServeFixtures.tokenizer.encode("Hello world"))
        let text = try await call("POST", "detokenize", #"{"tokens": \#(ids)}"#)
        XCTAssertEqual(text.json["prompt"] as? String, "Hello world")
        let healthAfter = try await call("GET", "health")
        XCTAssertEqual(healthAfter.status, 200, "still serving after bad requests")

        await server.shutdown()
        try await running.value
    }
}
