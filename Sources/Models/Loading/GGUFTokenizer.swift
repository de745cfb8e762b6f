import Core
import Foundation

extension LanguageModel {
    /// The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata.
    static func ggufTokenizer(_ file: GGUFFile) throws -> BPETokenizer {
        let m = file.metadata
        let kind = try m.string("tokenizer.ggml.model")
        guard kind == "gpt2" else {
            throw FileError(path: file.path, "tokenizer.ggml.model \"\(kind)\" is not supported (only gpt2 byte-level BPE)")
        }
        let pre = try m.ifPresent("tokenizer.ggml.pre", m.string) ?? "gpt2"
        guard let preTokenizer = PreTokenizer(ggufName: pre) else {
            throw FileError(path: file.path, "tokenizer.ggml.pre \"\(pre)\" is not supported")
        }
        func id(_ key: String) throws -> Int32? {
            try m.ifPresent(key, m.int).map { Int32(clamping: $0) }
        }
        do {
            return try BPETokenizer(tokens: try m.stringArray("tokenizer.ggml.tokens"),
                                    merges: try m.stringArray("tokenizer.ggml.merges"),
                                    tokenTypes: try m.ifPresent("tokenizer.ggml.token_type", m.intArray),
                                    bosID: try id("tokenizer.ggml.bos_token_id"), eosID: try id("tokenizer.ggml.eos_token_id"),
                                    unkID: try id("tokenizer.ggml.unknown_token_id"), padID: try id("tokenizer.ggml.padding_token_id"),
                                    addBOS: try m.ifPresent("tokenizer.ggml.add_bos_token", m.bool) ?? false,
                                    preTokenizer: preTokenizer)
        } catch let e as TokenizerError {
            throw FileError(path: file.path, "tokenizer: \(e)")
        }
    }
}
