import Foundation
import Core

/// Prompts for batch generation (`remask generate --prompts-file`).
public enum PromptsFile {
    /// The prompts of a JSONL file: `{"prompt": "..."}` per non-blank line.
    public static func read(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, "cannot read the file") }
        var prompts: [String] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw FileError(path: path, line: number + 1, "not a JSON object")
            }
            guard let prompt = object["prompt"] as? String, !prompt.isEmpty else {
                throw FileError(path: path, line: number + 1, "needs a non-empty string \"prompt\"")
            }
            prompts.append(prompt)
        }
        if prompts.isEmpty { throw FileError(path: path, "holds no prompts") }
        return prompts
    }
}
