import Core
import Foundation
import Core

extension LanguageModel {
    /// The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata: byte-level BPE (`gpt2`) or
    /// SentencePiece-style BPE with byte fallback (`llama`: Llama 2, Mistral, Gemma).
    static func ggufTokenizer(_ file: GGUFFile) throws -> BPETokenizer {
        let m = file.metadata
        let kind = try m.string("tokenizer.ggml.model")
        func id(_ key: String) throws -> Int32? {
            try m.ifPresent(key, m.int).map { Int32(clamping: $0) }
        }
        do {
            let tokens = try m.stringArray("tokenizer.ggml.tokens")
            let types = try m.ifPresent("tokenizer.ggml.token_type", m.intArray)
            let bos = try id("tokenizer.ggml.bos_token_id"), eos = try id("tokenizer.ggml.eos_token_id")
            let unk = try id("tokenizer.ggml.unknown_token_id"), pad = try id("tokenizer.ggml.padding_token_id")
            switch kind {
            case "gpt2":
                let pre = try m.ifPresent("tokenizer.ggml.pre", m.string) ?? "gpt2"
                guard let preTokenizer = PreTokenizer(ggufName: pre) else {
                    throw FileError(path: file.path, "tokenizer.ggml.pre \"\(pre)\" is not supported")
                }
                return try BPETokenizer(tokens: tokens, merges: try m.stringArray("tokenizer.ggml.merges"), tokenTypes: types,
                                        bosID: bos, eosID: eos, unkID: unk, padID: pad,
                                        addBOS: try m.ifPresent("tokenizer.ggml.add_bos_token", m.bool) ?? false,
                                        preTokenizer: preTokenizer)
            case "llama":
                // llama.cpp's defaults for a SentencePiece vocabulary that does not say: BOS added, space prefix on.
                let prefix = try m.ifPresent("tokenizer.ggml.add_space_prefix", m.bool) ?? true
                var pieces = tokens, scores = try m.floatArray("tokenizer.ggml.scores"), pieceTypes = types
                if var t = pieceTypes, t.count == pieces.count {
                    SentencePieceSpaceRuns.respell(tokens: &pieces, types: &t, scores: &scores)
                    pieceTypes = t
                }
                let layout = SentencePieceLayout(spacePrefix: prefix ? .first : .never, scores: scores)
                return try BPETokenizer(tokens: pieces, merges: [(String, String)](), tokenTypes: pieceTypes,
                                        bosID: bos, eosID: eos, unkID: unk, padID: pad,
                                        addBOS: try m.ifPresent("tokenizer.ggml.add_bos_token", m.bool) ?? true,
                                        addEOS: try m.ifPresent("tokenizer.ggml.add_eos_token", m.bool) ?? false,
                                        sentencePiece: layout)
            default:
                throw FileError(path: file.path, "tokenizer.ggml.model \"\(kind)\" is not supported (gpt2 byte-level BPE or llama SentencePiece BPE)")
            }
        } catch var e as TokenizerError {
            // The neutral initializer names its parameters; name the metadata keys instead.
            if let field = e.field {
                for (parameter, key) in [("tokenTypes", "token_type"), ("tokens", "tokens"), ("scores", "scores"), ("merges", "merges"),
                                        ("bosID", "bos_token_id"), ("eosID", "eos_token_id"), ("unkID", "unknown_token_id"),
                                        ("padID", "padding_token_id")]
                where field.hasPrefix(parameter) {
                    e.field = "tokenizer.ggml." + key + field.dropFirst(parameter.count)
                    break
                }
            }
            throw FileError(path: file.path, "tokenizer: \(e)")
        }
    }
}
