import Foundation
import Models
import TestSupport
import XCTest

/// The WordPiece tokenizer against transformers' BERT tokenizer for all-MiniLM-L6-v2
/// (`tools/make_wordpiece_fixture.py` → `Tests/Fixtures/wordpiece_minilm.json`): from the fixture's vocabulary
/// subset always, and from the real `tokenizer.json` and `vocab.txt` when `bash scripts/fetch-model.sh minilm`
/// has downloaded them.
final class WordPieceTokenizerTests: XCTestCase {
    struct Fixture: Decodable {
        struct Entry: Decodable {
            let id: Int
            let token: String

            init(from decoder: any Decoder) throws {
                var pair = try decoder.unkeyedContainer()
                id = try pair.decode(Int.self)
                token = try pair.decode(String.self)
            }
        }

        struct Case: Decodable {
            let text: String
            let ids: [Int32]
            let idsWithoutSpecials: [Int32]
            let offsets: [[Int]]
            let wordIds: [Int?]
            let decoded: String
            let decodedWithSpecials: String
        }

        let vocabSize: Int
        let vocab: [Entry]
        let cases: [Case]
    }

    static func fixture() throws -> Fixture {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Fixture.self, from: Data(contentsOf: fixturesDirectory.appendingPathComponent("wordpiece_minilm.json")))
    }

    /// `a` and `b` with the same scalars (`==` on strings would accept canonically equivalent ones).
    private func assertSameScalars(_ a: String, _ b: String, _ message: String) {
        XCTAssertEqual(Array(a.unicodeScalars), Array(b.unicodeScalars), message)
    }

    /// Every fixture case: ids with and without [CLS]/[SEP], offsets, word starts and both decodes.
    private func assertMatchesTransformers(_ tokenizer: WordPieceTokenizer, _ fixture: Fixture) {
        for c in fixture.cases {
            let label = "\(c.text.debugDescription)"
            let encoding = tokenizer.encoding(of: c.text)
            XCTAssertEqual(encoding.ids, c.ids, label)
            XCTAssertEqual(tokenizer.encode(c.text), c.ids, label)
            XCTAssertEqual(tokenizer.encode(c.text, addSpecialTokens: false), c.idsWithoutSpecials, label)
            XCTAssertEqual(encoding.offsets, c.offsets.map { $0[0]..<$0[1] }, label)
            // A token starts a word unless it carries on the word of the token before it.
            let starts = c.wordIds.indices.map { i in c.wordIds[i] == nil || i == 0 || c.wordIds[i] != c.wordIds[i - 1] }
            XCTAssertEqual(encoding.startsWord, starts, label)
            assertSameScalars(tokenizer.decode(c.ids), c.decoded, label)
            assertSameScalars(tokenizer.decode(c.ids, skipSpecial: false), c.decodedWithSpecials, label)
        }
    }

    /// The fixture's tokens at their ids; the other ids hold spellings with a space, which no word can match.
    func testFixtureVocabularyMatchesTransformers() throws {
        let fixture = try Self.fixture()
        var tokens = (0..<fixture.vocabSize).map { "(not in the fixture) \($0)" }
        for entry in fixture.vocab { tokens[entry.id] = entry.token }
        let tokenizer = try WordPieceTokenizer(tokens: tokens)
        XCTAssertEqual(fixture.cases.count, 46)
        assertMatchesTransformers(tokenizer, fixture)
    }

    func testMiniLMTokenizerJSONMatchesTransformers() throws {
        let folder = URL(fileURLWithPath: try miniLMFolder())
        let tokenizer = try WordPieceTokenizer(tokenizerJSON: folder.appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(tokenizer.vocabSize, 30522)
        XCTAssertEqual([tokenizer.padID, tokenizer.unkID, tokenizer.clsID, tokenizer.sepID, tokenizer.maskID], [0, 100, 101, 102, 103])
        XCTAssertEqual(tokenizer.normalizer, BertNormalizer(cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true))
        XCTAssertEqual(tokenizer.token(for: 7592), "hello")
        XCTAssertEqual(tokenizer.id(for: "##ing"), 2075)
        XCTAssertNil(tokenizer.token(for: 30522))
        XCTAssertNil(tokenizer.id(for: "Hello"))
        assertMatchesTransformers(tokenizer, try Self.fixture())
    }

    func testMiniLMVocabTXTAgreesWithTokenizerJSON() throws {
        let folder = URL(fileURLWithPath: try miniLMFolder())
        let fromJSON = try WordPieceTokenizer(tokenizerJSON: folder.appendingPathComponent("tokenizer.json"))
        let fromTXT = try WordPieceTokenizer(vocabTXT: folder.appendingPathComponent("vocab.txt"))
        XCTAssertEqual(fromTXT.vocabSize, fromJSON.vocabSize)
        XCTAssertEqual(fromTXT.normalizer, fromJSON.normalizer)
        for id in Int32(0)..<Int32(fromJSON.vocabSize) where fromTXT.token(for: id) != fromJSON.token(for: id) {
            XCTFail("token \(id): \(fromTXT.token(for: id) ?? "nil") from vocab.txt, \(fromJSON.token(for: id) ?? "nil") from tokenizer.json")
        }
        for c in try Self.fixture().cases {
            XCTAssertEqual(fromTXT.encoding(of: c.text), fromJSON.encoding(of: c.text), c.text.debugDescription)
            XCTAssertEqual(fromTXT.decode(c.ids), fromJSON.decode(c.ids), c.text.debugDescription)
        }
        assertMatchesTransformers(fromTXT, try Self.fixture())
    }

    /// A small vocabulary: which tokens start words, and their offsets.
    func testWordStartsAndOffsets() throws {
        let tokenizer = try WordPieceTokenizer(tokens: WordPieceTokenizer.bertSpecialTokens + ["play", "##ing", "un", "##aff", "##able", "!", "naive", "a"])
        let e = tokenizer.encoding(of: "Playing unaffable! naïve[MASK]a")
        XCTAssertEqual(e.ids.compactMap(tokenizer.token(for:)),
                       ["[CLS]", "play", "##ing", "un", "##aff", "##able", "!", "naive", "[MASK]", "a", "[SEP]"])
        XCTAssertEqual(e.startsWord, [true, true, false, true, false, false, true, true, true, true, true])
        XCTAssertEqual(e.offsets, [0..<0, 0..<4, 4..<7, 8..<10, 10..<13, 13..<17, 17..<18, 19..<24, 24..<30, 30..<31, 0..<0])
        // A word with a part that has no piece is one [UNK] spanning the word.
        let unknown = tokenizer.encoding(of: "playx ing", addSpecialTokens: false)
        XCTAssertEqual(unknown.ids, [tokenizer.unkID, tokenizer.unkID])
        XCTAssertEqual(unknown.startsWord, [true, true])
        XCTAssertEqual(unknown.offsets, [0..<5, 6..<9])
        XCTAssertEqual(tokenizer.decode(e.ids), "playing unaffable! naive a")
    }
}
