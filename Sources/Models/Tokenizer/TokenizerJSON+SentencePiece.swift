/// Reads the normalizer, pre-tokenizer and decoder of a SentencePiece-style `tokenizer.json` (BPE with
/// `byte_fallback`) into a `SentencePieceLayout`. Accepted: the normalizers `Replace(" ", "▁")` and
/// `Prepend("▁")` (alone or in a `Sequence`: Llama 2, Gemma), the pre-tokenizers `Metaspace` and Gemma's
/// `Split(" ")` (which finds no space once they are all "▁"), and the decoders `Replace("▁", " ")`,
/// `ByteFallback`, `Fuse`, `Strip(" ", 1, 0)` and `Metaspace`. Anything else is refused with its field named.
enum SentencePieceJSONLayout {
    private struct Steps {
        var replacesSpaces = false
        var prepends = false
        var metaspace: (scheme: SentencePieceLayout.SpacePrefix, split: Bool)?
        var decodesSpaces = false
        var decodesBytes = false
        var strips = false
    }

    /// The layout, and what the normalizer does (which decides how `normalized` added tokens match).
    static func read(_ root: [String: Any], _ f: JSONFields) throws
        -> (layout: SentencePieceLayout, normalizer: (prepends: Bool, replacesSpaces: Bool)) {
        var steps = Steps()
        if !f.isAbsent(root["normalizer"]) { try normalizer(root["normalizer"], "normalizer", &steps, f) }
        if !f.isAbsent(root["pre_tokenizer"]) { try preTokenizer(root["pre_tokenizer"], "pre_tokenizer", &steps, f) }
        guard !f.isAbsent(root["decoder"]) else { throw f.fail("decoder", "missing: \"▁\" and byte tokens would not decode") }
        try decoder(root["decoder"], "decoder", &steps, f)

        guard steps.replacesSpaces || steps.metaspace != nil else {
            throw f.fail("normalizer", "spaces are not spelled \"▁\" (no Replace normalizer or Metaspace pre-tokenizer)")
        }
        guard steps.decodesSpaces else { throw f.fail("decoder", "\"▁\" is not decoded to a space (no Replace or Metaspace decoder)") }
        guard steps.decodesBytes else { throw f.fail("decoder", "byte tokens are not decoded (no ByteFallback decoder)") }
        let metaspacePrefix = steps.metaspace?.scheme ?? .never
        if steps.prepends && metaspacePrefix != .never {
            throw f.fail("pre_tokenizer.prepend_scheme", "a Prepend normalizer and a Metaspace prefix together are not supported")
        }
        let layout = SentencePieceLayout(spacePrefix: steps.prepends ? .alwaysEvenAfterSpace : metaspacePrefix,
                                         splitsAtSpaces: steps.metaspace?.split ?? false, stripsLeadingSpace: steps.strips)
        return (layout, (steps.prepends, steps.replacesSpaces))
    }

    private static func normalizer(_ value: Any?, _ field: String, _ steps: inout Steps, _ f: JSONFields) throws {
        let n = try f.object(value, field)
        switch try f.string(n["type"], field + ".type") {
        case "Sequence":
            for (i, child) in try f.array(n["normalizers"], field + ".normalizers").enumerated() {
                try normalizer(child, "\(field).normalizers[\(i)]", &steps, f)
            }
        case "Replace":
            guard try replacement(n, field, f) == (" ", "\u{2581}") else { throw f.fail(field, "only Replace(\" \", \"▁\") is supported") }
            steps.replacesSpaces = true
        case "Prepend":
            // Before or after the Replace alike: " hi" becomes "▁▁hi" either way.
            guard try f.string(n["prepend"], field + ".prepend") == "\u{2581}" else { throw f.fail(field + ".prepend", "only \"▁\" is supported") }
            steps.prepends = true
        case let type:
            throw f.fail(field + ".type", "normalizer \"\(type)\" is not supported in a SentencePiece-style tokenizer")
        }
    }

    private static func preTokenizer(_ value: Any?, _ field: String, _ steps: inout Steps, _ f: JSONFields) throws {
        let p = try f.object(value, field)
        switch try f.string(p["type"], field + ".type") {
        case "Metaspace":
            guard try f.string(p["replacement"], field + ".replacement") == "\u{2581}" else {
                throw f.fail(field + ".replacement", "only \"▁\" is supported")
            }
            let scheme: SentencePieceLayout.SpacePrefix
            switch try f.string(p["prepend_scheme"] ?? "always", field + ".prepend_scheme") {
            case "first": scheme = .first
            case "always": scheme = .always
            case "never": scheme = .never
            case let other: throw f.fail(field + ".prepend_scheme", "\"\(other)\" is not first, always or never")
            }
            steps.metaspace = (scheme, try f.bool(p["split"], field + ".split", default: true))
        case "Split":
            // Gemma's: cutting at " " after the normalizer has made every space "▁" cuts nothing.
            let pattern = try f.object(p["pattern"], field + ".pattern")
            guard steps.replacesSpaces, pattern["String"] as? String == " " else {
                throw f.fail(field, "only a Split at \" \" after a Replace(\" \", \"▁\") normalizer is supported")
            }
        case let type:
            throw f.fail(field + ".type", "pre-tokenizer \"\(type)\" is not supported in a SentencePiece-style tokenizer")
        }
    }

    private static func decoder(_ value: Any?, _ field: String, _ steps: inout Steps, _ f: JSONFields) throws {
        let d = try f.object(value, field)
        switch try f.string(d["type"], field + ".type") {
        case "Sequence":
            for (i, child) in try f.array(d["decoders"], field + ".decoders").enumerated() {
                try decoder(child, "\(field).decoders[\(i)]", &steps, f)
            }
        case "Replace":
            guard try replacement(d, field, f) == ("\u{2581}", " ") else { throw f.fail(field, "only Replace(\"▁\", \" \") is supported") }
            steps.decodesSpaces = true
        case "ByteFallback":
            steps.decodesBytes = true
        case "Fuse":
            return
        case "Strip":
            let start = try f.id(d["start"], field + ".start"), stop = try f.id(d["stop"], field + ".stop")
            guard try f.string(d["content"], field + ".content") == " ", start == 1, stop == 0, steps.decodesSpaces else {
                throw f.fail(field, "only Strip(\" \", start: 1, stop: 0) after the \"▁\" replacement is supported")
            }
            steps.strips = true
        case "Metaspace":
            guard try f.string(d["replacement"], field + ".replacement") == "\u{2581}" else {
                throw f.fail(field + ".replacement", "only \"▁\" is supported")
            }
            steps.decodesSpaces = true
            steps.strips = try f.string(d["prepend_scheme"] ?? "always", field + ".prepend_scheme") != "never"
        case let type:
            throw f.fail(field + ".type", "decoder \"\(type)\" is not supported in a SentencePiece-style tokenizer")
        }
    }

    /// A Replace step's (pattern, content); the pattern must be a plain string.
    private static func replacement(_ step: [String: Any], _ field: String, _ f: JSONFields) throws -> (String, String) {
        let pattern = try f.object(step["pattern"], field + ".pattern")
        return (try f.string(pattern["String"], field + ".pattern.String"), try f.string(step["content"], field + ".content"))
    }
}
