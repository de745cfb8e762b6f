import Foundation

/// A tokenizer written back out: Hugging Face `tokenizer.json` / `tokenizer_config.json`, or GGUF metadata.
enum TokenizerExport {
    /// `tokenizer.json` (BPE, byte-level) as the `tokenizers` library writes it.
    static func huggingFaceJSON(_ t: BPETokenizer) throws -> Data {
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        let preTokenizer: Any
        switch t.preTokenizer {
        case .gpt2: preTokenizer = byteLevel
        case .smollm:
            preTokenizer = ["type": "Sequence", "pretokenizers": [["type": "Digits", "individual_digits": true], byteLevel]]
        case .llama3, .qwen2:
            let split: [String: Any] = ["type": "Split", "pattern": ["Regex": t.preTokenizer.regex!], "behavior": "Isolated", "invert": false]
            preTokenizer = ["type": "Sequence", "pretokenizers": [split, ["type": "ByteLevel", "add_prefix_space": false,
                                                                            "trim_offsets": false, "use_regex": false]]]
        }
        let added: [[String: Any]] = t.vocabulary.indices.compactMap { i in
            let type = t.tokenTypes[i]
            guard type == BPETokenizer.TokenType.control.rawValue || type == BPETokenizer.TokenType.userDefined.rawValue else { return nil }
            return ["id": i, "content": t.vocabulary[i], "single_word": false, "lstrip": false, "rstrip": false,
                    "normalized": false, "special": type == BPETokenizer.TokenType.control.rawValue]
        }
        var vocab: [String: Int] = [:]
        for (i, s) in t.vocabulary.enumerated() where vocab[s] == nil { vocab[s] = i }
        var single: [Any] = [["Sequence": ["id": "A", "type_id": 0]]]
        var specials: [String: Any] = [:]
        if t.addBOS, let bos = t.bosID, let s = t.tokenString(bos) {
            single.insert(["SpecialToken": ["id": s, "type_id": 0]], at: 0)
            specials[s] = ["id": s, "ids": [Int(bos)], "tokens": [s]]
        }
        let json: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": t.normalizesNFC ? ["type": "NFC"] as Any : NSNull(),
            "pre_tokenizer": preTokenizer,
            "post_processor": ["type": "TemplateProcessing", "single": single, "pair": single + [["Sequence": ["id": "B", "type_id": 1]]],
                               "special_tokens": specials],
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": t.preTokenizer == .llama3,
                      "vocab": vocab, "merges": t.mergeRules.map { [$0.left, $0.right] }],
        ]
        return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    }

    /// `tokenizer_config.json`: special tokens and the chat template.
    static func huggingFaceConfig(_ t: BPETokenizer, chatTemplate: String?) throws -> Data {
        var json: [String: Any] = ["tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 1_000_000,
                                   "add_bos_token": t.addBOS, "add_eos_token": t.addEOS, "clean_up_tokenization_spaces": false]
        for (key, id) in [("bos_token", t.bosID), ("eos_token", t.eosID), ("unk_token", t.unkID), ("pad_token", t.padID)] {
            if let id, let s = t.tokenString(id) { json[key] = s }
        }
        if let chatTemplate { json["chat_template"] = chatTemplate }
        return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted])
    }

    /// The `tokenizer.*` GGUF metadata llama.cpp reads. GGUF has no field for an NFC normalizer (llama.cpp's own
    /// Qwen conversion drops it too): text that is not in normal form C then tokenizes differently.
    static func ggufMetadata(_ t: BPETokenizer, chatTemplate: String?, into w: inout GGUFWriter) {
        w.set("tokenizer.ggml.model", .string("gpt2"))
        w.set("tokenizer.ggml.pre", .string(t.preTokenizer.ggufName))
        w.set("tokenizer.ggml.tokens", .array(.string(t.vocabulary)))
        w.set("tokenizer.ggml.token_type", .array(.int32(t.tokenTypes.map { Int32($0) })))
        w.set("tokenizer.ggml.merges", .array(.string(t.mergeRules.map { "\($0.left) \($0.right)" })))
        for (key, id) in [("bos_token_id", t.bosID), ("eos_token_id", t.eosID), ("unknown_token_id", t.unkID), ("padding_token_id", t.padID)] {
            if let id { w.set("tokenizer.ggml.\(key)", .uint32(UInt32(id))) }
        }
        w.set("tokenizer.ggml.add_bos_token", .bool(t.addBOS))
        w.set("tokenizer.ggml.add_eos_token", .bool(t.addEOS))
        if let chatTemplate { w.set("tokenizer.chat_template", .string(chatTemplate)) }
    }
}
