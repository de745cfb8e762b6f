import XCTest
import Foundation
import Synchronization
import Core
import Models

/// The tokenizer loaded from SmolLM2's `tokenizer.json` against the ids transformers gives for 1472 strings.
final class TokenizerFixtureTests: XCTestCase {
    private func tokenizer() throws -> BPETokenizer { try TokenizerFixtures.smolLM2.get() }
    private func cases() throws -> [TokenizerFixtures.Case] { try TokenizerFixtures.cases.get() }

    func testLoadsSmolLM2Settings() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.vocabSize, 49152)
        XCTAssertEqual(t.preTokenizer, .smollm)
        XCTAssertEqual(t.bosID, 1)
        XCTAssertEqual(t.eosID, 2)
        XCTAssertEqual(t.padID, 2)
        XCTAssertEqual(t.unkID, 0)
        XCTAssertFalse(t.addBOS)
        XCTAssertFalse(t.addEOS)
        XCTAssertEqual(t.id(of: "<|im_start|>"), 1)
        XCTAssertEqual(t.tokenString(2), "<|im_end|>")
        XCTAssertEqual(t.id(of: "Ġthe"), 260)
    }

    func testEveryFixtureCaseEncodesToTheReferenceIds() throws {
        let t = try tokenizer()
        let cases = try cases()
        XCTAssertGreaterThan(cases.count, 1000)
        var failures = 0
        for c in cases {
            let ids = t.encode(c.text)
            if ids != c.ids {
                failures += 1
                if failures <= 10 { XCTFail("\(c.text.debugDescription): got \(ids), expected \(c.ids)") }
            }
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(cases.count) cases differ")
    }

    func testDecodingGivesBackEveryFixtureText() throws {
        let t = try tokenizer()
        for c in try cases() {
            let expected = c.decoded ?? c.text
            XCTAssertEqual(t.decode(c.ids), expected)
            XCTAssertEqual(t.decode(t.encode(c.text)), expected)
        }
    }

    func testAddSpecialAddsNothingForSmolLM2() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.encode("Hello", addSpecial: true), t.encode("Hello"))
    }

    func testChatTagsAreSingleTokens() throws {
        let t = try tokenizer()
        let text = "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n"
        let ids = t.encode(text)
        XCTAssertEqual(ids.filter { $0 == 1 }.count, 2)
        XCTAssertEqual(ids.filter { $0 == 2 }.count, 1)
        XCTAssertEqual(ids.first, 1)
        XCTAssertEqual(t.decode(ids), text)
        XCTAssertEqual(t.decode(ids, skipSpecial: true), "user\nHi there\nassistant\n")
        // A tag cut short is ordinary text.
        XCTAssertFalse(t.encode("<|im_start|").contains(1))
    }

    // Generated with `tokenizers` 0.23.3 from the GGUF-built tokenizer.json with a
    // Sequence[Digits(individual_digits: true), ByteLevel] pre-tokenizer; each case tokenizes differently with
    // a plain ByteLevel pre-tokenizer, which is what transformers builds from the GGUF.
    static let smollmDigitCases: [(text: String, ids: [Int32])] = [
        ("    0x1F  ", [289, 32, 104, 33, 54, 256]),
        ("\u{FF11}\u{FF12}\u{FF13} \u{663}\u{664} \u{BD}", [8083, 235, 8083, 236, 8083, 237, 216, 164, 113, 164, 114, 216, 16738]),
        ("def f():\n    1 + 2\n\t\t3", [1604, 275, 3734, 2367, 33, 1232, 216, 34, 3558, 35]),
        ("a  1\u{B2} \u{2167} \u{966}\u{967}", [81, 256, 33, 19133, 216, 173, 223, 117, 216, 9310, 116, 9310, 117]),
        ("x =  12;  // 34", [104, 446, 256, 33, 34, 43, 216, 13241, 216, 35, 36]),
    ]

    func testDigitsAreSplitBeforeTheGPT2Pattern() throws {
        let t = try tokenizer()
        for c in Self.smollmDigitCases { XCTAssertEqual(t.encode(c.text), c.ids, c.text.debugDescription) }
    }

    func testBytesWithoutATokenAreDropped() throws {
        let t = try tokenizer()
        XCTAssertNil(t.id(of: "Ė"))  // byte 0x16
        XCTAssertEqual(t.decode(t.encode("a\u{16}b")), "ab")
    }

    /// Random text from every plane SmolLM2 can spell (its vocabulary lacks the lead bytes of planes 4 to 11
    /// and six control bytes) comes back unchanged.
    func testRandomTextRoundTrips() throws {
        let t = try tokenizer()
        var rng = SeededRandom(seed: 42)
        let missing: Set<UInt32> = [0x04, 0x06, 0x13, 0x14, 0x16, 0x1D]
        let ranges: [ClosedRange<UInt32>] = [0x00...0x7F, 0x80...0x7FF, 0x800...0xFFFF, 0x1_0000...0x3_FFFF,
                                             0xC_0000...0x10_FFFF, 0x20...0x40, 0x300...0x36F, 0x1F300...0x1FAFF]
        for _ in 0..<1000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<rng.nextInt(below: 40) {
                let r = ranges[rng.nextInt(below: ranges.count)]
                let v = r.lowerBound + UInt32(rng.nextInt(below: Int(r.upperBound - r.lowerBound) + 1))
                if let scalar = Unicode.Scalar(v), !missing.contains(v) { s.append(scalar) }
            }
            let text = String(s)
            XCTAssertEqual(t.decode(t.encode(text)), text, text.debugDescription)
        }
    }

    func testConcurrentEncodingGivesTheSameIds() throws {
        let t = try tokenizer()
        let cases = try cases()
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for c in cases where t.encode(c.text) != c.ids {
                failures.withLock { $0 += 1 }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }

    func testLongInputWithoutSpacesEncodesAndRoundTrips() throws {
        let t = try tokenizer()
        var rng = SeededRandom(seed: 7)
        let letters = Array("abcdefghijklmnopqrstuvwxyzé中")
        let text = String((0..<10_000).map { _ in letters[rng.nextInt(below: letters.count)] })
        // Speed: `remask bench --only tokenize` (tokenize-long-word).
        XCTAssertEqual(t.decode(t.encode(text)), text)
    }
}
