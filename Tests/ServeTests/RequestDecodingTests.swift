import XCTest
@testable import Serve

/// Request bodies that are not what the API expects get a 400 naming the field.
final class RequestDecodingTests: XCTestCase {
    func error<T: Decodable>(_ type: T.Type, _ json: String, file: StaticString = #filePath, line: UInt = #line) -> APIError? {
        do {
            _ = try ServeFixtures.decode(type, json)
            XCTFail("decoded \(json)", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(error.status, .badRequest, file: file, line: line)
            XCTAssertEqual(error.type, "invalid_request_error", file: file, line: line)
            return error
        }
    }

    func testMalformedJSON() {
        XCTAssertEqual(error(ChatCompletionRequest.self, #"{"messages": [ "#)?.message, "The request body is not valid JSON.")
        XCTAssertEqual(error(ChatCompletionRequest.self, "")?.message, "The request body is not valid JSON.")
    }

    func testMissingAndMistypedFields() {
        let missing = error(ChatCompletionRequest.self, #"{"model": "tiny"}"#)
        XCTAssertEqual(missing?.param, "messages")
        XCTAssertEqual(missing?.message, "Missing required parameter: 'messages'.")
        let temperature = error(ChatCompletionRequest.self, #"{"messages": [], "temperature": "hot"}"#)
        XCTAssertEqual(temperature?.param, "temperature")
        XCTAssertEqual(temperature?.message, "Invalid type for 'temperature': expected a number.")
        let content = error(ChatCompletionRequest.self, #"{"messages": [{"role": "user", "content": 5}]}"#)
        XCTAssertEqual(content?.param, "messages[0].content")
        XCTAssertEqual(error(ChatCompletionRequest.self, #"[1, 2]"#)?.message, "Invalid type for 'body': expected an object.")
        XCTAssertEqual(error(CompletionRequest.self, #"{"prompt": {"text": "hi"}}"#)?.param, "prompt")
        XCTAssertEqual(error(CompletionRequest.self, #"{"prompt": "hi", "stop": [1]}"#)?.param, "stop")
        XCTAssertTrue(error(CompletionRequest.self, #"{"prompt": "hi", "max_tokens": 1.5}"#)?.message.contains("wrong type") == true)
        XCTAssertEqual(error(CompletionRequest.self, #"{"prompt": "hi", "echo": "yes"}"#)?.param, "echo")
        XCTAssertEqual(error(ChatCompletionRequest.self, #"{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#)?.message,
                       "Invalid value for 'messages[0].content': content parts of type 'image_url' are not supported (text only).")
    }

    func testAcceptedShapes() throws {
        let parts = try ServeFixtures.decode(ChatCompletionRequest.self,
                                             #"{"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}], "unknown": 1}"#)
        XCTAssertEqual(parts.messages[0].content?.text, "ab")
        let null = try ServeFixtures.decode(ChatCompletionRequest.self, #"{"messages": [{"role": "assistant", "content": null}], "stop": "x"}"#)
        XCTAssertNil(null.messages[0].content)
        XCTAssertEqual(null.stop?.values, ["x"])
        func prompt(_ json: String) throws -> Prompt { try ServeFixtures.decode(CompletionRequest.self, #"{"prompt": \#(json)}"#).prompt }
        guard case .texts(["a"]) = try prompt(#""a""#), case .texts(["a", "b"]) = try prompt(#"["a", "b"]"#),
              case .tokens([[1, 2]]) = try prompt("[1, 2]"), case .tokens([[1], [2, 3]]) = try prompt("[[1], [2, 3]]") else {
            return XCTFail("prompt shapes")
        }
    }

    func testErrorBodyHasOpenAIShape() throws {
        let error = APIError.invalidRequest("Bad thing.", param: "top_p")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: error.body) as? [String: Any])
        XCTAssertEqual(Array(json.keys), ["error"])
        let body = error.parsedBody
        XCTAssertEqual(body["message"] as? String, "Bad thing.")
        XCTAssertEqual(body["type"] as? String, "invalid_request_error")
        XCTAssertEqual(body["param"] as? String, "top_p")
        XCTAssertTrue(body["code"] is NSNull, "code is written as null")
        XCTAssertEqual(APIError.queueFull(capacity: 3).status, .tooManyRequests)
        XCTAssertEqual(APIError.queueFull(capacity: 3).parsedBody["type"] as? String, "rate_limit_error")
        XCTAssertEqual(APIError.shuttingDown.status, .serviceUnavailable)
    }
}
