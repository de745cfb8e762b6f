import XCTest
@testable import Models

/// The template given to models whose files carry none (Gemma 3 base GGUFs).
final class DefaultChatTemplateTests: XCTestCase {
    /// Expected strings from transformers 5.25's `render_jinja_template` (what `apply_chat_template` calls) on the
    /// same template and conversation, with bos_token "<bos>".
    func testGemma3TemplateRendersAsTransformersDoes() throws {
        let template = try ChatTemplate(try XCTUnwrap(DefaultChatTemplate.template(for: .gemma3)))
        let conversation = [ChatMessage(role: "system", content: "You are a helpful assistant."),
                            ChatMessage(role: "user", content: "Héllo! 👋"),
                            ChatMessage(role: "assistant", content: "Hi there! How can I help?"),
                            ChatMessage(role: "user", content: "  Tell me a joke.\n")]
        let turns = "<bos><start_of_turn>user\nYou are a helpful assistant.\n\nHéllo! 👋<end_of_turn>\n<start_of_turn>model\n"
            + "Hi there! How can I help?<end_of_turn>\n<start_of_turn>user\nTell me a joke.<end_of_turn>\n"
        XCTAssertEqual(try template.render(messages: conversation, addGenerationPrompt: false, bosToken: "<bos>", eosToken: "<eos>"), turns)
        XCTAssertEqual(try template.render(messages: conversation, addGenerationPrompt: true, bosToken: "<bos>", eosToken: "<eos>"),
                       turns + "<start_of_turn>model\n")
        XCTAssertNil(DefaultChatTemplate.template(for: .llama))
    }

    func testGemma3FileWithoutATemplateGetsGemmas() throws {
        let path = Gemma3ModelTests.modelPath
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "\(path) is missing: bash scripts/fetch-model.sh gemma3")
        let model = try RunnableModel.load(path)
        XCTAssertEqual(model.chatTemplate, DefaultChatTemplate.gemma3)
        // Replies end at Gemma's end of turn, not only at <eos>.
        XCTAssertEqual(ChatSession.stopTokens(try model.requireTokenizer()), [1, 106])
    }
}
