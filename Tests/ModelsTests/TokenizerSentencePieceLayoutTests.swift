import XCTest
import Core
@testable import Models

/// SentencePiece-style encoding and decoding rules on a hand-made vocabulary: the space prefix schemes,
/// splitting at spaces, score order, byte fallback, and decoding back.
final class TokenizerSentencePieceLayoutTests: XCTestCase {
    /// `<unk>`, `<s>`, `</s>`, the 256 byte tokens (ids 3 to 258), then `pieces` from id 259, scored so that
    /// earlier pieces merge first.
    static func tokenizer(_ pieces: [String], _ layout: SentencePieceLayout, scores: [Float]? = nil) throws -> BPETokenizer {
        let tokens = ["<unk>", "<s>", "</s>"] + (0...255).map { SentencePieceLayout.byteTokenName(UInt8($0)) } + pieces
        let types = [2, 3, 3] + Array(repeating: 6, count: 256) + Array(repeating: 1, count: pieces.count)
        var layout = layout
        layout.scores = [0, 0, 0] + Array(repeating: 0, count: 256) + (scores ?? pieces.indices.map { -Float($0) })
        return try BPETokenizer(tokens: tokens, merges: [(String, String)](), tokenTypes: types, bosID: 1, eosID: 2, unkID: 0,
                                addBOS: true, sentencePiece: layout)
    }

    private func pieces(_ t: BPETokenizer, _ text: String) -> [String] {
        t.encode(text).map { t.tokenString($0)! }
    }

    static let hi = ["▁", "h", "i", "▁h", "▁hi", "hi"]

    func testFirstSchemePrefixesOnlyTheStartOfTheText() throws {
        let t = try Self.tokenizer(Self.hi, SentencePieceLayout(spacePrefix: .first))
        XCTAssertEqual(pieces(t, "hi"), ["▁hi"])
        XCTAssertEqual(pieces(t, " hi"), ["▁hi"])  // already starts with a space
        XCTAssertEqual(pieces(t, "hi<s>hi"), ["▁hi", "<s>", "hi"])
        XCTAssertEqual(pieces(t, "<s>hi"), ["<s>", "hi"])
        XCTAssertEqual(t.encode("hi", addSpecial: true).first, 1)
        XCTAssertEqual(t.encode(""), [])
    }

    func testAlwaysSchemesPrefixEveryStretch() throws {
        let always = try Self.tokenizer(Self.hi, SentencePieceLayout(spacePrefix: .always))
        XCTAssertEqual(pieces(always, "<s>hi"), ["<s>", "▁hi"])
        XCTAssertEqual(pieces(always, " hi"), ["▁hi"])
        let prepend = try Self.tokenizer(Self.hi, SentencePieceLayout(spacePrefix: .alwaysEvenAfterSpace))
        XCTAssertEqual(pieces(prepend, " hi"), ["▁", "▁hi"])
        XCTAssertEqual(pieces(prepend, "hi<s>hi"), ["▁hi", "<s>", "▁hi"])
        let never = try Self.tokenizer(Self.hi, SentencePieceLayout(spacePrefix: .never))
        XCTAssertEqual(pieces(never, "hi hi"), ["hi", "▁hi"])
    }

    func testSplittingAtSpacesKeepsMergesWithinWords() throws {
        let vocabulary = ["i▁", "▁", "h", "i", "hi", "▁hi"]
        let whole = try Self.tokenizer(vocabulary, SentencePieceLayout(spacePrefix: .never))
        XCTAssertEqual(pieces(whole, "hi hi"), ["h", "i▁", "hi"])
        let split = try Self.tokenizer(vocabulary, SentencePieceLayout(spacePrefix: .never, splitsAtSpaces: true))
        XCTAssertEqual(pieces(split, "hi hi"), ["hi", "▁hi"])
    }

    func testHigherScoresMergeFirstAndEqualOnesLeftmostFirst() throws {
        let layout = SentencePieceLayout(spacePrefix: .never)
        XCTAssertEqual(pieces(try Self.tokenizer(["a", "b", "c", "ab", "bc"], layout, scores: [0, 0, 0, -2, -1]), "abc"), ["a", "bc"])
        XCTAssertEqual(pieces(try Self.tokenizer(["a", "b", "c", "ab", "bc"], layout, scores: [0, 0, 0, -1, -2]), "abc"), ["ab", "c"])
        XCTAssertEqual(pieces(try Self.tokenizer(["a", "aa"], layout), "aaa"), ["aa", "a"])
        // The only way to "aaaa" is through "aa" + "aa".
        XCTAssertEqual(pieces(try Self.tokenizer(["a", "aa", "aaaa"], layout), "aaaaa"), ["aaaa", "a"])
    }

    func testCharactersWithoutATokenFallBackToBytesAndDecodeBack() throws {
        let t = try Self.tokenizer(Self.hi, SentencePieceLayout(spacePrefix: .first))
        XCTAssertEqual(pieces(t, "hé"), ["▁h", "<0xC3>", "<0xA9>"])
        XCTAssertEqual(pieces(t, "\t"), ["▁", "<0x09>"])
        for text in ["hé", "hi hi", "  hi ", "😀 h", "\u{0}\u{7F}"] {
            XCTAssertEqual(t.decode(t.encode(text)), text.hasPrefix(" ") ? String(text.dropFirst()) : text, text.debugDescription)
        }
        // A "▁" in the text is a space to SentencePiece, and this one comes back as the stripped prefix.
        XCTAssertEqual(pieces(t, "▁hi"), ["▁hi"])
        XCTAssertEqual(t.decode(t.encode("▁hi")), "hi")
    }

    func testDecodingStripsOnlyTheLeadingSpaceAndStreamsBytesWhole() throws {
        let t = try Self.tokenizer(Self.hi, SentencePieceLayout(spacePrefix: .first))
        let ids = t.encode("hi é hi", addSpecial: true)
        XCTAssertEqual(t.decode(ids), "<s> hi é hi")  // as transformers: the BOS text comes first, so no space is dropped
        XCTAssertEqual(t.decode(ids, skipSpecial: true), "hi é hi")
        var stream = StreamingDecoder(tokenizer: t, skipSpecial: true)
        let parts = ids.map { stream.add($0) }
        XCTAssertEqual(parts, ["", "hi", " ", "", "é", " hi"])
        XCTAssertEqual(stream.finish(), "")
        let never = try Self.tokenizer(Self.hi, SentencePieceLayout(spacePrefix: .never))
        XCTAssertEqual(never.decode(never.encode(" hi")), " hi")
    }
}
