import XCTest
@testable import Models

final class BPETrainerTests: XCTestCase {
    let corpus = ["the cat sat on the mat", "the cat ate 12 apples", "then the hat sat", "<|user|> the cat"]

    func testMostFrequentPairsMergeFirstAndTiesGoToTheSmallestPair() throws {
        let t = try BPETrainer.train(corpus, merges: 3, specials: ["<|endoftext|>"])
        // "at" occurs 6 times within words ("cat"×3, "sat"×2, "mat", "hat"...), more than any other pair;
        // then " t" (with GPT-2's space symbol Ġ) and "th"/"he" follow.
        XCTAssertEqual(t.mergeRules.first.map { $0.left + $0.right }, "at")
        XCTAssertEqual(t.mergeRules.count, 3)
        XCTAssertEqual(t.vocabSize, 256 + 3 + 1)
    }

    func testDeterministicAndRoundTrips() throws {
        let a = try BPETrainer.train(corpus, merges: 20, specials: ["<|endoftext|>", "<|user|>"])
        let b = try BPETrainer.train(corpus.reversed(), merges: 20, specials: ["<|endoftext|>", "<|user|>"])
        XCTAssertEqual(a.vocabulary, b.vocabulary)
        XCTAssertEqual(a.mergeRules.map { $0.left + "|" + $0.right }, b.mergeRules.map { $0.left + "|" + $0.right })
        for text in corpus + ["an unseen sentence: 987 × ü"] {
            XCTAssertEqual(a.decode(a.encode(text)), text)
        }
        // Merged words take fewer tokens than bytes; digits stay one token each.
        XCTAssertLessThan(a.encode("the cat sat").count, "the cat sat".utf8.count)
        XCTAssertEqual(a.encode("12").count, 2)
    }

    func testSpecialsAreWholeControlTokensAndTheFirstEndsSequences() throws {
        let t = try BPETrainer.train(corpus, merges: 10, specials: ["<|endoftext|>", "<|user|>"])
        let user = try XCTUnwrap(t.vocabulary.firstIndex(of: "<|user|>"))
        XCTAssertEqual(t.encode("<|user|> hi").first, Int32(user))
        XCTAssertEqual(t.eosID, Int32(t.vocabulary.firstIndex(of: "<|endoftext|>")!))
        XCTAssertEqual(t.tokenTypes[user], BPETokenizer.TokenType.control.rawValue)
    }

    func testStopsWhenNoPairIsFrequentEnough() throws {
        let t = try BPETrainer.train(["ab ab", "cd"], merges: 50, minFrequency: 2, specials: [])
        XCTAssertEqual(t.mergeRules.map { $0.left + $0.right }, ["ab"])  // "Ġa"+"b" occurs once only
        XCTAssertNil(t.eosID)
    }
}
