import Foundation

extension WordPieceTokenizer {
    /// Loads a Hugging Face `tokenizer.json` whose model is WordPiece, laid out as BERT's: a `BertNormalizer`
    /// (or none), the `BertPreTokenizer`, a `TemplateProcessing` post-processor (or none) and the WordPiece
    /// decoder. Special added tokens are matched in the raw text. `truncation` and `padding` are not applied, as
    /// transformers does not apply them unless asked to. Anything else is refused with the field named.
    public convenience init(tokenizerJSON url: URL) throws {
        let file = url.lastPathComponent
        let (root, data) = try readJSONObject(url)
        let spec = try WordPieceJSONSpec(root: root, vocabulary: ExactJSON.objectEntries(atPath: ["model", "vocab"], in: data),
                                         file: file)
        do {
            try self.init(tokens: spec.tokens, normalizer: spec.normalizer, specialTokens: spec.specialTokens,
                          unkToken: spec.unkToken, continuingSubwordPrefix: spec.prefix, maxInputCharsPerWord: spec.maxInputChars,
                          addedBefore: spec.addedBefore, addedAfter: spec.addedAfter, cleansUpDecodedText: spec.cleanup)
        } catch var error as TokenizerError {
            error.file = file
            throw error
        }
    }
}

/// The parts of a WordPiece `tokenizer.json` the tokenizer uses, checked.
private struct WordPieceJSONSpec {
    var tokens: [String] = []
    var specialTokens: [String] = []
    var unkToken = "[UNK]"
    var prefix = "##"
    var maxInputChars = 100
    /// No normalizer: the text is used as it is.
    var normalizer = BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false)
    var addedBefore: [String] = []
    var addedAfter: [String] = []
    var cleanup = true

    /// `vocabulary`: `model.vocab`'s entries spelled exactly (see `ExactJSON`), when found; `root`'s otherwise.
    init(root: [String: Any], vocabulary: [(key: String, value: Int?)]?, file: String) throws {
        let f = JSONFields(file: file)
        let model = try f.object(root["model"], "model")
        let type = try f.string(model["type"], "model.type")
        guard type == "WordPiece" else { throw f.fail("model.type", "expected \"WordPiece\", got \"\(type)\"") }
        if !f.isAbsent(model["unk_token"]) { unkToken = try f.string(model["unk_token"], "model.unk_token") }
        if !f.isAbsent(model["continuing_subword_prefix"]) {
            prefix = try f.string(model["continuing_subword_prefix"], "model.continuing_subword_prefix")
        }
        if !f.isAbsent(model["max_input_chars_per_word"]) {
            guard let n = model["max_input_chars_per_word"] as? Int, n >= 0 else {
                throw f.fail("model.max_input_chars_per_word", "expected a count")
            }
            maxInputChars = n
        }
        try readVocabulary(model: model, exact: vocabulary, added: root["added_tokens"], f)
        try readNormalizer(root["normalizer"], f)
        let preTokenizer = try f.string(try f.object(root["pre_tokenizer"], "pre_tokenizer")["type"], "pre_tokenizer.type")
        guard preTokenizer == "BertPreTokenizer" else {
            throw f.fail("pre_tokenizer.type", "expected \"BertPreTokenizer\", got \"\(preTokenizer)\"")
        }
        try readPostProcessor(root["post_processor"], f)
        let decoder = try f.object(root["decoder"], "decoder")
        let decoderType = try f.string(decoder["type"], "decoder.type")
        guard decoderType == "WordPiece" else { throw f.fail("decoder.type", "expected \"WordPiece\", got \"\(decoderType)\"") }
        let decoderPrefix = f.isAbsent(decoder["prefix"]) ? "##" : try f.string(decoder["prefix"], "decoder.prefix")
        guard decoderPrefix == prefix else {
            throw f.fail("decoder.prefix", "\"\(decoderPrefix)\" differs from the model's prefix \"\(prefix)\"")
        }
        cleanup = try f.bool(decoder["cleanup"], "decoder.cleanup", default: true)
    }

    private mutating func readVocabulary(model: [String: Any], exact: [(key: String, value: Int?)]?, added: Any?, _ f: JSONFields) throws {
        var byID = try f.vocabularyByID(model: model, exact: exact)
        for (field, t, id, content) in try f.addedTokens(added) {
            guard try f.bool(t["special"], field + ".special", default: false) else {
                throw f.fail(field + ".special", "\"\(content)\": added tokens that are not special are not supported")
            }
            for option in ["lstrip", "rstrip", "single_word", "normalized"] where try f.bool(t[option], "\(field).\(option)", default: false) {
                throw f.fail("\(field).\(option)", "\"\(content)\": \(option) is not supported")
            }
            byID[id] = content
            specialTokens.append(content)
        }
        tokens = try f.contiguousTokens(byID)
    }

    /// BertNormalizer's fields, with `tokenizers`' defaults for absent ones.
    private mutating func readNormalizer(_ value: Any?, _ f: JSONFields) throws {
        if f.isAbsent(value) { return }
        let n = try f.object(value, "normalizer")
        let type = try f.string(n["type"], "normalizer.type")
        guard type == "BertNormalizer" else { throw f.fail("normalizer.type", "expected \"BertNormalizer\", got \"\(type)\"") }
        let lowercase = try f.bool(n["lowercase"], "normalizer.lowercase", default: true)
        normalizer = BertNormalizer(
            cleanText: try f.bool(n["clean_text"], "normalizer.clean_text", default: true),
            handleChineseChars: try f.bool(n["handle_chinese_chars"], "normalizer.handle_chinese_chars", default: true),
            stripAccents: f.isAbsent(n["strip_accents"]) ? nil : try f.bool(n["strip_accents"], "normalizer.strip_accents", default: lowercase),
            lowercase: lowercase)
    }

    /// A `TemplateProcessing` whose `single` template is special tokens around `$A`.
    private mutating func readPostProcessor(_ value: Any?, _ f: JSONFields) throws {
        if f.isAbsent(value) { return }
        let p = try f.object(value, "post_processor")
        let type = try f.string(p["type"], "post_processor.type")
        guard type == "TemplateProcessing" else {
            throw f.fail("post_processor.type", "expected \"TemplateProcessing\", got \"\(type)\"")
        }
        let specials = try f.object(p["special_tokens"] ?? [String: Any](), "post_processor.special_tokens")
        var sawText = false
        for (i, item) in try f.array(p["single"], "post_processor.single").enumerated() {
            let field = "post_processor.single[\(i)]"
            let entry = try f.object(item, field)
            if let sequence = entry["Sequence"] {
                let id = try f.string(try f.object(sequence, field + ".Sequence")["id"], field + ".Sequence.id")
                guard id == "A", !sawText else { throw f.fail(field, "expected the text ($A) once") }
                sawText = true
                continue
            }
            let name = try f.string(try f.object(entry["SpecialToken"], field + ".SpecialToken")["id"], field + ".SpecialToken.id")
            let tokensField = "post_processor.special_tokens[\"\(name)\"].tokens"
            let names = try f.array(try f.object(specials[name], "post_processor.special_tokens[\"\(name)\"]")["tokens"], tokensField)
                .map { try f.string($0, tokensField) }
            if sawText { addedAfter += names } else { addedBefore += names }
        }
        guard sawText else { throw f.fail("post_processor.single", "the template has no $A") }
    }
}
