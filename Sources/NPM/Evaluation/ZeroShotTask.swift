import Foundation
import Core
import ReMask

/// One zero-shot example: a closed-set choice among verbalizer phrases, or a cloze whose answer is free text
/// (with, optionally, its own reference text to retrieve from).
public enum ZeroShotExample: Sendable, Equatable {
    case classification(input: String, label: Int, options: [String])
    case cloze(input: String, answers: [String], context: String?)
}

/// A task file as `scripts/fetch-npm-data.sh` writes them: one JSON object a line with `input` (the text with
/// its `[MASK]`) and either `label` and `labels` (classification) or `answers` (cloze, with an optional
/// `context`).
public struct ZeroShotTask: Sendable {
    public var name: String
    public var examples: [ZeroShotExample]

    public static func read(_ path: String, limit: Int? = nil) throws -> ZeroShotTask {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, "no such file (fetch the tasks with `bash scripts/fetch-npm-data.sh`)") }
        var examples: [ZeroShotExample] = []
        for (number, line) in JSONLReader.lines([UInt8](data)) {
            if let limit, examples.count >= limit { break }
            let location = SourceLocation(file: path, line: number)
            guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { throw FileError(location, "not a JSON object") }
            guard let input = o["input"] as? String, input.contains("[MASK]") else { throw FileError(location, "no \"input\" with a [MASK]") }
            if let options = o["labels"] as? [String] {
                guard let label = o["label"] as? Int, options.indices.contains(label) else { throw FileError(location, "\"label\" is not an index into \"labels\"") }
                examples.append(.classification(input: input, label: label, options: options))
            } else if let answers = o["answers"] as? [String], !answers.isEmpty {
                examples.append(.cloze(input: input, answers: answers, context: o["context"] as? String))
            } else {
                throw FileError(location, "neither \"labels\" and \"label\" nor \"answers\"")
            }
        }
        guard !examples.isEmpty else { throw FileError(path: path, "holds no examples") }
        return ZeroShotTask(name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, examples: examples)
    }
}

/// A task's score for one method. Cloze tasks also split by whether the answer is one vocabulary token.
public struct ZeroShotResult: Codable, Sendable, Equatable {
    public var task: String
    public var method: String
    public var examples: Int
    public var correct: Int
    public var singleTokenExamples: Int?
    public var singleTokenCorrect: Int?
    public var seconds: Double
    public var accuracy: Double { examples > 0 ? Double(correct) / Double(examples) : 0 }
}

/// SQuAD's answer normalization: lower case, no punctuation, no articles, single spaces.
public func normalizedAnswer(_ s: String) -> String {
    let lowered = s.lowercased().unicodeScalars.map { CharacterSet.punctuationCharacters.contains($0) || CharacterSet.symbols.contains($0) ? " " : Character($0) }
    return String(lowered).split(separator: " ").filter { !["a", "an", "the"].contains($0) }.joined(separator: " ")
}
