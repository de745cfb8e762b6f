import Hummingbird

/// vLLM's tokenizer endpoints, enough for lm-evaluation-harness's remote tokenizer: with them,
/// `local-completions` counts context tokens with the served model's own tokenizer.
extension Endpoints {
    struct TokenizeRequest: Decodable {
        var prompt: String
        var addSpecialTokens: Bool?
        enum CodingKeys: String, CodingKey { case prompt, addSpecialTokens = "add_special_tokens" }
    }

    struct TokenizeResponse: Encodable {
        let tokens: [Int32]
        let count: Int
        let maxModelLen: Int
        enum CodingKeys: String, CodingKey { case tokens, count, maxModelLen = "max_model_len" }
    }

    struct DetokenizeRequest: Decodable {
        var tokens: [Int]
    }

    struct TokenizerInfo: Encodable {
        @ExplicitNull var eosToken: String?
        @ExplicitNull var bosToken: String?
        @ExplicitNull var padToken: String? = nil
        @ExplicitNull var chatTemplate: String?
        let modelMaxLength: Int

        enum CodingKeys: String, CodingKey {
            case eosToken = "eos_token", bosToken = "bos_token", padToken = "pad_token", chatTemplate = "chat_template"
            case modelMaxLength = "model_max_length"
        }
    }

    func registerTokenizerRoutes(on router: Router<BasicRequestContext>) {
        router.get("tokenizer_info") { _, _ in
            try Response.json(TokenizerInfo(eosToken: tokenizer.eosID.map { tokenizer.decode([$0]) }, bosToken: tokenizer.bosID.map { tokenizer.decode([$0]) },
                                            chatTemplate: validator.chatTemplate, modelMaxLength: validator.contextLength))
        }
        router.post("tokenize") { request, _ in
            let body = try await decode(TokenizeRequest.self, request)
            let tokens = tokenizer.encode(body.prompt, addSpecial: body.addSpecialTokens ?? true)
            return try Response.json(TokenizeResponse(tokens: tokens, count: tokens.count, maxModelLen: validator.contextLength))
        }
        router.post("detokenize") { request, _ in
            let body = try await decode(DetokenizeRequest.self, request)
            if let bad = body.tokens.first(where: { !(0..<validator.vocabSize).contains($0) }) {
                throw APIError.invalidRequest("Token id \(bad) is outside the vocabulary (0..<\(validator.vocabSize)).", param: "tokens")
            }
            return try Response.json(["prompt": tokenizer.decode(body.tokens.map { Int32($0) })])
        }
    }
}
