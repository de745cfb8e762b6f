import Foundation
import Core
import Models
@testable import Serve
import TestSupport

/// A tiny random model with SmolLM2's tokenizer and chat template: fast, and its greedy choices are not near ties.
enum ServeFixtures {
    static let tokenizer = try! BPETokenizer(tokenizerJSON: fixturesDirectory.appendingPathComponent("smollm2-tokenizer/tokenizer.json"))
    static let chatTemplate = try! String(contentsOf: fixturesDirectory.appendingPathComponent("smollm2-tokenizer/chat_template.jinja"),
                                          encoding: .utf8)
    static let model: CausalLM = {
        let m = CausalLM(config: .llama(vocabSize: 49152, hidden: 16, layers: 1, heads: 4, kvHeads: 2, intermediate: 24, maxPositions: 96), seed: 3)
        var rng = SeededRandom(seed: 4)
        for i in 0..<m.parameters.count { m.parameters.valuePointer[i] += 0.3 * rng.nextNormal() }
        return m
    }()

    static func validator(maxPrompts: Int = 8) -> RequestValidator {
        RequestValidator(modelID: "tiny", tokenizer: tokenizer, chatTemplate: chatTemplate, contextLength: model.config.maxPositions,
                         vocabSize: model.config.vocabSize, maxPrompts: maxPrompts)
    }

    static func runner(_ limits: BatchRunner.Limits = .init()) -> BatchRunner {
        BatchRunner(model: model, tokenizer: tokenizer, stopTokens: ChatSession.stopTokens(tokenizer), limits: limits)
    }

    /// A request body from JSON text.
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws(APIError) -> T {
        try RequestDecoding.decode(type, from: Data(json.utf8))
    }
}

extension APIError {
    /// The JSON body, parsed back.
    var parsedBody: [String: Any] {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["error"] as? [String: Any] ?? [:]
    }
}
