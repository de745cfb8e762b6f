import Foundation
import ReMask
import XCTest

final class InterruptSignalTests: XCTestCase {
    func testFirstSignalIsARequestTheLoopCanPoll() {
        InterruptSignal.install()
        defer { InterruptSignal.uninstall() }
        XCTAssertNil(InterruptSignal.requested)
        raise(SIGTERM)
        XCTAssertEqual(InterruptSignal.requested, SIGTERM)
        XCTAssertEqual(InterruptSignal.exitStatus(for: SIGINT), 130)
        InterruptSignal.uninstall()
        XCTAssertNil(InterruptSignal.requested)
    }
}
