import Foundation
import Core
import ReMask

/// One document of a corpus and where it came from.
public struct CorpusDocument: Sendable, Equatable {
    public var text: String
    public var source: SourceLocation
    public init(text: String, source: SourceLocation) { self.text = text; self.source = source }
}

/// Reads a text corpus: a `.jsonl` file (one JSON object a line, its text in `field`), or any other file as plain
/// UTF-8 text whose paragraphs (separated by blank lines) are the documents.
public enum TextCorpus {
    public static func read(_ path: String, field: String = "text") throws -> [CorpusDocument] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        let documents = path.hasSuffix(".jsonl") ? try jsonLines(data, path: path, field: field) : try paragraphs(data, path: path)
        guard !documents.isEmpty else { throw FileError(path: path, "holds no text") }
        return documents
    }

    static func jsonLines(_ data: Data, path: String, field: String) throws -> [CorpusDocument] {
        try JSONLReader.lines([UInt8](data)).map { number, bytes in
            let location = SourceLocation(file: path, line: number)
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw FileError(location, "not a JSON object")
            }
            guard let text = object[field] as? String else {
                throw FileError(location, object[field] == nil ? "no \"\(field)\" field" : "\"\(field)\" is not a string")
            }
            return CorpusDocument(text: text, source: location)
        }
    }

    static func paragraphs(_ data: Data, path: String) throws -> [CorpusDocument] {
        guard let text = String(data: data, encoding: .utf8) else { throw FileError(path: path, "is not UTF-8 text") }
        var documents: [CorpusDocument] = [], current: [Substring] = [], firstLine = 0
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) {
                if !current.isEmpty {
                    documents.append(CorpusDocument(text: current.joined(separator: "\n"), source: SourceLocation(file: path, line: firstLine)))
                }
                current = []
            } else {
                if current.isEmpty { firstLine = i + 1 }
                current.append(line)
            }
        }
        if !current.isEmpty {
            documents.append(CorpusDocument(text: current.joined(separator: "\n"), source: SourceLocation(file: path, line: firstLine)))
        }
        return documents
    }
}
