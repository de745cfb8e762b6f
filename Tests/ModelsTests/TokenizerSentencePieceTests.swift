import XCTest
import Foundation
import Core
@testable import Models

/// SentencePiece-style BPE with byte fallback against transformers: the tiny Llama-style fixture from its
/// tokenizer.json and from GGUF, through export, and Gemma 3 270M's tokenizer when the model is downloaded.
final class TokenizerSentencePieceTests: XCTestCase {
    private func assertMatches(_ t: BPETokenizer, _ expected: SentencePieceFixtures.Cases, _ label: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        for c in expected.cases {
            XCTAssertEqual(t.encode(c.text), c.ids, "\(label): encode \(c.text.debugDescription)", file: file, line: line)
            XCTAssertEqual(t.decode(c.ids), c.decoded, "\(label): decode of \(c.text.debugDescription)", file: file, line: line)
            if c.decoded == c.text {
                XCTAssertEqual(t.decode(t.encode(c.text)), c.text, "\(label): round trip", file: file, line: line)
            }
            var stream = StreamingDecoder(tokenizer: t)
            let streamed = c.ids.map { stream.add($0) }.joined() + stream.finish()
            XCTAssertEqual(streamed, c.decoded, "\(label): streamed decode of \(c.text.debugDescription)", file: file, line: line)
        }
        XCTAssertEqual(t.encode("Hello world", addSpecial: true), expected.add_special_hello_world, label, file: file, line: line)
    }

    func testTinyTokenizerJSONMatchesTransformers() throws {
        let t = try SentencePieceFixtures.tinyFromJSON()
        XCTAssertEqual(t.sentencePiece?.spacePrefix, .first)
        XCTAssertEqual(t.sentencePiece?.stripsLeadingSpace, true)
        XCTAssertEqual(t.vocabSize, 420)
        XCTAssertEqual(t.bosID, 1)
        XCTAssertEqual(t.eosID, 2)
        XCTAssertEqual(t.unkID, 0)
        XCTAssertEqual(t.tokenType(t.id(of: "<0x0A>")!), BPETokenizer.TokenType.byte.rawValue)
        assertMatches(t, try SentencePieceFixtures.cases("cases.json"), "tokenizer.json")
    }

    func testTinyGGUFMatchesTransformers() throws {
        let t = try SentencePieceFixtures.tinyFromGGUF()
        XCTAssertEqual(t.sentencePiece?.spacePrefix, .first)
        XCTAssertEqual(t.sentencePiece?.scores?.count, 420)
        XCTAssertTrue(t.addBOS)
        XCTAssertEqual(t.tokenType(3), BPETokenizer.TokenType.userDefined.rawValue)  // <tool>
        assertMatches(t, try SentencePieceFixtures.cases("cases.json"), "GGUF")
    }

    func testExportRoundTripsBothWays() throws {
        let expected = try SentencePieceFixtures.cases("cases.json")
        let folder = try makeScratchFolder()
        let fromJSON = try SentencePieceFixtures.tinyFromJSON(), fromGGUF = try SentencePieceFixtures.tinyFromGGUF()
        let exported = [
            ("tokenizer.json → GGUF", try SentencePieceFixtures.throughGGUF(fromJSON, in: folder)),
            ("GGUF → GGUF", try SentencePieceFixtures.throughGGUF(fromGGUF, in: folder)),
            ("GGUF → tokenizer.json", try SentencePieceFixtures.throughTokenizerJSON(fromGGUF, in: folder)),
            ("tokenizer.json → tokenizer.json", try SentencePieceFixtures.throughTokenizerJSON(fromJSON, in: folder)),
        ]
        for (label, t) in exported {
            XCTAssertEqual(t.vocabulary, fromGGUF.vocabulary, label)
            XCTAssertEqual(t.tokenTypes.filter { $0 == BPETokenizer.TokenType.byte.rawValue }.count, 256, label)
            assertMatches(t, expected, label)
        }
        XCTAssertEqual(exported[1].1.sentencePiece?.scores, fromGGUF.sentencePiece?.scores)
    }

    func testAddedSpecialTokensKeepTheSentencePieceLayout() throws {
        let t = try SentencePieceFixtures.tinyFromGGUF()
        let (grown, ids) = try t.addingSpecialTokens(["<mask>"])
        XCTAssertEqual(ids, [420])
        XCTAssertEqual(grown.encode("a<mask> b"), t.encode("a") + [420] + t.encode(" b").dropFirst(0))
        XCTAssertEqual(grown.encode("Hello world"), t.encode("Hello world"))
        XCTAssertEqual(grown.sentencePiece?.scores?.count, 421)
    }

    func testTinyTokenizerJSONAndGGUFAgreeOnTheSmolLM2Texts() throws {
        let fromJSON = try SentencePieceFixtures.tinyFromJSON(), fromGGUF = try SentencePieceFixtures.tinyFromGGUF()
        var differences = 0
        for c in try TokenizerFixtures.cases.get() {
            let ids = fromJSON.encode(c.text)
            if ids != fromGGUF.encode(c.text) {
                differences += 1
                if differences <= 5 { XCTFail("\(c.text.debugDescription): \(ids) from tokenizer.json, \(fromGGUF.encode(c.text)) from GGUF") }
            }
            // Byte fallback spells everything; only the prefix space and "▁" in the text do not come back.
            if !c.text.hasPrefix(" ") && !c.text.contains("\u{2581}") { XCTAssertEqual(fromGGUF.decode(ids), c.text) }
        }
        XCTAssertEqual(differences, 0)
    }

    /// The tiny tokenizer.json with its normalizer, pre-tokenizer and decoder swapped for each of the other
    /// layouts (`layout_cases.json`) against the ids and text `tokenizers` gives.
    func testOtherTokenizerJSONLayoutsMatchTokenizers() throws {
        struct Layout: Decodable {
            var cases: [SentencePieceFixtures.Case]
        }
        let url = SentencePieceFixtures.directory.appendingPathComponent("layout_cases.json")
        let expected = try JSONDecoder().decode([String: Layout].self, from: Data(contentsOf: url))
        let layouts = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [String: Any]])
        let base = try Data(contentsOf: SentencePieceFixtures.directory.appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(Set(expected.keys), ["prepend-replace", "metaspace-always-split", "metaspace-never", "replace-split"])
        for (name, layout) in layouts.sorted(by: { $0.key < $1.key }) {
            var root = try XCTUnwrap(JSONSerialization.jsonObject(with: base) as? [String: Any])
            for (key, value) in try XCTUnwrap(layout["layout"] as? [String: Any]) { root[key] = value }
            let file = try makeScratchFolder().appendingPathComponent("tokenizer.json")
            try JSONSerialization.data(withJSONObject: root).write(to: file)
            let t = try BPETokenizer(tokenizerJSON: file)
            for c in try XCTUnwrap(expected[name]).cases {
                XCTAssertEqual(t.encode(c.text), c.ids, "\(name): encode \(c.text.debugDescription)")
                XCTAssertEqual(t.decode(c.ids), c.decoded, "\(name): decode of \(c.text.debugDescription)")
            }
        }
    }

    /// `JSONSerialization` would make "Å" precomposed and decomposed one key, and drops a U+FEFF that starts a
    /// string; both spellings keep their ids and U+FEFF its token.
    func testTokensAreReadAsSpelled() throws {
        var text = try String(contentsOf: SentencePieceFixtures.directory.appendingPathComponent("tokenizer.json"), encoding: .utf8)
        let added = "\"\u{C5}\": 420, \"A\u{30A}\": 421, \"\u{FEFF}\": 422, \"\u{2581}\u{FEFF}\": 423, "
        text = text.replacingOccurrences(of: "\"vocab\": {", with: "\"vocab\": {" + added)
        text = text.replacingOccurrences(of: "\"merges\": [", with: "\"merges\": [[\"\u{2581}\", \"\u{FEFF}\"], ")
        let url = try makeScratchFolder().appendingPathComponent("tokenizer.json")
        try text.write(to: url, atomically: true, encoding: .utf8)
        let t = try BPETokenizer(tokenizerJSON: url)
        XCTAssertEqual(t.vocabSize, 424)
        XCTAssertEqual(t.id(of: "\u{C5}"), 420)
        XCTAssertEqual(t.id(of: "A\u{30A}"), 421)
        XCTAssertEqual(t.tokenString(421).map { Array($0.unicodeScalars) }, ["A", "\u{30A}"])
        XCTAssertEqual(t.encode("\u{FEFF}"), [423])
    }

    private func gemma() throws -> BPETokenizer {
        let path = SentencePieceFixtures.gemmaPath
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "\(path) is not downloaded")
        let file = try GGUFFile(path: path)
        let start = Date()
        let t = try LanguageModel.ggufTokenizer(file)
        print(String(format: "Gemma 3 tokenizer (%d tokens): built in %.3f s", t.vocabSize, Date().timeIntervalSince(start)))
        return t
    }

    func testGemma3OnTheSmolLM2TextsMatchesTransformers() throws {
        let t = try gemma()
        let texts = try TokenizerFixtures.cases.get().map(\.text)
        let expected = try SentencePieceFixtures.gemmaIDsForSmolLM2Texts()
        XCTAssertEqual(texts.count, expected.ids.count)
        var failures = 0
        for (i, (text, ids)) in zip(texts, expected.ids).enumerated() {
            let got = t.encode(text)
            if got != ids {
                failures += 1
                if failures <= 10 { XCTFail("\(text.debugDescription): got \(got), expected \(ids)") }
            }
            XCTAssertEqual(t.decode(ids), expected.decoded[String(i)] ?? text)
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(texts.count) texts differ")
    }

    func testGemma3ExportRoundTrips() throws {
        let t = try gemma()
        let expected = try SentencePieceFixtures.cases("gemma3_cases.json")
        let folder = try makeScratchFolder()
        assertMatches(try SentencePieceFixtures.throughGGUF(t, in: folder), expected, "Gemma 3 → GGUF")
        assertMatches(try SentencePieceFixtures.throughTokenizerJSON(t, in: folder), expected, "Gemma 3 → tokenizer.json")
    }

    func testGemma3MatchesTransformers() throws {
        let t = try gemma()
        XCTAssertEqual(t.vocabSize, 262_144)
        XCTAssertEqual(t.sentencePiece?.spacePrefix, .never)
        XCTAssertEqual(t.bosID, 2)
        XCTAssertTrue(t.addBOS)
        XCTAssertEqual(t.encode("<start_of_turn>user\nhi<end_of_turn>", addSpecial: true), [2, 105, 2364, 107, 2202, 106])
        assertMatches(t, try SentencePieceFixtures.cases("gemma3_cases.json"), "Gemma 3")
    }
}
