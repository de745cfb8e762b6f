import Foundation

/// A tokenizer written back out: Hugging Face `tokenizer.json` / `tokenizer_config.json`, or GGUF metadata.
enum TokenizerExport {
    /// `tokenizer.json` (BPE, byte-level or SentencePiece-style) as the `tokenizers` library writes it.
    static func huggingFaceJSON(_ t: BPETokenizer) throws -> Data {
        try withVocabulary(t) { vocab in try tokenizerJSON(t, vocab: vocab) }
    }

    /// Serializes what `body` builds, with `body`'s argument standing for `model.vocab`, written by hand: in a
    /// `[String: Int]` canonically equivalent tokens (Gemma has hundreds) would be one key. The stand-in is a
    /// string that occurs nowhere else in the output.
    private static func withVocabulary(_ t: BPETokenizer, _ body: (String) throws -> Data) throws -> Data {
        var seen = Set<[UInt8]>()
        var object: [UInt8] = Array("{".utf8)
        for (i, token) in t.vocabulary.enumerated() where seen.insert(Array(token.utf8)).inserted {
            if i > 0 { object.append(UInt8(ascii: ",")) }
            appendJSONString(token, to: &object)
            object += Array(":\(i)".utf8)
        }
        object.append(UInt8(ascii: "}"))
        var attempt = 0
        while true {
            let marker = "remask-vocabulary-\(attempt)"
            let data = try body(marker)
            if let range = data.range(of: Data("\"\(marker)\"".utf8)), data[range.upperBound...].range(of: Data(marker.utf8)) == nil,
               data[..<range.lowerBound].range(of: Data(marker.utf8)) == nil {
                return data[..<range.lowerBound] + Data(object) + data[range.upperBound...]
            }
            attempt += 1
        }
    }

    private static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), b]
            case 0..<0x20: out += Array(String(format: "\\u%04x", b).utf8)
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func tokenizerJSON(_ t: BPETokenizer, vocab: String) throws -> Data {
        var json: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": addedTokens(t),
            "post_processor": postProcessor(t),
        ]
        if let layout = t.sentencePiece {
            json["normalizer"] = layout.spacePrefix == .alwaysEvenAfterSpace
                ? ["type": "Prepend", "prepend": "\u{2581}"] as Any : NSNull()
            let scheme = switch layout.spacePrefix {
            case .first: "first"
            case .always: "always"
            case .never, .alwaysEvenAfterSpace: "never"
            }
            json["pre_tokenizer"] = ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": scheme, "split": layout.splitsAtSpaces]
            var decoders: [[String: Any]] = [["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "],
                                             ["type": "ByteFallback"], ["type": "Fuse"]]
            if layout.stripsLeadingSpace { decoders.append(["type": "Strip", "content": " ", "start": 1, "stop": 0]) }
            json["decoder"] = ["type": "Sequence", "decoders": decoders]
            json["model"] = ["type": "BPE", "dropout": NSNull(), "unk_token": t.unkID.flatMap(t.tokenString) as Any? ?? NSNull(),
                             "continuing_subword_prefix": NSNull(), "end_of_word_suffix": NSNull(), "fuse_unk": true,
                             "byte_fallback": true, "ignore_merges": false, "vocab": vocab,
                             "merges": sentencePieceMerges(t).map { [$0.left, $0.right] }]
            return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        }
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
        json["normalizer"] = t.normalizesNFC ? ["type": "NFC"] as Any : NSNull()
        json["pre_tokenizer"] = preTokenizer
        json["decoder"] = ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true]
        json["model"] = ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": "",
                         "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": t.preTokenizer == .llama3,
                         "vocab": vocab, "merges": t.mergeRules.map { [$0.left, $0.right] }]
        return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    }

    /// The merge list of a SentencePiece tokenizer, listed from its scores when they imply the merges.
    private static func sentencePieceMerges(_ t: BPETokenizer) -> [(left: String, right: String)] {
        guard let scores = t.sentencePiece?.scores else { return t.mergeRules }
        return SentencePieceMerges.fromScores(tokens: t.vocabulary, scores: scores, types: t.tokenTypes).map {
            (left: t.vocabulary[Int($0.left)], right: t.vocabulary[Int($0.right)])
        }
    }

    /// The tokens matched whole in the text (control, unknown and user-defined) as added tokens.
    private static func addedTokens(_ t: BPETokenizer) -> [[String: Any]] {
        let special: Set = [BPETokenizer.TokenType.control.rawValue, BPETokenizer.TokenType.unknown.rawValue]
        return t.vocabulary.indices.compactMap { i in
            let type = t.tokenTypes[i]
            guard special.contains(type) || type == BPETokenizer.TokenType.userDefined.rawValue else { return nil }
            return ["id": i, "content": t.vocabulary[i], "single_word": false, "lstrip": false, "rstrip": false,
                    "normalized": false, "special": special.contains(type)]
        }
    }

    /// A template that puts BOS first when the tokenizer adds it.
    private static func postProcessor(_ t: BPETokenizer) -> [String: Any] {
        var single: [Any] = [["Sequence": ["id": "A", "type_id": 0]]]
        var specials: [String: Any] = [:]
        if t.addBOS, let bos = t.bosID, let s = t.tokenString(bos) {
            single.insert(["SpecialToken": ["id": s, "type_id": 0]], at: 0)
            specials[s] = ["id": s, "ids": [Int(bos)], "tokens": [s]]
        }
        return ["type": "TemplateProcessing", "single": single, "pair": single + [["Sequence": ["id": "B", "type_id": 1]]],
                "special_tokens": specials]
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
    /// Qwen conversion drops it too): text that is not in normal form C then tokenizes differently. A
    /// SentencePiece tokenizer is written as model `llama` with scores (from its merge order when it came
    /// without); GGUF's one `add_space_prefix` flag stands for "first" and cannot say "always" or `split`.
    static func ggufMetadata(_ t: BPETokenizer, chatTemplate: String?, into w: inout GGUFWriter) {
        w.set("tokenizer.ggml.tokens", .array(.string(t.vocabulary)))
        w.set("tokenizer.ggml.token_type", .array(.int32(t.tokenTypes.map { Int32($0) })))
        if let layout = t.sentencePiece {
            w.set("tokenizer.ggml.model", .string("llama"))
            let scores = layout.scores ?? SentencePieceMerges.scores(vocabularySize: t.vocabSize,
                                                                    mergedIDs: t.mergeRules.compactMap { t.id(of: $0.left + $0.right) })
            w.set("tokenizer.ggml.scores", .array(.float32(scores)))
            w.set("tokenizer.ggml.add_space_prefix", .bool(layout.spacePrefix != .never))
        } else {
            w.set("tokenizer.ggml.model", .string("gpt2"))
            w.set("tokenizer.ggml.pre", .string(t.preTokenizer.ggufName))
            w.set("tokenizer.ggml.merges", .array(.string(t.mergeRules.map { "\($0.left) \($0.right)" })))
        }
        for (key, id) in [("bos_token_id", t.bosID), ("eos_token_id", t.eosID), ("unknown_token_id", t.unkID), ("padding_token_id", t.padID)] {
            if let id { w.set("tokenizer.ggml.\(key)", .uint32(UInt32(id))) }
        }
        w.set("tokenizer.ggml.add_bos_token", .bool(t.addBOS))
        w.set("tokenizer.ggml.add_eos_token", .bool(t.addEOS))
        if let chatTemplate { w.set("tokenizer.chat_template", .string(chatTemplate)) }
    }
}
