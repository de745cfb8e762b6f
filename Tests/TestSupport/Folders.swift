import Foundation
import XCTest

/// The repository's committed test fixtures.
public let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The repository's root folder.
public let repositoryRoot = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()

extension XCTestCase {
    /// A new empty folder under the system's temporary folder, removed when the test ends.
    public func makeScratchFolder() throws -> URL {
        let folder = scratchURL()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A fresh path under the system's temporary folder that does not exist yet, removed (with whatever the
    /// test put there) when the test ends.
    public func scratchURL() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("remask-test-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
