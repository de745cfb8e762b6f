import Foundation
import Models
import TestSupport
import XCTest

/// Loading WordPiece `tokenizer.json` and `vocab.txt` files: the options read, and an error naming the file (and
/// the field) for every bad input.
final class WordPieceTokenizerErrorTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try makeScratchFolder()
    }

    private static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "Hello", "##s", "café", "cafe", "!"]

    /// BERT's layout with a small vocabulary.
    private func valid() -> [String: Any] {
        [
            "added_tokens": (0..<5).map { ["id": $0, "content": Self.vocabulary[$0], "special": true, "normalized": false] as [String: Any] },
            "normalizer": ["type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                           "strip_accents": NSNull(), "lowercase": true] as [String: Any],
            "pre_tokenizer": ["type": "BertPreTokenizer"],
            "post_processor": [
                "type": "TemplateProcessing",
                "single": [["SpecialToken": ["id": "[CLS]", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]],
                           ["SpecialToken": ["id": "[SEP]", "type_id": 0]]],
                "special_tokens": ["[CLS]": ["id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]],
                                   "[SEP]": ["id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]]],
            ] as [String: Any],
            "decoder": ["type": "WordPiece", "prefix": "##", "cleanup": true] as [String: Any],
            "model": ["type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                      "vocab": Dictionary(uniqueKeysWithValues: Self.vocabulary.enumerated().map { ($1, $0) })] as [String: Any],
        ]
    }

    private func with(_ path: [String], _ value: Any?) -> [String: Any] {
        func set(_ object: [String: Any], _ path: ArraySlice<String>) -> [String: Any] {
            var object = object
            let key = path.first!
            object[key] = path.count == 1 ? value : set(object[key] as! [String: Any], path.dropFirst())
            return object
        }
        return set(valid(), path[...])
    }

    private func writeJSON(_ json: Any) throws -> URL {
        let url = directory.appendingPathComponent("tokenizer.json")
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return url
    }

    private func writeText(_ text: [UInt8]) throws -> URL {
        let url = directory.appendingPathComponent("vocab.txt")
        try Data(text).write(to: url)
        return url
    }

    private func failure(_ load: () throws -> WordPieceTokenizer) -> String {
        do { _ = try load(); return "no error" } catch let error as TokenizerError { return "\(error)" } catch { return "other error \(error)" }
    }

    private func jsonFailure(_ json: Any) throws -> String {
        let url = try writeJSON(json)
        return failure { try WordPieceTokenizer(tokenizerJSON: url) }
    }

    private func textFailure(_ lines: [String]) throws -> String {
        let url = try writeText(Array(lines.joined(separator: "\n").utf8) + [UInt8(ascii: "\n")])
        return failure { try WordPieceTokenizer(vocabTXT: url) }
    }

    func testTheNormalizerOptionsAreRead() throws {
        let bert = try WordPieceTokenizer(tokenizerJSON: try writeJSON(valid()))
        XCTAssertEqual(bert.encode("Hello café!").compactMap(bert.token(for:)), ["[CLS]", "hello", "cafe", "!", "[SEP]"])
        let cased = try WordPieceTokenizer(tokenizerJSON: try writeJSON(with(["normalizer", "lowercase"], false)))
        XCTAssertEqual(cased.encode("Hello café", addSpecialTokens: false).compactMap(cased.token(for:)), ["Hello", "café"])
        let keepsAccents = try WordPieceTokenizer(tokenizerJSON: try writeJSON(with(["normalizer", "strip_accents"], false)))
        XCTAssertEqual(keepsAccents.encode("CAFÉ", addSpecialTokens: false).compactMap(keepsAccents.token(for:)), ["café"])
        let bare = try WordPieceTokenizer(tokenizerJSON: try writeJSON(with(["post_processor"], nil)))
        XCTAssertEqual(bare.encode("hellos").compactMap(bare.token(for:)), ["hello", "##s"])
        let short = try WordPieceTokenizer(tokenizerJSON: try writeJSON(with(["model", "max_input_chars_per_word"], 5)))
        XCTAssertEqual(short.encode("hello hellos", addSpecialTokens: false), [5, 1])
    }

    func testBadTokenizerJSONFilesAreRefusedWithTheFieldNamed() throws {
        let missing = directory.appendingPathComponent("absent/tokenizer.json")
        XCTAssertTrue(failure { try WordPieceTokenizer(tokenizerJSON: missing) }.hasPrefix("tokenizer.json: cannot read \(missing.path)"))
        let garbled = directory.appendingPathComponent("tokenizer.json")
        try Data("{\"model\": ".utf8).write(to: garbled)
        XCTAssertTrue(failure { try WordPieceTokenizer(tokenizerJSON: garbled) }.hasPrefix("tokenizer.json: not valid JSON"))
        XCTAssertEqual(try jsonFailure([1, 2]), "tokenizer.json: the top level is not a JSON object")
        XCTAssertEqual(try jsonFailure(with(["model", "type"], "BPE")), "tokenizer.json: model.type: expected \"WordPiece\", got \"BPE\"")
        XCTAssertEqual(try jsonFailure(with(["model"], nil)), "tokenizer.json: model: missing")
        XCTAssertEqual(try jsonFailure(with(["model", "unk_token"], "<unk>")), "tokenizer.json: the vocabulary has no \"<unk>\"")
        var withoutUnknown = with(["added_tokens"], nil)
        withoutUnknown["model"] = ["type": "WordPiece", "vocab": ["[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[MASK]": 3]] as [String: Any]
        XCTAssertEqual(try jsonFailure(withoutUnknown), "tokenizer.json: the vocabulary has no \"[UNK]\"")
        XCTAssertEqual(try jsonFailure(with(["model", "vocab"], ["[UNK]": 1, "a": 7])),
                       "tokenizer.json: model.vocab: ids are not contiguous: there are 6 tokens but one has id 7")
        XCTAssertEqual(try jsonFailure(with(["model", "vocab"], ["[UNK]": 0, "a": -1])),
                       "tokenizer.json: model.vocab[\"a\"]: expected a token id")
        XCTAssertEqual(try jsonFailure(with(["model", "max_input_chars_per_word"], "many")),
                       "tokenizer.json: model.max_input_chars_per_word: expected a count")
        XCTAssertEqual(try jsonFailure(with(["normalizer", "type"], "NFKC")),
                       "tokenizer.json: normalizer.type: expected \"BertNormalizer\", got \"NFKC\"")
        XCTAssertEqual(try jsonFailure(with(["normalizer", "lowercase"], "yes")), "tokenizer.json: normalizer.lowercase: expected true or false")
        XCTAssertEqual(try jsonFailure(with(["pre_tokenizer", "type"], "Whitespace")),
                       "tokenizer.json: pre_tokenizer.type: expected \"BertPreTokenizer\", got \"Whitespace\"")
        XCTAssertEqual(try jsonFailure(with(["post_processor", "type"], "RobertaProcessing")),
                       "tokenizer.json: post_processor.type: expected \"TemplateProcessing\", got \"RobertaProcessing\"")
        XCTAssertEqual(try jsonFailure(with(["post_processor", "single"], [["SpecialToken": ["id": "[CLS]"]]])),
                       "tokenizer.json: post_processor.single: the template has no $A")
        XCTAssertEqual(try jsonFailure(with(["post_processor", "single"], [["SpecialToken": ["id": "[BOS]"]], ["Sequence": ["id": "A"]]])),
                       "tokenizer.json: post_processor.special_tokens[\"[BOS]\"]: missing")
        XCTAssertEqual(try jsonFailure(with(["decoder", "type"], "ByteLevel")), "tokenizer.json: decoder.type: expected \"WordPiece\", got \"ByteLevel\"")
        XCTAssertEqual(try jsonFailure(with(["decoder", "prefix"], "@@")),
                       "tokenizer.json: decoder.prefix: \"@@\" differs from the model's prefix \"##\"")
        XCTAssertEqual(try jsonFailure(with(["added_tokens"], [["id": 5, "content": "hello", "special": false]])),
                       "tokenizer.json: added_tokens[0].special: \"hello\": added tokens that are not special are not supported")
        XCTAssertEqual(try jsonFailure(with(["added_tokens"], [["id": 4, "content": "[MASK]", "special": true, "lstrip": true]])),
                       "tokenizer.json: added_tokens[0].lstrip: \"[MASK]\": lstrip is not supported")
    }

    func testBadVocabTXTFilesAreRefusedWithTheLineNamed() throws {
        let missing = directory.appendingPathComponent("absent/vocab.txt")
        XCTAssertTrue(failure { try WordPieceTokenizer(vocabTXT: missing) }.hasPrefix("vocab.txt: cannot read \(missing.path)"))
        XCTAssertEqual(try textFailure(["[PAD]", "[CLS]", "[SEP]", "[MASK]", "a"]), "vocab.txt: the vocabulary has no \"[UNK]\"")
        XCTAssertEqual(try textFailure(Self.vocabulary + ["hello"]), "vocab.txt: line 12: \"hello\" is also on line 6")
        let badUTF8 = try writeText(Array("[PAD]\n[UNK]\n".utf8) + [0xC3, 0x28, 0x0A])
        XCTAssertEqual(failure { try WordPieceTokenizer(vocabTXT: badUTF8) }, "vocab.txt: line 3: not valid UTF-8")
        let empty = try writeText([])
        XCTAssertEqual(failure { try WordPieceTokenizer(vocabTXT: empty) }, "vocab.txt: the file is empty")
    }

    /// Windows line ends are not part of the tokens, and canonically equivalent spellings stay two tokens.
    func testVocabTXTLines() throws {
        let decomposed = "cafe\u{301}"
        let url = try writeText(Array((Self.vocabulary + [decomposed]).joined(separator: "\r\n").utf8))
        let tokenizer = try WordPieceTokenizer(vocabTXT: url)
        XCTAssertEqual(tokenizer.vocabSize, 12)
        XCTAssertEqual(tokenizer.id(for: "[UNK]"), 1)
        XCTAssertEqual(tokenizer.id(for: "café"), 8)
        XCTAssertEqual(tokenizer.id(for: decomposed), 11)
        XCTAssertEqual(tokenizer.encode("Hello!"), [2, 5, 10, 3])
    }
}
