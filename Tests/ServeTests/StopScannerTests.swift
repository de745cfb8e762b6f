import XCTest
@testable import Serve

/// Stop strings end the text where they begin, and text that may start one is held back until it is known.
final class StopScannerTests: XCTestCase {
    func testHoldsBackPossibleStartsAndCutsAtTheStop() {
        var scanner = StopScanner(["END", "\n\n"])
        XCTAssertEqual(scanner.add("Hello E").text, "Hello ", "'E' may start END")
        XCTAssertEqual(scanner.add("N").text, "")
        XCTAssertEqual(scanner.add("ough").text, "ENough", "not END after all")
        let last = scanner.add(" said.\nEN")
        XCTAssertEqual(last.text, " said.\n")
        XCTAssertFalse(last.stopped)
        let stop = scanner.add("D and more")
        XCTAssertTrue(stop.stopped)
        XCTAssertEqual(stop.text, "", "nothing of END is shown")
        var earliest = StopScanner(["END", "\n\n"])
        XCTAssertEqual(earliest.add("a\n\nb END").text, "a", "the earliest stop wins")
    }

    func testStopInsideOnePieceAndFlush() {
        var scanner = StopScanner(["stop"])
        XCTAssertEqual(scanner.add("a").text, "a")
        let hit = scanner.add("bc stop here")
        XCTAssertEqual(hit.text, "bc ")
        XCTAssertTrue(hit.stopped)
        var other = StopScanner(["xyz"])
        XCTAssertEqual(other.add("éx").text, "é")
        XCTAssertEqual(other.flush(), "x", "held text comes out when generation ends otherwise")
        var none = StopScanner([""])
        XCTAssertEqual(none.add("anything").text, "anything", "empty stop strings are ignored")
    }
}
