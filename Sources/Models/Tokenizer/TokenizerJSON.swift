import Foundation

extension BPETokenizer {
    /// Loads a Hugging Face `tokenizer.json` whose model is BPE, byte-level or SentencePiece-style (with
    /// `byte_fallback`). Special-token ids come from a
    /// `tokenizer_config.json` beside it when there is one (`bos_token`, `eos_token`, `unk_token`, `pad_token`),
    /// else from the post-processor's template and `model.unk_token`. Whether BOS/EOS are added follows the
    /// post-processor's template when it is a `TemplateProcessing`, else the config's `add_bos_token` /
    /// `add_eos_token`. Layouts this tokenizer cannot reproduce exactly are refused with the field named.
    public convenience init(tokenizerJSON url: URL) throws {
        let file = url.lastPathComponent
        let (root, data) = try readJSONObject(url)
        let spec = try TokenizerJSONSpec(root: root, vocabulary: ExactJSON.objectEntries(atPath: ["model", "vocab"], in: data),
                                         merges: ExactJSON.stringArrayItems(atPath: ["model", "merges"], in: data), file: file)
        let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        let config = FileManager.default.fileExists(atPath: configURL.path)
            ? try TokenizerConfigSpec(root: try readJSONObject(configURL).object, file: configURL.lastPathComponent, ids: spec.ids)
            : nil
        do {
            try self.init(tokens: spec.tokens, merges: spec.merges, tokenTypes: spec.types,
                          bosID: config?.bos ?? spec.templateBOS, eosID: config?.eos ?? spec.templateEOS,
                          unkID: config?.unk ?? spec.modelUnk, padID: config?.pad,
                          addBOS: spec.templateAddsBOS ?? config?.addBOS ?? false,
                          addEOS: spec.templateAddsEOS ?? config?.addEOS ?? false,
                          preTokenizer: spec.preTokenizer, ignoreMerges: spec.ignoreMerges, normalizesNFC: spec.normalizesNFC,
                          sentencePiece: spec.sentencePiece)
        } catch var error as TokenizerError {
            // The neutral initializer names its own parameters; point at the file's fields instead.
            error.file = file
            if let field = error.field {
                error.field = field.hasPrefix("merges") ? "model." + field : field == "tokens" ? "model.vocab" : field
            }
            throw error
        }
    }
}

/// The file's top-level object and its bytes, or an error naming the file.
func readJSONObject(_ url: URL) throws -> (object: [String: Any], data: Data) {
    let file = url.lastPathComponent
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw TokenizerError(file: file, "cannot read \(url.path): \(error.localizedDescription)")
    }
    let root: Any
    do { root = try JSONSerialization.jsonObject(with: data) } catch {
        throw TokenizerError(file: file, "not valid JSON: \(error.localizedDescription)")
    }
    guard let object = root as? [String: Any] else { throw TokenizerError(file: file, "the top level is not a JSON object") }
    return (object, data)
}

/// Typed access to JSON fields that reports the file and field path on any mismatch. Each accessor tries the
/// expected type first: testing a large dictionary for `NSNull` first would bridge it to `NSDictionary`.
struct JSONFields {
    /// `model.vocab` as tokens by id (in the file's order when `exact` gives it); an id given twice is an error.
    func vocabularyByID(model: [String: Any], exact: [(key: String, value: Int?)]?) throws -> [Int: String] {
        let object = try self.object(model["vocab"], "model.vocab")
        // A value that is not a plain integer is taken as parsed, for the error message.
        let vocab: [(key: String, value: Any?)] = exact?.map { ($0.key, $0.value ?? object[$0.key]) } ?? object.map { ($0.key, $0.value) }
        var byID = [Int: String](minimumCapacity: vocab.count)
        for (token, value) in vocab {
            let id = try self.id(value, "model.vocab[\"\(token)\"]")
            if let other = byID[id] { throw fail("model.vocab", "id \(id) is given to both \"\(other)\" and \"\(token)\"") }
            byID[id] = token
        }
        return byID
    }

    /// The entries of `added_tokens` (nothing when absent): each one's field name, object, id and content.
    func addedTokens(_ value: Any?) throws -> [(field: String, object: [String: Any], id: Int, content: String)] {
        guard !isAbsent(value) else { return [] }
        return try array(value, "added_tokens").enumerated().map { i, item in
            let field = "added_tokens[\(i)]"
            let t = try object(item, field)
            return (field, t, try id(t["id"], field + ".id"), try string(t["content"], field + ".content"))
        }
    }

    /// The tokens in id order; the ids must be 0..<count.
    func contiguousTokens(_ byID: [Int: String]) throws -> [String] {
        if let beyond = byID.keys.max(), beyond >= byID.count {
            throw fail("model.vocab", "ids are not contiguous: there are \(byID.count) tokens but one has id \(beyond)")
        }
        return (0..<byID.count).map { byID[$0]! }
    }

    let file: String

    func fail(_ field: String, _ message: String) -> TokenizerError {
        TokenizerError(file: file, field: field, message)
    }

    func isAbsent(_ value: Any?) -> Bool {
        guard let value else { return true }
        return value is NSNull
    }

    private func mismatch(_ value: Any?, _ field: String, _ expected: String) -> TokenizerError {
        fail(field, isAbsent(value) ? "missing" : "expected \(expected)")
    }

    func object(_ value: Any?, _ field: String) throws -> [String: Any] {
        guard let o = value as? [String: Any] else { throw mismatch(value, field, "an object") }
        return o
    }

    func array(_ value: Any?, _ field: String) throws -> [Any] {
        guard let a = value as? [Any] else { throw mismatch(value, field, "an array") }
        return a
    }

    func string(_ value: Any?, _ field: String) throws -> String {
        guard let s = value as? String else { throw mismatch(value, field, "a string") }
        return s
    }

    func bool(_ value: Any?, _ field: String, default fallback: Bool) throws -> Bool {
        if let b = value as? Bool { return b }
        if isAbsent(value) { return fallback }
        throw fail(field, "expected true or false")
    }

    func id(_ value: Any?, _ field: @autoclosure () -> String) throws -> Int {
        guard let n = value as? Int, n >= 0, n < Int(Int32.max) else { throw mismatch(value, field(), "a token id") }
        return n
    }
}

/// The parts of a `tokenizer.json` this tokenizer uses, checked.
private struct TokenizerJSONSpec {
    var tokens: [String] = []
    var types: [Int] = []
    var ids: [String: Int32] = [:]
    var merges: [(String, String)] = []
    var modelUnk: Int32?
    var ignoreMerges = false
    var normalizesNFC = false
    var preTokenizer = PreTokenizer.gpt2
    var sentencePiece: SentencePieceLayout?
    /// Added tokens marked `normalized` (field path, content): `tokenizers` matches them in normalized text,
    /// spelled as the normalizer makes them, where this tokenizer matches the raw text.
    private var normalizedAddedTokens: [(field: String, content: String)] = []
    var templateBOS: Int32?
    var templateEOS: Int32?
    var templateAddsBOS: Bool?
    var templateAddsEOS: Bool?

    /// `vocabulary` and `merges`: `model.vocab`'s entries and `model.merges`' items spelled exactly (see
    /// `ExactJSON`), when found; `root`'s are used otherwise.
    init(root: [String: Any], vocabulary: [(key: String, value: Int?)]?, merges exactMerges: [Any?]?, file: String) throws {
        let f = JSONFields(file: file)
        let model = try f.object(root["model"], "model")
        let type = try f.string(model["type"], "model.type")
        guard type == "BPE" else { throw f.fail("model.type", "expected \"BPE\", got \"\(type)\"") }
        let byteFallback = try f.bool(model["byte_fallback"], "model.byte_fallback", default: false)
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let s = model[field] as? String, !s.isEmpty { throw f.fail("model.\(field)", "\"\(s)\" is not supported") }
        }
        if let dropout = model["dropout"] as? Double, dropout > 0 {
            throw f.fail("model.dropout", "BPE dropout \(dropout) would make encoding random")
        }
        ignoreMerges = try f.bool(model["ignore_merges"], "model.ignore_merges", default: false)

        try readVocabulary(model: model, exact: vocabulary, added: root["added_tokens"], byteTokens: byteFallback, f)
        try readMerges(model["merges"], exact: exactMerges, f)
        if !f.isAbsent(model["unk_token"]) {
            let name = try f.string(model["unk_token"], "model.unk_token")
            guard let id = ids[name] else { throw f.fail("model.unk_token", "\"\(name)\" is not in the vocabulary") }
            modelUnk = id
        }
        if byteFallback {
            if ignoreMerges { throw f.fail("model.ignore_merges", "not supported with byte_fallback") }
            let (layout, normalizer) = try SentencePieceJSONLayout.read(root, f)
            sentencePiece = layout
            // Only a normalizer that changes a token's spelling makes raw matching differ.
            if let token = normalizedAddedTokens.first(where: { normalizer.prepends || (normalizer.replacesSpaces && $0.content.contains(" ")) }) {
                throw f.fail(token.field, "\"\(token.content)\": a normalized added token that the normalizer changes is not supported")
            }
            try readPostProcessor(root["post_processor"], "post_processor", f)
            return
        }
        if !f.isAbsent(root["normalizer"]) {
            let type = (root["normalizer"] as? [String: Any])?["type"] as? String ?? "?"
            guard type == "NFC" else { throw f.fail("normalizer", "normalizer \"\(type)\" is not supported (only NFC)") }
            normalizesNFC = true
        }
        preTokenizer = try PreTokenizerLayout.read(root["pre_tokenizer"], "pre_tokenizer", f)
        if !f.isAbsent(root["decoder"]) {
            let type = try f.string(try f.object(root["decoder"], "decoder")["type"], "decoder.type")
            guard type == "ByteLevel" else { throw f.fail("decoder.type", "expected \"ByteLevel\", got \"\(type)\"") }
        }
        try readPostProcessor(root["post_processor"], "post_processor", f)
    }

    /// With `byteTokens`, vocabulary entries spelled `<0xXX>` are byte tokens.
    private mutating func readVocabulary(model: [String: Any], exact: [(key: String, value: Int?)]?, added: Any?,
                                         byteTokens: Bool, _ f: JSONFields) throws {
        var byID = try f.vocabularyByID(model: model, exact: exact)
        var addedTypes: [Int: Int] = [:]
        for (field, t, id, content) in try f.addedTokens(added) {
            for option in ["lstrip", "rstrip", "single_word"] where try f.bool(t[option], "\(field).\(option)", default: false) {
                throw f.fail("\(field).\(option)", "\"\(content)\": \(option) is not supported")
            }
            let special = try f.bool(t["special"], field + ".special", default: false)
            if try f.bool(t["normalized"], field + ".normalized", default: !special) {
                normalizedAddedTokens.append((field + ".normalized", content))
            }
            byID[id] = content
            addedTypes[id] = special ? BPETokenizer.TokenType.control.rawValue : BPETokenizer.TokenType.userDefined.rawValue
        }
        tokens = try f.contiguousTokens(byID)
        let count = tokens.count
        types = (0..<count).map { id in
            addedTypes[id] ?? (byteTokens && SentencePieceLayout.byte(ofTokenName: tokens[id]) != nil
                ? BPETokenizer.TokenType.byte.rawValue : BPETokenizer.TokenType.normal.rawValue)
        }
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = Int32(i) }
    }

    private mutating func readMerges(_ value: Any?, exact: [Any?]?, _ f: JSONFields) throws {
        let parsed = try f.array(value, "model.merges")
        // An item that is not a string or an array of strings is taken as parsed, for the error message.
        let list: [Any] = exact.flatMap { items in items.count == parsed.count ? zip(items, parsed).map { $0 ?? $1 } : nil } ?? parsed
        merges.reserveCapacity(list.count)
        for (rank, item) in list.enumerated() {
            if let line = item as? String, let pair = BPETokenizer.splitMerge(line) {
                merges.append(pair)
            } else if let parts = item as? [Any], parts.count == 2, let l = parts[0] as? String, let r = parts[1] as? String {
                merges.append((l, r))
            } else if let line = item as? String {
                throw f.fail("model.merges[\(rank)]", "expected \"left right\", got \"\(line)\"")
            } else {
                throw f.fail("model.merges[\(rank)]", "expected \"left right\" or [\"left\", \"right\"]")
            }
        }
    }

    /// Post-processors that add nothing (ByteLevel) or add special tokens around the text (TemplateProcessing).
    private mutating func readPostProcessor(_ value: Any?, _ field: String, _ f: JSONFields) throws {
        if f.isAbsent(value) { return }
        let p = try f.object(value, field)
        switch try f.string(p["type"], field + ".type") {
        case "ByteLevel":
            return
        case "Sequence":
            for (i, child) in try f.array(p["processors"], field + ".processors").enumerated() {
                try readPostProcessor(child, "\(field).processors[\(i)]", f)
            }
        case "TemplateProcessing":
            let single = try f.array(p["single"], field + ".single")
            let specials = try f.object(p["special_tokens"] ?? [String: Any](), field + ".special_tokens")
            func specialID(_ item: Any?, _ itemField: String) throws -> Int32? {
                guard let name = ((item as? [String: Any])?["SpecialToken"] as? [String: Any])?["id"] as? String else { return nil }
                let entry = try f.object(specials[name], "\(field).special_tokens[\"\(name)\"]")
                let ids = try f.array(entry["ids"], "\(field).special_tokens[\"\(name)\"].ids")
                guard ids.count == 1, let id = ids[0] as? Int, id >= 0, id < tokens.count else {
                    throw f.fail("\(field).special_tokens[\"\(name)\"].ids", "expected one id in the vocabulary")
                }
                return Int32(id)
            }
            templateBOS = try specialID(single.first, field + ".single[0]")
            templateEOS = single.count > 1 ? try specialID(single.last, "\(field).single[\(single.count - 1)]") : nil
            templateAddsBOS = templateBOS != nil
            templateAddsEOS = templateEOS != nil
        case let type:
            throw f.fail(field + ".type", "post-processor \"\(type)\" is not supported")
        }
    }
}

/// Maps a `pre_tokenizer` tree to one of the scanners: ByteLevel alone (GPT-2), Digits + ByteLevel (SmolLM2),
/// or a Split with the GPT-2 or Llama 3 pattern followed by a ByteLevel without its own regex.
private enum PreTokenizerLayout {
    private enum Step: Equatable {
        case digits, pattern(PreTokenizer), byteLevel

        var name: String {
            switch self {
            case .digits: "Digits(individual_digits)"
            case .pattern(let p): "Split(\(p.rawValue) pattern)"
            case .byteLevel: "ByteLevel(use_regex: false)"
            }
        }
    }

    static func read(_ value: Any?, _ field: String, _ f: JSONFields) throws -> PreTokenizer {
        let steps = try self.steps(value, field, f)
        switch steps {
        case [.pattern(.gpt2), .byteLevel]: return .gpt2
        case [.digits, .pattern(.gpt2), .byteLevel]: return .smollm
        case [.pattern(.llama3), .byteLevel]: return .llama3
        case [.pattern(.qwen2), .byteLevel]: return .qwen2
        default:
            throw f.fail(field, "unsupported layout [\(steps.map(\.name).joined(separator: ", "))]")
        }
    }

    private static func steps(_ value: Any?, _ field: String, _ f: JSONFields) throws -> [Step] {
        let p = try f.object(value, field)
        switch try f.string(p["type"], field + ".type") {
        case "Sequence":
            return try f.array(p["pretokenizers"], field + ".pretokenizers").enumerated().flatMap { i, child in
                try steps(child, "\(field).pretokenizers[\(i)]", f)
            }
        case "ByteLevel":
            if try f.bool(p["add_prefix_space"], field + ".add_prefix_space", default: false) {
                throw f.fail(field + ".add_prefix_space", "adding a prefix space is not supported")
            }
            return try f.bool(p["use_regex"], field + ".use_regex", default: true) ? [.pattern(.gpt2), .byteLevel] : [.byteLevel]
        case "Digits":
            guard try f.bool(p["individual_digits"], field + ".individual_digits", default: false) else {
                throw f.fail(field + ".individual_digits", "only individual digits are supported")
            }
            return [.digits]
        case "Split":
            let pattern = try f.object(p["pattern"], field + ".pattern")
            let regex = try f.string(pattern["Regex"] ?? pattern["String"], field + ".pattern.Regex")
            let behavior = try f.string(p["behavior"], field + ".behavior")
            guard behavior == "Isolated", !(try f.bool(p["invert"], field + ".invert", default: false)) else {
                throw f.fail(field + ".behavior", "only \"Isolated\" splits without invert are supported")
            }
            guard let pattern = PreTokenizer.allCases.first(where: { $0.regex == regex }) else {
                throw f.fail(field + ".pattern.Regex", "unsupported pattern \(regex)")
            }
            return [.pattern(pattern)]
        case let type:
            throw f.fail(field + ".type", "pre-tokenizer \"\(type)\" is not supported")
        }
    }
}

/// Special-token names and flags from `tokenizer_config.json`.
private struct TokenizerConfigSpec {
    var bos: Int32?, eos: Int32?, unk: Int32?, pad: Int32?
    var addBOS: Bool?, addEOS: Bool?

    init(root: [String: Any], file: String, ids: [String: Int32]) throws {
        let f = JSONFields(file: file)
        func token(_ field: String) throws -> Int32? {
            let value = root[field]
            if f.isAbsent(value) { return nil }
            let name = try f.string((value as? [String: Any])?["content"] ?? value, field)
            guard let id = ids[name] else { throw f.fail(field, "\"\(name)\" is not in the vocabulary") }
            return id
        }
        bos = try token("bos_token")
        eos = try token("eos_token")
        unk = try token("unk_token")
        pad = try token("pad_token")
        addBOS = f.isAbsent(root["add_bos_token"]) ? nil : try f.bool(root["add_bos_token"], "add_bos_token", default: false)
        addEOS = f.isAbsent(root["add_eos_token"]) ? nil : try f.bool(root["add_eos_token"], "add_eos_token", default: false)
    }
}
