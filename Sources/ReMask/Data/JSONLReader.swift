import Foundation
import Models
import Core

/// Examples read from a JSONL file, and what was skipped.
public struct DataFile: Sendable {
    public var examples: [TrainingExample]
    /// Lines skipped as malformed (only with `skipBadLines`).
    public var skippedLines: Int
    /// The first few skipped lines' errors.
    public var skipped: [FileError]
}

/// Reads training data: one JSON object per line, each a chat (`messages`), chain-of-thought
/// (`prompt`, `rationale`, `answer`) or completion (`prompt`, `completion`) record, detected per line.
/// Blank lines are ignored. A malformed line is a `FileError` naming the file, the line and the reason,
/// or, with `skipBadLines`, is counted and skipped.
public enum JSONLReader {
    /// How many skipped lines' errors a `DataFile` keeps.
    public static let keptErrors = 5

    public static func read(_ path: String, skipBadLines: Bool = false) throws(FileError) -> DataFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        return try parse(data, file: path, skipBadLines: skipBadLines)
    }

    /// Parses JSONL bytes; `file` names them in errors.
    public static func parse(_ data: Data, file: String, skipBadLines: Bool = false) throws(FileError) -> DataFile {
        var out = DataFile(examples: [], skippedLines: 0, skipped: [])
        for (lineNumber, line) in lines([UInt8](data)) {
            let location = SourceLocation(file: file, line: lineNumber)
            do {
                out.examples.append(TrainingExample(try parseRecord(Data(line)), source: location))
            } catch {
                let e = FileError(location, error.reason)
                guard skipBadLines else { throw e }
                out.skippedLines += 1
                if out.skipped.count < keptErrors { out.skipped.append(e) }
            }
        }
        if out.examples.isEmpty {
            let first = out.skipped.first.map { "; the first: \($0)" } ?? ""
            throw FileError(path: file, out.skippedLines > 0 ? "no examples (\(out.skippedLines) bad lines skipped\(first))" : "no examples")
        }
        return out
    }

    /// The lines of JSONL bytes that are not blank, with their 1-based numbers; a UTF-8 byte-order mark and
    /// CR line endings are removed.
    public static func lines(_ bytes: [UInt8]) -> [(number: Int, bytes: ArraySlice<UInt8>)] {
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        var out: [(number: Int, bytes: ArraySlice<UInt8>)] = []
        for (i, var line) in body.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            if line.last == 0x0D { line = line.dropLast() }
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { out.append((i + 1, line)) }
        }
        return out
    }

    /// Why a line is not a record.
    struct LineError: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    static func parseRecord(_ line: Data) throws(LineError) -> TrainingExample.Kind {
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: line) } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw LineError("invalid JSON" + (detail.map { " (\($0))" } ?? ""))
        }
        guard let record = value as? [String: Any] else { throw LineError("expected a JSON object, got \(typeName(value))") }
        if record["messages"] != nil { return .chat(try messages(record["messages"])) }
        if record["rationale"] != nil || record["answer"] != nil {
            let prompt = try string(record, "prompt")
            let rationale = try string(record, "rationale", response: true)
            let answer = try string(record, "answer", response: true)
            return .chainOfThought(prompt: prompt, rationale: rationale, answer: answer)
        }
        if record["completion"] != nil {
            return .completion(prompt: try string(record, "prompt"), completion: try string(record, "completion", response: true))
        }
        if record["prompt"] != nil { throw LineError("missing field \"completion\" (or \"rationale\" and \"answer\")") }
        throw LineError("unknown record: expected \"messages\", \"prompt\" and \"completion\", or \"prompt\", \"rationale\" and \"answer\"")
    }

    private static func messages(_ value: Any?) throws(LineError) -> [ChatMessage] {
        guard let list = value as? [Any] else { throw LineError("field \"messages\" must be an array, got \(typeName(value))") }
        guard !list.isEmpty else { throw LineError("field \"messages\" is empty") }
        var out: [ChatMessage] = []
        for (i, item) in list.enumerated() {
            let field = "messages[\(i)]"
            guard let m = item as? [String: Any] else { throw LineError("field \"\(field)\" must be an object, got \(typeName(item))") }
            let role = try string(m, "role", path: field + ".")
            guard TrainingExample.chatRoles.contains(role) else {
                throw LineError("\(field): unknown role \"\(role)\" (expected system, user or assistant)")
            }
            let content = try string(m, "content", path: field + ".")
            if role == "assistant" && isBlank(content) { throw LineError("\(field): empty assistant response") }
            out.append(ChatMessage(role: role, content: content))
        }
        guard let last = out.last, last.role == "assistant" else {
            throw LineError("the conversation ends with a \"\(out.last?.role ?? "")\" message; the last must be the assistant's")
        }
        return out
    }

    private static func string(_ object: [String: Any], _ key: String, path: String = "",
                               response: Bool = false) throws(LineError) -> String {
        guard let value = object[key] else { throw LineError("missing field \"\(path)\(key)\"") }
        guard let s = value as? String else { throw LineError("field \"\(path)\(key)\" must be a string, got \(typeName(value))") }
        if response && isBlank(s) { throw LineError("empty response: field \"\(path)\(key)\" is blank") }
        return s
    }

    private static func isBlank(_ s: String) -> Bool { s.allSatisfy(\.isWhitespace) }

    private static func typeName(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: "null"
        case is String: "a string"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case let n as NSNumber: String(cString: n.objCType) == "c" ? "a boolean" : "a number"
        default: "\(type(of: value!))"
        }
    }
}
