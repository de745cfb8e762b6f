import XCTest
import Foundation
import Models

final class TokenizerSpeedTests: XCTestCase {
    /// About 1 MB of the fixture's prose, code and documents. Release builds encode it in about 0.15 s (the
    /// goal is under 1 s); debug builds are some ten times slower.
    func testEncodesAMegabyteQuickly() throws {
        let t = try TokenizerFixtures.smolLM2.get()
        let sources = try TokenizerFixtures.cases.get().map(\.text).filter { $0.utf8.count > 40 }
        var text = ""
        var i = 0
        while text.utf8.count < 1 << 20 {
            text += sources[i % sources.count] + "\n"
            i += 1
        }
        let start = Date()
        let ids = t.encode(text)
        let seconds = Date().timeIntervalSince(start)
        print("encoded \(text.utf8.count) bytes into \(ids.count) tokens in \(seconds) s")
        #if DEBUG
        XCTAssertLessThan(seconds, 15)
        #else
        XCTAssertLessThan(seconds, 1)
        #endif
    }
}
