import Foundation
import Core
import Models

/// The sample data bundled in `data/sample`: chain-of-thought arithmetic problems from
/// `ArithmeticProblemGenerator` and the hand-written chat set, each with a held-out split, plus the two
/// mixed and shuffled together. Everything follows from the seed, so the files are reproducible byte for byte.
public enum SampleData {
    /// The seed the committed files were written with.
    public static let seed: UInt64 = 2024
    /// Short problems (2 or 3 steps, about 115 SmolLM2 tokens on average) keep a CPU fine-tune quick.
    public static let steps: ClosedRange<Int> = 2...3
    public static let cotTrainCount = 400
    public static let cotValidationCount = 50
    /// Conversations held out of the chat set for validation; the rest are for training.
    public static let chatValidationCount = 20

    /// The files' names and contents, in writing order: `cot-train.jsonl`, `cot-val.jsonl` (CoT records
    /// `{"id","prompt","rationale","answer"}`), `chat-train.jsonl`, `chat-val.jsonl` (`{"messages":[…]}`),
    /// `train.jsonl` and `val.jsonl` (the CoT and chat records of each split, shuffled together).
    public static func files(seed: UInt64 = seed) -> [(name: String, contents: String)] {
        let cot = ArithmeticBenchmark.splits(seed: seed, train: cotTrainCount, validation: cotValidationCount,
                                             test: 0, steps: steps)
        let cotTrain = ArithmeticBenchmark.records(cot.train, idPrefix: "cot-train")
        let cotValidation = ArithmeticBenchmark.records(cot.validation, idPrefix: "cot-val")

        var random = SeededRandom(seed: seed)
        let chat = random.shuffled(SampleChat.conversations).map(record)
        let chatValidation = Array(chat.prefix(chatValidationCount))
        let chatTrain = Array(chat.dropFirst(chatValidationCount))

        return [
            ("cot-train.jsonl", SyntheticJSON.lines(cotTrain)),
            ("cot-val.jsonl", SyntheticJSON.lines(cotValidation)),
            ("chat-train.jsonl", SyntheticJSON.lines(chatTrain)),
            ("chat-val.jsonl", SyntheticJSON.lines(chatValidation)),
            ("train.jsonl", SyntheticJSON.lines(random.shuffled(cotTrain + chatTrain))),
            ("val.jsonl", SyntheticJSON.lines(random.shuffled(cotValidation + chatValidation))),
        ]
    }

    /// Writes `files(seed:)` into `directory`, creating it if needed.
    public static func write(to directory: URL, seed: UInt64 = seed) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in files(seed: seed) {
            try Data(file.contents.utf8).write(to: directory.appendingPathComponent(file.name))
        }
    }

    private static func record(_ conversation: [ChatMessage]) -> SyntheticJSON.Value {
        .object([("messages", .array(conversation.map { message in
            .object([("role", .string(message.role)), ("content", .string(message.content))])
        }))])
    }
}
