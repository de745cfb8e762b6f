import Foundation
import ReMask
import Core
import XCTest
import TestSupport

final class OutputDirectoryTests: XCTestCase {
    func testCreatesNestedFoldersAndLeavesNoProbe() throws {
        let base = try makeScratchFolder()
        let out = base.appendingPathComponent("runs/a/b")
        try OutputDirectory.prepare(out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])
        try OutputDirectory.prepare(out)  // an existing folder is fine
    }

    /// Permissions do not stop root, so these use regular files where folders should be.
    func testUnusablePathsNameThePathAndProblem() throws {
        let base = try makeScratchFolder()
        let file = base.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        XCTAssertThrowsError(try OutputDirectory.prepare(file)) {
            XCTAssertEqual("\($0)", "\(file.path): is a file, not a folder")
        }
        let under = file.appendingPathComponent("run")
        XCTAssertThrowsError(try OutputDirectory.prepare(under)) {
            XCTAssertEqual("\($0)", "\(under.path): cannot create the output folder: \(file.path) is a file, not a folder")
        }
    }

    func testAtomicWriteReplacesWholeFilesAndLeavesNoTemporaries() throws {
        let base = try makeScratchFolder()
        let url = base.appendingPathComponent("state.json")
        try AtomicFile.write(Data("one".utf8), to: url)
        try AtomicFile.write(Data("two".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "two")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base.path), ["state.json"])

        let missing = base.appendingPathComponent("no/such/state.json")
        XCTAssertThrowsError(try AtomicFile.write(Data(), to: missing)) {
            XCTAssertTrue("\($0)".hasPrefix("\(missing.path): cannot create temporary file"), "\($0)")
        }
    }
}
