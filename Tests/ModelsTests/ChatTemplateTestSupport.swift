import XCTest
@testable import Models

/// The conversation the Jinja semantics tests render with.
let jinjaTestConversation = [
    ChatMessage(role: "system", content: "You are a helpful assistant."),
    ChatMessage(role: "user", content: "Héllo! 👋"),
    ChatMessage(role: "assistant", content: "Hi there! How can I help?"),
    ChatMessage(role: "user", content: "  Tell me a joke.\n"),
]

extension XCTestCase {
    /// Renders each template with `jinjaTestConversation`, `bos_token="<s>"`, `eos_token="</s>"` and
    /// `extra: ["name": "Ada"]`, and checks the output against what Python's jinja2 rendered.
    func assertCasesMatchJinja(_ cases: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        for (source, expected) in cases {
            do {
                let output = try ChatTemplate(source).render(messages: jinjaTestConversation, addGenerationPrompt: false,
                                                             bosToken: "<s>", eosToken: "</s>", extra: ["name": "Ada"])
                XCTAssertEqual(output, expected, "template: \(source)", file: file, line: line)
            } catch {
                XCTFail("template: \(source): \(error)", file: file, line: line)
            }
        }
    }
}
