import Foundation
@testable import Models
import TestSupport

/// The SentencePiece-style fixtures (`Tests/Fixtures/spm-tokenizer/`, written by `tools/make_spm_fixture.py`):
/// a tiny Llama-style tokenizer as tokenizer.json and as GGUF, and the ids transformers gives for a fixed set
/// of strings with it and with Gemma 3 270M.
enum SentencePieceFixtures {
    struct Case: Decodable, Sendable {
        var text: String
        var ids: [Int32]
        /// transformers' `decode(ids)`.
        var decoded: String
    }

    struct Cases: Decodable, Sendable {
        var cases: [Case]
        /// transformers' ids for "Hello world" with `add_special_tokens=True`.
        var add_special_hello_world: [Int32]
    }

    /// `gemma3_smollm2_ids.json`: transformers' Gemma 3 ids for each text of `tokenize_smollm2.json`.
    struct IDsForTexts: Decodable, Sendable {
        var ids: [[Int32]]
        /// transformers' decode, by index, where it is not the text.
        var decoded: [String: String]
    }

    static let directory = fixturesDirectory.appendingPathComponent("spm-tokenizer")

    static let gemmaPath = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/remask/models/gemma-3-270m-q4_k_m.gguf").path

    static func cases(_ name: String) throws -> Cases {
        try JSONDecoder().decode(Cases.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func gemmaIDsForSmolLM2Texts() throws -> IDsForTexts {
        try JSONDecoder().decode(IDsForTexts.self, from: Data(contentsOf: directory.appendingPathComponent("gemma3_smollm2_ids.json")))
    }

    static func tinyFromJSON() throws -> BPETokenizer {
        try BPETokenizer(tokenizerJSON: directory.appendingPathComponent("tokenizer.json"))
    }

    static func tinyFromGGUF() throws -> BPETokenizer {
        try LanguageModel.ggufTokenizer(GGUFFile(path: directory.appendingPathComponent("tokenizer.gguf").path))
    }

    /// The tokenizer of a GGUF file holding only `metadata`.
    static func tokenizer(gguf metadata: [String: GGUFValue], in folder: URL) throws -> BPETokenizer {
        var writer = GGUFWriter()
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { writer.set(key, value) }
        let path = folder.path + "/tokenizer.gguf"
        try writer.write(to: path)
        return try LanguageModel.ggufTokenizer(GGUFFile(path: path))
    }

    /// `t` written to GGUF metadata by the exporter and read back.
    static func throughGGUF(_ t: BPETokenizer, in folder: URL) throws -> BPETokenizer {
        var writer = GGUFWriter()
        TokenizerExport.ggufMetadata(t, chatTemplate: nil, into: &writer)
        let path = folder.path + "/exported.gguf"
        try writer.write(to: path)
        return try LanguageModel.ggufTokenizer(GGUFFile(path: path))
    }

    /// `t` written to tokenizer.json by the exporter and read back.
    static func throughTokenizerJSON(_ t: BPETokenizer, in folder: URL) throws -> BPETokenizer {
        let url = folder.appendingPathComponent("tokenizer.json")
        try TokenizerExport.huggingFaceJSON(t).write(to: url)
        return try BPETokenizer(tokenizerJSON: url)
    }
}
