import Foundation
import Evaluation
import ReMask

/// The study's benchmark on disk (`benchmark/` in the study folder) and its evaluation items.
///
/// Generative items ask for a worked solution in the training format (`<|user|>…<|rationale|>`; see
/// `AnswerScorer`). Multiple-choice items score each offered answer as the continuation of
/// `<|user|>…<|answer|>` with no rationale, acc_norm dividing by the answer's length in bytes: like ARC, a
/// log-likelihood measure of the same problems.
public struct StudyBenchmark {
    public let spec: BenchmarkSpec
    public let problems: ArithmeticBenchmark
    public let multipleChoice: [ArithmeticMultipleChoice]
    public let folder: URL

    public var trainURL: URL { folder.appendingPathComponent("train.jsonl") }
    public var validationURL: URL { folder.appendingPathComponent("val.jsonl") }
    public var testURL: URL { folder.appendingPathComponent("test.jsonl") }
    public var multipleChoiceURL: URL { folder.appendingPathComponent("test-mc.jsonl") }

    /// Generates the splits from `spec` and writes them into `folder` (each file atomically; rewriting an
    /// existing folder gives the same bytes).
    public init(_ spec: BenchmarkSpec, folder: URL) throws {
        self.spec = spec
        self.folder = folder
        problems = ArithmeticBenchmark.splits(seed: spec.seed, train: spec.train, validation: spec.validation,
                                              test: spec.test, steps: spec.steps)
        multipleChoice = ArithmeticBenchmark.multipleChoice(problems.test, seed: spec.seed &+ 1, choices: spec.choices)
        try OutputDirectory.prepare(folder)
        let files: [(URL, String)] = [
            (trainURL, ArithmeticBenchmark.jsonLines(problems.train, idPrefix: "train")),
            (validationURL, ArithmeticBenchmark.jsonLines(problems.validation, idPrefix: "val")),
            (testURL, ArithmeticBenchmark.jsonLines(problems.test, idPrefix: "test")),
            (multipleChoiceURL, ArithmeticBenchmark.jsonLines(multipleChoice)),
        ]
        for (url, text) in files { try AtomicFile.write(Data(text.utf8), to: url) }
    }

    /// The training split's texts as the model sees them, for learning a scratch model's tokenizer.
    public var trainingTexts: [String] {
        problems.train.map { "\($0.prompt)\n\($0.rationale)\n\($0.answer)" }
    }

    /// Generative items for `problems`, with ids `<prefix>-0001`, …; generation stops at the end of a line
    /// (the rationale is one line, and so is the answer).
    public static func generativeItems(_ problems: [ArithmeticProblem], idPrefix: String) -> [GenerativeItem] {
        problems.enumerated().map { index, problem in
            GenerativeItem(id: String(format: "%@-%04d", idPrefix, index + 1), fewShot: "",
                           query: PromptFormat.seedPrompt(problem.prompt, chainOfThought: true),
                           answer: problem.answer, stopStrings: ["\n", PromptFormat.userTag])
        }
    }

    /// The test split's multiple-choice items.
    public var multipleChoiceItems: [MultipleChoiceItem] {
        multipleChoice.enumerated().map { index, question in
            MultipleChoiceItem(id: String(format: "test-%04d", index + 1), fewShot: "",
                               query: "\(PromptFormat.userTag)\n\(question.question)\n\(PromptFormat.answerTag)\n",
                               continuations: question.choices, normLengths: question.choices.map(\.utf8.count),
                               gold: question.label)
        }
    }
}
