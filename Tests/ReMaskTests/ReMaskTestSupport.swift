import Foundation

/// Folder of committed test fixtures.
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

import XCTest

extension XCTestCase {
    /// A new empty folder under the system's temporary folder, removed when the test ends.
    func makeScratchFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remask-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }
}

/// The repository's root folder.
let repositoryRoot = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
