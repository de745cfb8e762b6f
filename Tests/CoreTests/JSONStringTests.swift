import Foundation
import XCTest
import Core

/// The one JSON quoter: every string reads back unchanged through Foundation's JSON parser, and the escapes
/// are Python's (`json.dumps(..., ensure_ascii=False)`).
final class JSONStringTests: XCTestCase {
    func testQuotedStringsReadBackAndEscapeAsPythonDoes() throws {
        var rng = SeededRandom(seed: 11)
        let pool = Array("ab \"\\\n\r\t\u{08}\u{0C}\u{01}\u{1F}é中😀/'")
        for _ in 0..<200 {
            let text = String((0..<rng.nextInt(below: 20)).map { _ in pool[rng.nextInt(below: pool.count)] })
            let quoted = JSONString.quote(text)
            let back = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String]
            XCTAssertEqual(back, [text], quoted)
        }
        XCTAssertEqual(JSONString.quote("a\"b\\c\nd\u{08}\u{0C}\u{01}é/"), #""a\"b\\c\nd\b\f\u0001é/""#)
    }
}
