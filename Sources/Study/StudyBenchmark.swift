import Foundation
import Evaluation
import ReMask
import Core

/// The study's benchmark on disk (`benchmark/` in the study folder): `test.jsonl`, `val.jsonl`, `base.jsonl` and
/// `base-val.jsonl` (stage 0: training pool and held-out problems), one training file per regime (`train-<regime>.jsonl`, the first problems of the pool) and
/// `test-mc.jsonl`. Rewriting an existing folder gives the same bytes.
public struct StudyBenchmark {
    public let spec: ChainBenchmarkSpec
    public let problems: ChainBenchmark
    public let multipleChoice: [ChainMultipleChoice]
    public let folder: URL

    public var validationURL: URL { folder.appendingPathComponent("val.jsonl") }
    public var baseURL: URL { folder.appendingPathComponent("base.jsonl") }
    public var baseValidationURL: URL { folder.appendingPathComponent("base-val.jsonl") }
    public func trainURL(_ regime: StudyConfig.Regime) -> URL { folder.appendingPathComponent("train-\(regime.name).jsonl") }

    public init(_ spec: ChainBenchmarkSpec, regimes: [StudyConfig.Regime], folder: URL) throws {
        self.spec = spec
        self.folder = folder
        problems = ChainBenchmark.splits(seed: spec.seed, test: spec.test, validation: spec.validation, train: spec.train,
                                         steps: spec.steps, base: spec.base, baseValidation: spec.base > 0 ? spec.baseValidation : 0,
                                         baseSteps: spec.baseSteps)
        multipleChoice = ChainBenchmark.multipleChoice(problems.test, seed: spec.seed &+ 1, choices: spec.choices)
        try OutputDirectory.prepare(folder)
        var files: [(URL, String)] = [
            (folder.appendingPathComponent("test.jsonl"), ChainBenchmark.jsonLines(problems.test, idPrefix: "test")),
            (validationURL, ChainBenchmark.jsonLines(problems.validation, idPrefix: "val")),
            (folder.appendingPathComponent("test-mc.jsonl"), ChainBenchmark.jsonLines(multipleChoice)),
        ]
        if spec.base > 0 {
            files.append((baseURL, ChainBenchmark.jsonLines(problems.base, idPrefix: "base")))
            files.append((baseValidationURL, ChainBenchmark.jsonLines(problems.baseValidation, idPrefix: "base-val")))
        }
        for regime in regimes {
            files.append((trainURL(regime), ChainBenchmark.jsonLines(Array(problems.train.prefix(regime.problems)), idPrefix: "train")))
        }
        for (url, text) in files where (try? String(contentsOf: url, encoding: .utf8)) != text {
            try AtomicFile.write(Data(text.utf8), to: url)
        }
    }

    /// The base problems' texts as the model sees them, for learning a scratch model's tokenizer.
    public var baseTexts: [String] {
        problems.base.map { "\($0.prompt)\n\($0.rationale)\n\($0.answer)" }
    }

    /// The test split's multiple-choice items: each choice scored as the continuation of
    /// `<|user|>…<|answer|>` with no rationale, acc_norm dividing by its length in characters (choices share
    /// their digit count, so acc and acc_norm rank alike).
    public var multipleChoiceItems: [MultipleChoiceItem] {
        multipleChoice.enumerated().map { index, question in
            MultipleChoiceItem(id: "test-" + chainID(index + 1), fewShot: "",
                               query: "\(PromptFormat.userTag)\n\(question.question)\n\(PromptFormat.answerTag)\n",
                               continuations: question.choices, normLengths: question.choices.map(\.unicodeScalars.count),
                               gold: question.label)
        }
    }
}
