import XCTest
import Core
import Models

/// Decoding of partial characters, all at once and streamed token by token.
final class TokenizerStreamingTests: XCTestCase {
    // Python: `bytes(b).decode("utf-8", errors="replace")`, one U+FFFD per maximal ill-formed subpart.
    static let replacementCases: [(bytes: [UInt8], text: String)] = [
        ([0xC3], "\u{FFFD}"),
        ([0xE2, 0x82, 0x41], "\u{FFFD}A"),
        ([0xF0, 0x9F, 0x98], "\u{FFFD}"),
        ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),
        ([0xC0, 0xAF], "\u{FFFD}\u{FFFD}"),
        ([0xE0, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),
        ([0xF4, 0x90, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
        ([0xF0, 0x9F, 0x98, 0x80, 0xF0], "\u{1F600}\u{FFFD}"),
        ([0x61, 0x80, 0x80, 0x62], "a\u{FFFD}\u{FFFD}b"),
        ([0xE2, 0x82, 0xAC, 0xC3], "\u{20AC}\u{FFFD}"),
        ([0xF5, 0x7A], "\u{FFFD}z"),
        ([0xE1, 0x80, 0xE1, 0x80, 0x80], "\u{FFFD}\u{1000}"),
    ]

    func testIllFormedBytesDecodeLikePython() throws {
        let t = try TokenizerFixtures.byteTokenizer()
        for c in Self.replacementCases {
            XCTAssertEqual(t.decode(c.bytes.map(Int32.init)), c.text, "\(c.bytes)")
        }
    }

    private func streamed(_ ids: [Int32], _ t: BPETokenizer, skipSpecial: Bool = false) -> [String] {
        var decoder = StreamingDecoder(tokenizer: t, skipSpecial: skipSpecial)
        return ids.map { decoder.add($0) } + [decoder.finish()]
    }

    func testCharactersSplitAcrossTokensWaitForTheirLastByte() throws {
        let t = try TokenizerFixtures.byteTokenizer()
        XCTAssertEqual(streamed([0x61, 0xE2, 0x82, 0xAC, 0x62], t), ["a", "", "", "€", "b", ""])
        XCTAssertEqual(streamed([0xF0, 0x9F, 0x98, 0x80], t), ["", "", "", "😀", ""])
        // An unfinished character at the end comes out of finish(); a broken one as soon as it is known broken.
        XCTAssertEqual(streamed([0x61, 0xE2, 0x82], t), ["a", "", "", "\u{FFFD}"])
        XCTAssertEqual(streamed([0xE2, 0x41], t), ["", "\u{FFFD}A", ""])
        XCTAssertEqual(streamed([0xED, 0xA0], t), ["", "\u{FFFD}\u{FFFD}", ""])
    }

    func testRandomBytesStreamToTheFullDecode() throws {
        let t = try TokenizerFixtures.byteTokenizer()
        var rng = SeededRandom(seed: 3)
        // Mostly well-formed multi-byte characters, with stray continuation and lead bytes mixed in.
        let pieces: [[Int32]] = [[0x61], [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0x80], [0xC3],
                                 [0xE2, 0x82], [0xF0, 0x9F], [0xED, 0xA0, 0x80], [0xF4, 0x90], [0xFF], [0xC0, 0xAF]]
        for _ in 0..<2000 {
            var ids: [Int32] = []
            for _ in 0..<rng.nextInt(below: 12) { ids += pieces[rng.nextInt(below: pieces.count)] }
            XCTAssertEqual(streamed(ids, t).joined(), t.decode(ids), "\(ids)")
        }
    }

    func testFixtureCasesStreamToTheFullDecodeWithoutReplacementCharacters() throws {
        let t = try TokenizerFixtures.smolLM2.get()
        for c in try TokenizerFixtures.cases.get() {
            let chunks = streamed(c.ids, t)
            let full = t.decode(c.ids)
            XCTAssertEqual(chunks.joined(), full)
            if !full.contains("\u{FFFD}") { XCTAssertFalse(chunks.contains { $0.contains("\u{FFFD}") }, c.text.debugDescription) }
        }
    }

    func testStreamingCanSkipSpecialTokens() throws {
        let t = try TokenizerFixtures.smolLM2.get()
        let ids = t.encode("<|im_start|>assistant\nOK<|im_end|>")
        XCTAssertEqual(streamed(ids, t, skipSpecial: true).joined(), "assistant\nOK")
        XCTAssertEqual(streamed(ids, t).joined(), "<|im_start|>assistant\nOK<|im_end|>")
    }
}
