import Foundation
import XCTest

/// What a finished process left: its exit status and everything it wrote.
public struct ProcessOutput: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// The tests' one way to run a program. Standard output and error go to files, not pipes: a pipe read after the
/// other one deadlocks once the unread one fills (64 KiB), and a long run writes more than that.
public enum Subprocess {
    /// Starts `executable` with `arguments`; the returned function waits for it and gives its output.
    public static func start(_ executable: URL, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                             directory: URL? = nil) throws -> () throws -> ProcessOutput {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remask-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let outURL = folder.appendingPathComponent("stdout"), errURL = folder.appendingPathComponent("stderr")
        for url in [outURL, errURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        return {
            process.waitUntilExit()
            defer { try? FileManager.default.removeItem(at: folder) }
            return ProcessOutput(status: process.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8),
                                 stderr: try String(contentsOf: errURL, encoding: .utf8))
        }
    }

    /// Runs `executable` with `arguments` to the end.
    public static func run(_ executable: URL, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                           directory: URL? = nil) throws -> ProcessOutput {
        try start(executable, arguments, stdin: stdin, environment: environment, directory: directory)()
    }

    /// The `remask` executable built beside the test bundle; skips the test where it was not built.
    public static func remask() throws -> URL {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("remask")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "remask not built beside the tests")
        return binary
    }
}

/// Open MPI's launcher, for the tests of data-parallel runs.
public enum MPIRun {
    /// `mpirun`, or a skip where Open MPI is not installed.
    public static func executable() throws -> URL {
        let found = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let found else { throw XCTSkip("mpirun not installed (Debian: openmpi-bin; bash scripts/setup.sh)") }
        return URL(fileURLWithPath: found)
    }

    /// mpirun refuses to start as root unless told.
    public static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]
    /// More ranks than cores allowed, none pinned to a core.
    public static let options = ["--oversubscribe", "--bind-to", "none"]

    /// Starts `mpirun -np <ranks> remask <arguments>`; the returned function waits for it and gives its output.
    public static func start(ranks: Int, _ arguments: [String], options extra: [String] = [], directory: URL? = nil) throws -> () throws -> ProcessOutput {
        try Subprocess.start(executable(), options + extra + ["-np", String(ranks), try Subprocess.remask().path] + arguments,
                             environment: environment, directory: directory)
    }
}
