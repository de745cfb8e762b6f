import Foundation
import Core
import ReMask

/// An index on disk, a folder: `index.bin` (a JSON header, then the token arrays and the float16 vectors) and
/// `documents.jsonl` (the corpus text, for showing where a phrase came from). Loading checks every size and
/// range, so a truncated or hostile file is an error naming it, never a crash.
extension PhraseIndex {
    static let magic = Array("RMNPMIX1".utf8)

    struct Header: Codable {
        var count: Int
        var dim: Int
        var documents: Int
        var model: String
        var blockLength: Int
        var vocabSize: Int
    }

    public func save(to folder: URL, model: String, blockLength: Int, vocabSize: Int) throws {
        let header = try JSONEncoder().encode(Header(count: count, dim: dim, documents: documents.count, model: model,
                                                     blockLength: blockLength, vocabSize: vocabSize))
        var data = Data(Self.magic)
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(header)
        func append(_ values: [Int32]) { values.withUnsafeBytes { data.append(contentsOf: $0) } }
        append(tokenIDs); append(block); append(document)
        append(offsets.map { Int32($0.lowerBound) }); append(offsets.map { Int32($0.upperBound) })
        data.append(contentsOf: startsWord.map { $0 ? 1 : 0 } as [UInt8])
        data.append(contentsOf: [UInt8](repeating: 0, count: (4 - data.count % 4) % 4))
        let halves = (0..<(count * dim)).map { floatToHalf(vectors.pointer[$0]) }
        halves.withUnsafeBytes { data.append(contentsOf: $0) }
        try AtomicFile.write(data, to: folder.appendingPathComponent("index.bin"))
        var lines = ""
        for d in documents {
            let object: [String: Any] = ["text": d.text, "file": d.source.file, "line": d.source.line]
            lines += String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self) + "\n"
        }
        try AtomicFile.write(Data(lines.utf8), to: folder.appendingPathComponent("documents.jsonl"))
    }

    /// Reads an index folder, with the model folder and block length it was built with.
    public static func load(folder: URL) throws -> (index: PhraseIndex, model: String, blockLength: Int) {
        let path = folder.appendingPathComponent("index.bin").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file (build one with `remask npm index`)")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 12, Array(bytes[0..<8]) == magic else { throw FileError(path: path, "is not a remask NPM index (bad magic)") }
        let headerLength = Int(UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24)
        guard headerLength <= bytes.count - 12, let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[12..<12 + headerLength])) else {
            throw FileError(path: path, "has a damaged header")
        }
        let n = header.count, d = header.dim
        guard n >= 1, n < 1 << 31, d >= 1, d <= 65536, header.documents >= 1, header.vocabSize >= 1 else {
            throw FileError(path: path, "header sizes out of range (count \(n), dim \(d), documents \(header.documents))")
        }
        var at = 12 + headerLength
        let arrays = 5 * 4 * n + n
        let padded = at + arrays + (4 - (at + arrays) % 4) % 4
        guard bytes.count == padded + 2 * n * d else {
            throw FileError(path: path, "is \(bytes.count) bytes, its header says \(padded + 2 * n * d) (truncated or damaged)")
        }
        func ints() -> [Int32] {
            defer { at += 4 * n }
            return bytes.withUnsafeBytes { raw in (0..<n).map { raw.loadUnaligned(fromByteOffset: at + 4 * $0, as: Int32.self) } }
        }
        let ids = ints(), block = ints(), document = ints(), lower = ints(), upper = ints()
        let starts = bytes[at..<at + n].map { $0 != 0 }
        at = padded
        guard ids.allSatisfy({ $0 >= 0 && Int($0) < header.vocabSize }), document.allSatisfy({ $0 >= 0 && Int($0) < header.documents }),
              block.allSatisfy({ $0 >= 0 }), zip(lower, upper).allSatisfy({ $0 >= 0 && $0 <= $1 }) else {
            throw FileError(path: path, "holds token ids, documents or offsets out of range")
        }
        let vectors = Tensor(uninitialized: [n, d])
        bytes.withUnsafeBytes { raw in for i in 0..<(n * d) { vectors.pointer[i] = loadHalf(raw.baseAddress! + at, 2 * i) } }
        let documents = try readDocuments(folder.appendingPathComponent("documents.jsonl").path)
        guard documents.count == header.documents else {
            throw FileError(path: folder.appendingPathComponent("documents.jsonl").path, "has \(documents.count) documents, index.bin expects \(header.documents)")
        }
        for i in 0..<n where Int(upper[i]) > documents[Int(document[i])].text.unicodeScalars.count {
            throw FileError(path: path, "token \(i) points past the end of its document")
        }
        let index = PhraseIndex(vectors: vectors, tokenIDs: ids, startsWord: starts, block: block, document: document,
                                offsets: zip(lower, upper).map { Int($0)..<Int($1) }, documents: documents)
        return (index, header.model, header.blockLength)
    }

    /// `documents.jsonl`: each line the text and its source file and line.
    static func readDocuments(_ path: String) throws -> [CorpusDocument] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, "no such file") }
        return try JSONLReader.lines([UInt8](data)).map { number, line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let text = object["text"] as? String, let file = object["file"] as? String, let source = object["line"] as? Int else {
                throw FileError(SourceLocation(file: path, line: number), "not a document line (text, file, line)")
            }
            return CorpusDocument(text: text, source: SourceLocation(file: file, line: source))
        }
    }
}
