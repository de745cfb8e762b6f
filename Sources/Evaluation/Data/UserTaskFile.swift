import Foundation
import ReMask
import Core

/// A user's own evaluation file (`--task jsonl --data FILE`): one JSON object per line, each either
/// - generative: `{"prompt": "...", "answer": "...", "stop": ["\n\n"]}` (`stop` optional; default a blank
///   line), scored by exact match after normalization and, for numeric answers, by the last number; or
/// - multiple choice: `{"prompt": "...", "choices": ["...", ...], "gold": 0}`, each choice appended to the
///   prompt as written (give it a leading space if the prompt ends without one), scored by acc and acc_norm.
/// An optional `"id"` names the item in the log (default: its line number). All lines must be of one kind.
public enum UserTaskFile {
    public enum Items {
        case generative([GenerativeItem])
        case multipleChoice([MultipleChoiceItem])
    }

    public static func read(_ path: String) throws(FileError) -> Items {
        let lines = try JSONLines.read(path)
        let multipleChoice = lines[0].object["choices"] != nil
        var generative: [GenerativeItem] = [], choices: [MultipleChoiceItem] = []
        for line in lines {
            let id = line.object["id"] == nil ? "line \(line.location.line)" : try line.idText("id")
            let prompt = try line.string("prompt")
            guard (line.object["choices"] != nil) == multipleChoice else {
                throw FileError(line.location, "mixes multiple-choice and generative items; the first line is \(multipleChoice ? "multiple choice" : "generative")")
            }
            if multipleChoice {
                let options = try line.strings("choices"), gold = try line.int("gold")
                guard options.count >= 2 else { throw FileError(line.location, "\"choices\" needs at least two entries") }
                guard options.indices.contains(gold) else { throw FileError(line.location, "\"gold\" \(gold) is not an index into \"choices\"") }
                guard !options.contains(where: \.isEmpty) else { throw FileError(line.location, "a choice is empty") }
                choices.append(MultipleChoiceItem(id: id, fewShot: "", query: prompt, continuations: options,
                                                  normLengths: options.map { $0.drop(while: \.isWhitespace).unicodeScalars.count }, gold: gold))
            } else {
                let stops = line.object["stop"] == nil ? ["\n\n"] : try line.strings("stop")
                guard !prompt.isEmpty else { throw FileError(line.location, "\"prompt\" is empty") }
                generative.append(GenerativeItem(id: id, fewShot: "", query: prompt, answer: try line.string("answer"),
                                                 stopStrings: stops.filter { !$0.isEmpty }))
            }
        }
        return multipleChoice ? .multipleChoice(choices) : .generative(generative)
    }

    /// Documents for perplexity: a `.jsonl` file's `"text"` fields, or a whole text file as one document.
    public static func documents(_ path: String) throws(FileError) -> [(id: String, text: String)] {
        if path.hasSuffix(".jsonl") || path.hasSuffix(".jsonl.gz") {
            return try JSONLines.read(path).map { line throws(FileError) in
                (line.object["id"] == nil ? "line \(line.location.line)" : try line.idText("id"), try line.string("text"))
            }
        }
        let bytes = try JSONLines.contents(path)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw FileError(path: path, "not UTF-8 text") }
        guard !text.isEmpty else { throw FileError(path: path, "the file is empty") }
        return [((path as NSString).lastPathComponent, text)]
    }
}
