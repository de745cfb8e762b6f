import Foundation
import XCTest
@testable import ReMask

/// Claims between processes: a held lock refuses a second claim (flock locks belong to the open file, so two
/// opens in one process conflict as two processes do) until it is released.
final class FileLockTests: XCTestCase {
    func testASecondClaimWaitsForTheFirstToRelease() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remask-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("cell.lock")
        let first = try XCTUnwrap(FileLock.tryLock(url))
        XCTAssertNil(try FileLock.tryLock(url))
        first.unlock()
        let second = try XCTUnwrap(FileLock.tryLock(url))
        second.unlock()
        XCTAssertNotNil(try FileLock.lock(url))

        XCTAssertThrowsError(try FileLock.tryLock(folder.appendingPathComponent("missing/cell.lock"))) { error in
            XCTAssertTrue("\(error)".contains("missing/cell.lock"), "\(error)")
        }
    }
}
