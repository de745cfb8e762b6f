import Foundation
@testable import Models
import TestSupport
import XCTest

/// Every Unicode scalar through the BERT normalizer's steps and pre-tokenizer, against what `tokenizers` does
/// (`tools/make_wordpiece_fixture.py` → `Tests/Fixtures/wordpiece_characters.json`).
final class BertNormalizerTests: XCTestCase {
    struct Characters: Decodable {
        struct Changes: Decodable {
            let count: Int
            let fnv1a64: String
        }

        let removedByCleanText: [[UInt32]]
        let spaces: [[UInt32]]
        let chinese: [[UInt32]]
        let punctuation: [[UInt32]]
        let removedByStripAccents: [[UInt32]]
        let lowercaseChanges: Changes
        let stripAccentsChanges: Changes
    }

    /// One step of the normalizer alone.
    private func step(_ name: String) -> BertNormalizer {
        BertNormalizer(cleanText: name == "clean", handleChineseChars: name == "chinese", stripAccents: name == "strip",
                       lowercase: name == "lowercase")
    }

    private func normalized(_ scalars: [Unicode.Scalar], _ normalizer: BertNormalizer) -> [Unicode.Scalar] {
        normalizer.normalize(scalars, firstOrigin: 0).map(\.scalar)
    }

    /// The scalars for which `test` holds, as inclusive [first, last] runs.
    private func runs(_ test: (Unicode.Scalar) -> Bool) -> [[UInt32]] {
        var runs: [[UInt32]] = []
        for value in UInt32(0)..<0x110000 {
            guard let scalar = Unicode.Scalar(value), test(scalar) else { continue }
            if let last = runs.last, last[1] == value - 1 { runs[runs.count - 1][1] = value } else { runs.append([value, value]) }
        }
        return runs
    }

    /// What a step makes of each scalar it changes, in order.
    private func changes(_ normalizer: BertNormalizer) -> [(scalar: UInt32, output: [Unicode.Scalar])] {
        (UInt32(0)..<0x110000).compactMap { value in
            guard let scalar = Unicode.Scalar(value) else { return nil }
            let output = normalized([scalar], normalizer)
            return output == [scalar] ? nil : (value, output)
        }
    }

    /// The FNV-1a 64 hash of the lines "<hex scalar>:<output>\n", as 16 hex digits.
    private func hash(_ changes: [(scalar: UInt32, output: [Unicode.Scalar])]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for change in changes {
            var line = String(change.scalar, radix: 16, uppercase: true) + ":"
            line.unicodeScalars.append(contentsOf: change.output)
            for byte in (line + "\n").utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    func testEveryScalarIsTreatedAsTokenizersDoes() throws {
        let data = try Data(contentsOf: fixturesDirectory.appendingPathComponent("wordpiece_characters.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let expected = try decoder.decode(Characters.self, from: data)
        let (clean, chinese, strip) = (step("clean"), step("chinese"), step("strip"))
        // Between two letters, so that a scalar turned into a space or split off shows.
        XCTAssertEqual(runs { normalized(["a", $0, "b"], clean) == ["a", "b"] }, expected.removedByCleanText)
        XCTAssertEqual(runs { normalized(["a", $0, "b"], clean) == ["a", " ", "b"] }, expected.spaces)
        XCTAssertEqual(runs { normalized([$0], chinese) != [$0] }, expected.chinese)
        XCTAssertEqual(runs { BertPreTokenizer.words(["a", $0, "b"]) == [0..<1, 1..<2, 2..<3] }, expected.punctuation)
        let stripped = changes(strip)
        let removedByStrip = Set(stripped.filter(\.output.isEmpty).map(\.scalar))
        XCTAssertEqual(runs { removedByStrip.contains($0.value) }, expected.removedByStripAccents)
        XCTAssertEqual(stripped.count, expected.stripAccentsChanges.count)
        XCTAssertEqual(hash(stripped), expected.stripAccentsChanges.fnv1a64)
        let lowercased = changes(step("lowercase"))
        XCTAssertEqual(lowercased.count, expected.lowercaseChanges.count)
        XCTAssertEqual(hash(lowercased), expected.lowercaseChanges.fnv1a64)
    }

    /// Offsets follow each normalized scalar back to the one it came from: decomposition and lowercasing repeat
    /// it, cleaning drops it, CJK spaces take the ideograph's.
    func testOriginsPointBackIntoTheText() {
        let pieces = BertNormalizer().normalize(Array("Å\u{200B}x中İ".unicodeScalars), firstOrigin: 10)
        XCTAssertEqual(pieces.map(\.scalar), ["a", "x", " ", "中", " ", "i"])
        XCTAssertEqual(pieces.map(\.origin), [10, 12, 13, 13, 13, 14])
        let cased = BertNormalizer(lowercase: false).normalize(Array("ﬃİ".unicodeScalars), firstOrigin: 0)
        XCTAssertEqual(cased.map(\.scalar), ["ﬃ", "İ"])
        let keepingAccents = BertNormalizer(stripAccents: false).normalize(Array("İ".unicodeScalars), firstOrigin: 0)
        XCTAssertEqual(keepingAccents.map(\.scalar), ["i", "\u{307}"])
        XCTAssertEqual(keepingAccents.map(\.origin), [0, 0])
    }
}
