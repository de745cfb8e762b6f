import XCTest
import Models

/// The merge loop and the encoder's plumbing on hand-made vocabularies whose results can be worked out on paper.
final class TokenizerMergeTests: XCTestCase {
    private func tokenizer(_ tokens: [String], _ merges: [String], types: [Int]? = nil, unk: Int32? = nil,
                           ignoreMerges: Bool = false) throws -> BPETokenizer {
        try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, unkID: unk, ignoreMerges: ignoreMerges)
    }

    func testBestRankedPairMergesFirst() throws {
        let tokens = ["a", "b", "c", "ab", "bc"]
        // "b c" outranks "a b": a|b|c → a|bc, and "a bc" is no merge.
        XCTAssertEqual(try tokenizer(tokens, ["b c", "a b"]).encode("abc"), [0, 4])
        // "a b" outranks "b c": a|b|c → ab|c.
        XCTAssertEqual(try tokenizer(tokens, ["a b", "b c"]).encode("abc"), [3, 2])
    }

    func testMergedTokensMergeFurther() throws {
        let t = try tokenizer(["a", "b", "c", "ab", "bc", "abc"], ["b c", "a b", "a bc"])
        // a|b|c → a|bc (rank 0) → abc (rank 2); the "a b" candidate is stale once b has merged.
        XCTAssertEqual(t.encode("abc"), [5])
        XCTAssertEqual(t.encode("abcab"), [5, 3])
    }

    func testEqualRanksMergeLeftmostFirst() throws {
        let t = try tokenizer(["a", "aa", "aaaa"], ["a a", "aa aa"])
        XCTAssertEqual(t.encode("aaa"), [1, 0])          // aa|a, not a|aa
        XCTAssertEqual(t.encode("aaaa"), [2])            // aa|aa → aaaa
        XCTAssertEqual(t.encode("aaaaaaa"), [2, 1, 0])   // aa|aa|aa|a → aaaa|aa|a
    }

    func testMergesStayInsideWords() throws {
        // "a b" is two words, "a" and " b": the "a Ġ" merge cannot apply across them.
        let t = try tokenizer(["a", "b", "Ġ", "aĠ", "Ġb", "ab"], ["a Ġ", "Ġ b", "a b"])
        XCTAssertEqual(t.encode("a b"), [0, 4])
        XCTAssertEqual(t.encode("ab b"), [5, 4])
    }

    func testMultiByteCharactersMergeFromTheirBytes() throws {
        // "é" is C3 A9, spelled "Ã©"; without the merge it stays two byte tokens.
        let t = try tokenizer(["Ã", "©", "Ã©", "Ġ"], ["Ã ©"])
        XCTAssertEqual(t.encode("é"), [2])
        XCTAssertEqual(t.decode([2]), "é")
        XCTAssertEqual(try tokenizer(["Ã", "©"], []).encode("é"), [0, 1])
    }

    func testBytesWithoutATokenAreDropped() throws {
        XCTAssertEqual(try tokenizer(["a", "b"], []).encode("azb"), [0, 1])
        XCTAssertEqual(try tokenizer(["<unk>", "a", "b", "ab"], ["a b"], unk: 0).encode("azb z"), [3])
    }

    func testIgnoreMergesTakesWholeWordsFromTheVocabulary() throws {
        let tokens = ["a", "b", "c", "abc"]
        XCTAssertEqual(try tokenizer(tokens, []).encode("abc"), [0, 1, 2])
        XCTAssertEqual(try tokenizer(tokens, [], ignoreMerges: true).encode("abc"), [3])
    }

    func testSpecialTokensAreMatchedWholeLongestFirst() throws {
        // 3 = control, 4 = user-defined; "<|x" as a normal token is never matched whole.
        let tokens = ["<", "|", "x", "y", ">", "<|x|>", "<|xy|>", "<|x"]
        let t = try tokenizer(tokens, [], types: [1, 1, 1, 1, 1, 3, 4, 1])
        XCTAssertEqual(t.encode("x<|xy|>y"), [2, 6, 3])
        XCTAssertEqual(t.encode("<|x|><|x|>"), [5, 5])
        XCTAssertEqual(t.encode("<|x"), [0, 1, 2])
        XCTAssertEqual(t.decode([2, 5, 6]), "x<|x|><|xy|>")
        XCTAssertEqual(t.decode([2, 5, 6], skipSpecial: true), "x<|xy|>")
        XCTAssertTrue(t.isSpecial(5))
        XCTAssertFalse(t.isSpecial(6))
    }

    func testBOSAndEOSAreAddedOnlyOnRequest() throws {
        let t = try BPETokenizer(tokens: ["<s>", "</s>", "a"], merges: [String](), tokenTypes: [3, 3, 1],
                                 bosID: 0, eosID: 1, addBOS: true, addEOS: true)
        XCTAssertEqual(t.encode("a"), [2])
        XCTAssertEqual(t.encode("a", addSpecial: true), [0, 2, 1])
    }

    func testLookupsAndOutOfRangeIds() throws {
        let t = try tokenizer(["a", "Ġ", "Ġa"], ["Ġ a"])
        XCTAssertEqual(t.vocabSize, 3)
        XCTAssertEqual(t.id(of: "Ġa"), 2)
        XCTAssertNil(t.id(of: " a"))
        XCTAssertEqual(t.tokenString(2), "Ġa")
        XCTAssertNil(t.tokenString(3))
        XCTAssertNil(t.tokenString(-1))
        XCTAssertEqual(t.decode([0, 7, -1, 2]), "a a")
    }

    func testLongWordWithoutSpacesMergesFully() throws {
        let t = try tokenizer(["a", "aa", "aaaa", "aaaaaaaa"], ["a a", "aa aa", "aaaa aaaa"])
        // Speed: `remask bench --only tokenize` (tokenize-long-word).
        XCTAssertEqual(t.encode(String(repeating: "a", count: 20_000)), [Int32](repeating: 3, count: 2_500))
    }

    func testInvalidInputsAreExplained() {
        func message(_ body: () throws -> BPETokenizer) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { try self.tokenizer(["a", "b"], ["ab"]) },
                       "merges[0]: expected \"left right\", got \"ab\"")
        XCTAssertEqual(message { try self.tokenizer(["a", "b"], ["a b"]) },
                       "merges[0]: \"a b\": \"ab\" is not in the vocabulary")
        XCTAssertEqual(message { try self.tokenizer(["a", "b"], [], types: [1]) },
                       "tokenTypes: 1 types for 2 tokens")
        XCTAssertEqual(message { try BPETokenizer(tokens: ["a"], merges: [String](), bosID: 1) },
                       "bosID: id 1 is outside the vocabulary of 1 tokens")
        XCTAssertEqual(message { try BPETokenizer(tokens: ["a"], merges: [String](), addBOS: true) },
                       "addBOS: BOS is to be added but there is no BOS id")
        XCTAssertEqual(message { try self.tokenizer([], []) }, "tokens: the vocabulary has 0 tokens")
    }
}
