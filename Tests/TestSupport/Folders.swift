import Foundation
import XCTest

/// The repository's committed test fixtures.
public let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The repository's root folder.
public let repositoryRoot = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()

extension XCTestCase {
    /// all-MiniLM-L6-v2 as `bash scripts/fetch-model.sh minilm` leaves it in remask's cache, or a skip.
    public func miniLMFolder() throws -> String {
        let cache = ProcessInfo.processInfo.environment["REMASK_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/remask")
        let folder = cache.appendingPathComponent("models/all-MiniLM-L6-v2")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path),
                          "all-MiniLM-L6-v2 is not downloaded (bash scripts/fetch-model.sh minilm)")
        return folder.path
    }

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
