import XCTest
import Foundation
import Models
import TestSupport

/// Loading `tokenizer.json` files: the layouts that map onto the tokenizer, and clear errors for the rest.
final class TokenizerJSONTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try makeScratchFolder()
    }

    /// A small valid file: vocabulary a, b, ab, Ġ; one merge; one special token added after the vocabulary.
    private func valid() -> [String: Any] {
        [
            "model": ["type": "BPE", "vocab": ["a": 0, "b": 1, "ab": 2, "Ġ": 3], "merges": ["a b"]] as [String: Any],
            "added_tokens": [["id": 4, "content": "<|end|>", "special": true]],
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true] as [String: Any],
            "decoder": ["type": "ByteLevel"],
        ]
    }

    private func write(_ json: Any, to name: String = "tokenizer.json") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return url
    }

    private func load(_ json: [String: Any]) throws -> BPETokenizer {
        try BPETokenizer(tokenizerJSON: try write(json))
    }

    /// The error message loading `json` gives.
    private func failure(_ json: [String: Any]) throws -> String {
        do { _ = try load(json); return "no error" } catch let error as TokenizerError { return "\(error)" }
    }

    private func with(_ edit: (inout [String: Any]) -> Void) -> [String: Any] {
        var json = valid()
        edit(&json)
        return json
    }

    private func withModel(_ key: String, _ value: Any?) -> [String: Any] {
        with { json in
            var model = json["model"] as! [String: Any]
            model[key] = value
            json["model"] = model
        }
    }

    func testLoadsAValidFile() throws {
        let t = try load(valid())
        XCTAssertEqual(t.vocabSize, 5)
        XCTAssertEqual(t.preTokenizer, .gpt2)
        XCTAssertEqual(t.encode("ab a<|end|>"), [2, 3, 0, 4])
        XCTAssertEqual(t.decode([2, 3, 0, 4], skipSpecial: true), "ab a")
        XCTAssertNil(t.bosID)
    }

    func testMergesMayBePairs() throws {
        XCTAssertEqual(try load(withModel("merges", [["a", "b"]])).encode("ab"), [2])
    }

    func testTemplatePostProcessorAddsBOS() throws {
        let json = with { json in
            json["added_tokens"] = [["id": 4, "content": "<s>", "special": true]]
            json["post_processor"] = [
                "type": "TemplateProcessing",
                "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                "special_tokens": ["<s>": ["id": "<s>", "ids": [4], "tokens": ["<s>"]]],
            ] as [String: Any]
        }
        let t = try load(json)
        XCTAssertEqual(t.bosID, 4)
        XCTAssertTrue(t.addBOS)
        XCTAssertEqual(t.encode("ab", addSpecial: true), [4, 2])
    }

    func testLlama3LayoutAndIgnoreMerges() throws {
        let pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        var json = withModel("ignore_merges", true)
        json["model"] = (json["model"] as! [String: Any]).merging(["merges": [String]()]) { $1 }
        json["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": pattern], "behavior": "Isolated", "invert": false],
            ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false],
        ]] as [String: Any]
        let t = try load(json)
        XCTAssertEqual(t.preTokenizer, .llama3)
        XCTAssertEqual(t.encode("ab"), [2])  // whole word from the vocabulary, with no merges at all
    }

    func testSpecialIdsComeFromTheConfigBesideTheFile() throws {
        _ = try write(["bos_token": ["content": "<|end|>"], "eos_token": "<|end|>", "pad_token": NSNull()],
                      to: "tokenizer_config.json")
        let t = try load(valid())
        XCTAssertEqual(t.bosID, 4)
        XCTAssertEqual(t.eosID, 4)
        XCTAssertNil(t.padID)

        _ = try write(["bos_token": "<s>"], to: "tokenizer_config.json")
        XCTAssertEqual(try failure(valid()), "tokenizer_config.json: bos_token: \"<s>\" is not in the vocabulary")
    }

    func testUnreadableFiles() throws {
        let url = directory.appendingPathComponent("tokenizer.json")
        try Data("{\"model\": ".utf8).write(to: url)
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: url)) { error in
            XCTAssertTrue("\(error)".hasPrefix("tokenizer.json: not valid JSON"), "\(error)")
        }
        try Data("[1, 2]".utf8).write(to: url)
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: url)) { error in
            XCTAssertEqual("\(error)", "tokenizer.json: the top level is not a JSON object")
        }
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: directory.appendingPathComponent("none.json"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("none.json: cannot read"), "\(error)")
        }
    }

    func testModelErrors() throws {
        XCTAssertEqual(try failure(with { $0["model"] = nil }), "tokenizer.json: model: missing")
        XCTAssertEqual(try failure(withModel("type", "WordPiece")), "tokenizer.json: model.type: expected \"BPE\", got \"WordPiece\"")
        XCTAssertEqual(try failure(withModel("vocab", nil)), "tokenizer.json: model.vocab: missing")
        XCTAssertEqual(try failure(withModel("vocab", ["a": "zero"])), "tokenizer.json: model.vocab[\"a\"]: expected a token id")
        XCTAssertEqual(try failure(withModel("vocab", ["a": 0, "b": 0])).hasPrefix("tokenizer.json: model.vocab: id 0 is given to both"), true)
        XCTAssertEqual(try failure(withModel("vocab", ["a": 0, "b": 9])),
                       "tokenizer.json: model.vocab: ids are not contiguous: there are 3 tokens but one has id 9")
        // Byte fallback makes it SentencePiece-style, where a byte-level pre-tokenizer has no place.
        XCTAssertEqual(try failure(withModel("byte_fallback", true)),
                       "tokenizer.json: pre_tokenizer.type: pre-tokenizer \"ByteLevel\" is not supported in a SentencePiece-style tokenizer")
    }

    func testMergeErrors() throws {
        XCTAssertEqual(try failure(withModel("merges", nil)), "tokenizer.json: model.merges: missing")
        XCTAssertEqual(try failure(withModel("merges", "a b")), "tokenizer.json: model.merges: expected an array")
        XCTAssertEqual(try failure(withModel("merges", ["ab"])), "tokenizer.json: model.merges[0]: expected \"left right\", got \"ab\"")
        XCTAssertEqual(try failure(withModel("merges", [["a"]])),
                       "tokenizer.json: model.merges[0]: expected \"left right\" or [\"left\", \"right\"]")
        XCTAssertEqual(try failure(withModel("merges", ["a b", "b c"])),
                       "tokenizer.json: model.merges[1]: \"b c\": \"c\" is not in the vocabulary")
    }

    func testLayoutErrors() throws {
        XCTAssertEqual(try failure(with { $0["pre_tokenizer"] = nil }), "tokenizer.json: pre_tokenizer: missing")
        XCTAssertEqual(try failure(with { $0["pre_tokenizer"] = ["type": "Whitespace"] }),
                       "tokenizer.json: pre_tokenizer.type: pre-tokenizer \"Whitespace\" is not supported")
        XCTAssertEqual(try failure(with { $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
            ["type": "Digits", "individual_digits": false], ["type": "ByteLevel"]]] as [String: Any] }),
            "tokenizer.json: pre_tokenizer.pretokenizers[0].individual_digits: only individual digits are supported")
        XCTAssertEqual(try failure(with { $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
            ["type": "ByteLevel"], ["type": "Digits", "individual_digits": true]]] as [String: Any] }),
            "tokenizer.json: pre_tokenizer: unsupported layout [Split(gpt2 pattern), ByteLevel(use_regex: false), Digits(individual_digits)]")
        XCTAssertEqual(try failure(with { $0["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": true] as [String: Any] }),
                       "tokenizer.json: pre_tokenizer.add_prefix_space: adding a prefix space is not supported")
        XCTAssertEqual(try failure(with { $0["normalizer"] = ["type": "NFKC"] }),
                       "tokenizer.json: normalizer: normalizer \"NFKC\" is not supported (only NFC)")
        XCTAssertEqual(try failure(with { $0["decoder"] = ["type": "WordPiece"] }),
                       "tokenizer.json: decoder.type: expected \"ByteLevel\", got \"WordPiece\"")
        XCTAssertEqual(try failure(with { $0["post_processor"] = ["type": "RobertaProcessing"] }),
                       "tokenizer.json: post_processor.type: post-processor \"RobertaProcessing\" is not supported")
        XCTAssertEqual(try failure(with { $0["added_tokens"] = [["id": 4, "content": "<mask>", "lstrip": true]] }),
                       "tokenizer.json: added_tokens[0].lstrip: \"<mask>\": lstrip is not supported")
    }

    /// Qwen's layout (NFC normalizer, Split on Qwen2's pattern, ByteLevel without regex), trained by Hugging Face
    /// `tokenizers` (`tools/make_qwen_tokenizer_fixture.py`): the same ids on strings with decomposed accents,
    /// conjoining jamo, digits and special tokens.
    func testQwenLayoutWithNFCMatchesTokenizers() throws {
        let folder = fixturesDirectory.appendingPathComponent("qwen-tokenizer")
        let t = try BPETokenizer(tokenizerJSON: folder.appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(t.preTokenizer, .qwen2)
        XCTAssertTrue(t.normalizesNFC)
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("cases.json"))) as! [String: Any]
        let cases = (fixture["cases"] as! [[String: Any]]).map { ($0["text"] as! String, ($0["ids"] as! [Int]).map(Int32.init)) }
        XCTAssertEqual(cases[0].1, cases[1].1, "the fixture composes e + U+0301 into é")
        for (text, ids) in cases { XCTAssertEqual(t.encode(text), ids, text.debugDescription) }
    }
}
