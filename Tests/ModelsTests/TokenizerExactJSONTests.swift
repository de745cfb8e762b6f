import XCTest
import Foundation
@testable import Models

/// The exact reading of tokenizer.json's vocabulary and merges.
final class TokenizerExactJSONTests: XCTestCase {
    private func entries(_ json: String) -> [(key: String, value: Int?)]? {
        ExactJSON.objectEntries(atPath: ["model", "vocab"], in: Data(json.utf8))
    }

    func testKeysKeepTheirSpellingAndEscapesDecode() throws {
        let json = #"{"a": [1, {"vocab": 0}], "model": {"x": "}", "vocab": {"\u00C5": 0, "A\u030A": 1, "\ufeff": 2, "\ud83d\ude00": 3, "\ud83d": 4, "q\"\\\n": 5.5}}}"#
        let found = try XCTUnwrap(entries(json))
        XCTAssertEqual(found.map { Array($0.key.unicodeScalars) },
                       [["\u{C5}"], ["A", "\u{30A}"], ["\u{FEFF}"], ["\u{1F600}"], ["\u{FFFD}"], ["q", "\"", "\\", "\n"]])
        XCTAssertEqual(found.map(\.value), [0, 1, 2, 3, 4, nil])
        let merges = ExactJSON.stringArrayItems(atPath: ["model", "merges"],
                                                in: Data(#"{"model": {"merges": ["a b", ["\ufeff", "c"], 7, ["x", 1]]}}"#.utf8))
        XCTAssertEqual(merges?.count, 4)
        XCTAssertEqual(merges?[0] as? String, "a b")
        XCTAssertEqual((merges?[1] as? [String]).map { $0.map { Array($0.unicodeScalars) } }, [["\u{FEFF}"], ["c"]])
        XCTAssertNil(merges?[2] ?? nil)
        XCTAssertNil(merges?[3] ?? nil)
    }

    func testMalformedOrMissingGivesNil() {
        let document = #"{"model": {"vocab": {"a": 0, "\ud800\u0041": 1}}}"#
        // Cut anywhere before the vocabulary's end (what follows it is not read again).
        for end in 0..<(document.utf8.count - 2) {
            XCTAssertNil(entries(String(decoding: Array(document.utf8)[..<end], as: UTF8.self)), "cut at \(end)")
        }
        XCTAssertEqual(entries(document)?.map { Array($0.key.unicodeScalars) }, [["a"], ["\u{FFFD}", "A"]])
        XCTAssertNil(entries(#"{"model": {"vocab": [1]}}"#))
        XCTAssertNil(entries(#"{"model": 3}"#))
        XCTAssertNil(entries(#"["model"]"#))
        XCTAssertNil(entries(#"{"model": {"vocab": {"a" 0}}}"#))
        XCTAssertNil(entries(#"{"model": {"vocab": {"\uZZZZ": 0}}}"#))
    }
}
