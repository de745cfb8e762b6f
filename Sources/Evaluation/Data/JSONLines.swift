import Foundation
import ReMask
import Core

/// One JSON object of a JSONL file, with the line it came from (for error messages).
struct JSONLine {
    let object: [String: Any]
    let location: SourceLocation

    func string(_ key: String) throws(FileError) -> String {
        guard let v = object[key] else { throw FileError(location, "missing field \"\(key)\"") }
        guard let s = v as? String else { throw FileError(location, "field \"\(key)\" is not a string") }
        return s
    }

    func int(_ key: String) throws(FileError) -> Int {
        guard let v = object[key] else { throw FileError(location, "missing field \"\(key)\"") }
        guard let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded() else {
            throw FileError(location, "field \"\(key)\" is not an integer")
        }
        return n.intValue
    }

    func strings(_ key: String) throws(FileError) -> [String] {
        guard let v = object[key] else { throw FileError(location, "missing field \"\(key)\"") }
        guard let a = v as? [Any], let s = a as? [String] else { throw FileError(location, "field \"\(key)\" is not a list of strings") }
        return s
    }

    func object(_ key: String) throws(FileError) -> JSONLine {
        guard let v = object[key] else { throw FileError(location, "missing field \"\(key)\"") }
        guard let o = v as? [String: Any] else { throw FileError(location, "field \"\(key)\" is not an object") }
        return JSONLine(object: o, location: location)
    }

    /// An id field as text, whether the file stores it as a string or a number.
    func idText(_ key: String) throws(FileError) -> String {
        switch object[key] {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        case nil: throw FileError(location, "missing field \"\(key)\"")
        default: throw FileError(location, "field \"\(key)\" is neither a string nor a number")
        }
    }
}

/// Reads JSONL files, plain or gzip-compressed (`.gz`, decompressed with the system's `gzip`).
enum JSONLines {
    static func read(_ path: String) throws(FileError) -> [JSONLine] {
        var lines: [JSONLine] = []
        for (number, line) in JSONLReader.lines(try contents(path)) {
            let location = SourceLocation(file: path, line: number)
            let parsed: Any
            do {
                parsed = try JSONSerialization.jsonObject(with: Data(line))
            } catch {
                throw FileError(location, "not valid JSON")
            }
            guard let object = parsed as? [String: Any] else { throw FileError(location, "not a JSON object") }
            lines.append(JSONLine(object: object, location: location))
        }
        if lines.isEmpty { throw FileError(path: path, "no records") }
        return lines
    }

    static func contents(_ path: String) throws(FileError) -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw FileError(path: path, "no such file") }
        guard path.hasSuffix(".gz") else {
            guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, "cannot read the file") }
            var bytes = [UInt8](data)
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
            return bytes
        }
        return try gunzip(path)
    }

    private static func gunzip(_ path: String) throws(FileError) -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", "--", path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { throw FileError(path: path, "cannot run gzip to decompress it: \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let why = message.split(separator: "\n").first.map { ": " + String($0) } ?? ""
            throw FileError(path: path, "not a readable gzip file (gzip exited with \(process.terminationStatus)\(why))")
        }
        return [UInt8](data)
    }
}
