import XCTest
import Foundation
import Core
@testable import Models

/// Malformed SentencePiece vocabularies, in GGUF metadata and in tokenizer.json, stop with the field named.
final class TokenizerSentencePieceErrorTests: XCTestCase {
    private static let tokens = ["<unk>", "<s>", "</s>"] + (0...255).map { SentencePieceLayout.byteTokenName(UInt8($0)) } + ["▁", "a"]
    private static let types = [2, 3, 3] + Array(repeating: 6, count: 256) + [1, 1]

    private func metadata(tokens: [String] = tokens, scores: [Float]? = nil, types: [Int] = types) -> [String: GGUFValue] {
        ["tokenizer.ggml.model": .string("llama"), "tokenizer.ggml.tokens": .array(.string(tokens)),
         "tokenizer.ggml.scores": .array(.float32(scores ?? Array(repeating: 0, count: tokens.count))),
         "tokenizer.ggml.token_type": .array(.int32(types.map { Int32($0) })), "tokenizer.ggml.bos_token_id": .uint32(1)]
    }

    private func ggufFailure(_ metadata: [String: GGUFValue], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let folder = try makeScratchFolder()
        do {
            _ = try SentencePieceFixtures.tokenizer(gguf: metadata, in: folder)
        } catch {
            return "\(error)"
        }
        XCTFail("loaded", file: file, line: line)
        return ""
    }

    func testWellFormedMetadataLoads() throws {
        let t = try SentencePieceFixtures.tokenizer(gguf: metadata(), in: try makeScratchFolder())
        XCTAssertEqual(t.encode("a a"), [259, 260, 259, 260])
        XCTAssertTrue(t.addBOS)  // llama.cpp's default when the file does not say
    }

    func testGGUFErrorsNameTheKey() throws {
        XCTAssertTrue(try ggufFailure(metadata(scores: [0, 1])).contains("tokenizer.ggml.scores: 2 scores for 261 tokens"))
        var scores = [Float](repeating: 0, count: 261)
        scores[7] = .nan
        XCTAssertTrue(try ggufFailure(metadata(scores: scores)).contains("tokenizer.ggml.scores[7]: nan is not a finite score"))
        var noA = Self.tokens
        noA[3 + 0x41] = "A"
        XCTAssertTrue(try ggufFailure(metadata(tokens: noA)).contains("tokenizer.ggml.tokens[68]: \"A\" has the byte type but is not spelled <0xXX>"))
        var types = Self.types
        types[68] = 1
        XCTAssertTrue(try ggufFailure(metadata(types: types)).contains("tokenizer.ggml.tokens: there is no byte token <0x41> for byte fallback"))
        types[68] = 9
        XCTAssertTrue(try ggufFailure(metadata(types: types)).contains("tokenizer.ggml.token_type[68]: 9 is not a token type (1 to 6)"))
        XCTAssertTrue(try ggufFailure(metadata(types: [1, 2])).contains("tokenizer.ggml.token_type: 2 types for 261 tokens"))
        var noScores = metadata()
        noScores["tokenizer.ggml.scores"] = nil
        XCTAssertTrue(try ggufFailure(noScores).contains("tokenizer.ggml.scores"))
        var bert = metadata()
        bert["tokenizer.ggml.model"] = .string("bert")
        XCTAssertTrue(try ggufFailure(bert).contains("tokenizer.ggml.model \"bert\" is not supported"))
    }

    /// The tiny fixture's tokenizer.json with `change` applied, loaded; the error's text.
    private func jsonFailure(_ change: (inout [String: Any]) -> Void, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let data = try Data(contentsOf: SentencePieceFixtures.directory.appendingPathComponent("tokenizer.json"))
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        change(&root)
        let url = try makeScratchFolder().appendingPathComponent("tokenizer.json")
        try JSONSerialization.data(withJSONObject: root).write(to: url)
        do {
            _ = try BPETokenizer(tokenizerJSON: url)
        } catch {
            return "\(error)"
        }
        XCTFail("loaded", file: file, line: line)
        return ""
    }

    func testTokenizerJSONErrorsNameTheField() throws {
        XCTAssertEqual(try jsonFailure { $0["normalizer"] = ["type": "NFKC"] },
                       "tokenizer.json: normalizer.type: normalizer \"NFKC\" is not supported in a SentencePiece-style tokenizer")
        XCTAssertEqual(try jsonFailure { $0["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"] },
                       "tokenizer.json: pre_tokenizer.prepend_scheme: \"sometimes\" is not first, always or never")
        XCTAssertEqual(try jsonFailure { $0["pre_tokenizer"] = NSNull() },
                       "tokenizer.json: normalizer: spaces are not spelled \"▁\" (no Replace normalizer or Metaspace pre-tokenizer)")
        XCTAssertEqual(try jsonFailure { $0["decoder"] = ["type": "Sequence", "decoders": [["type": "Replace", "pattern": ["String": "▁"], "content": " "]]] },
                       "tokenizer.json: decoder: byte tokens are not decoded (no ByteFallback decoder)")
        XCTAssertEqual(try jsonFailure { $0["decoder"] = ["type": "ByteLevel"] },
                       "tokenizer.json: decoder.type: decoder \"ByteLevel\" is not supported in a SentencePiece-style tokenizer")
        XCTAssertEqual(try jsonFailure { root in
            var model = root["model"] as! [String: Any]
            model["ignore_merges"] = true
            root["model"] = model
        }, "tokenizer.json: model.ignore_merges: not supported with byte_fallback")
        XCTAssertEqual(try jsonFailure { root in
            var model = root["model"] as! [String: Any]
            var vocab = model["vocab"] as! [String: Any]
            vocab["<0x41>x"] = vocab.removeValue(forKey: "<0x41>")
            model["vocab"] = vocab
            root["model"] = model
        }, "tokenizer.json: model.vocab: there is no byte token <0x41> for byte fallback")
        XCTAssertEqual(try jsonFailure { root in
            var added = root["added_tokens"] as! [[String: Any]]
            added[3]["content"] = "<to ol>"
            root["added_tokens"] = added
            root["normalizer"] = ["type": "Replace", "pattern": ["String": " "], "content": "▁"]
        }, "tokenizer.json: added_tokens[3].normalized: \"<to ol>\": a normalized added token that the normalizer changes is not supported")
        // The fixture's <tool> is normalized: harmless without a normalizer, not with Prepend.
        XCTAssertEqual(try jsonFailure { root in
            root["normalizer"] = ["type": "Prepend", "prepend": "▁"]
            root["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "never"]
        }, "tokenizer.json: added_tokens[3].normalized: \"<tool>\": a normalized added token that the normalizer changes is not supported")
    }
}
