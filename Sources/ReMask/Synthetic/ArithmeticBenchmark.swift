import Core

/// A synthetic chain-of-thought benchmark: disjoint train, validation and test splits of arithmetic word
/// problems from one seed, and their multiple-choice variants.
public struct ArithmeticBenchmark: Sendable {
    public let train: [ArithmeticProblem]
    public let validation: [ArithmeticProblem]
    public let test: [ArithmeticProblem]

    /// Draws problems from `ArithmeticProblemGenerator(seed:steps:)`, dropping any prompt already drawn, and
    /// fills the test split first, then validation, then train: a larger training split leaves the
    /// evaluation splits unchanged.
    public static func splits(seed: UInt64, train: Int, validation: Int, test: Int,
                              steps: ClosedRange<Int> = 2...6) -> ArithmeticBenchmark {
        var generator = ArithmeticProblemGenerator(seed: seed, steps: steps)
        var seen: Set<String> = []
        func draw(_ count: Int) -> [ArithmeticProblem] {
            var problems: [ArithmeticProblem] = []
            while problems.count < count {
                let problem = generator.next()
                if seen.insert(problem.prompt).inserted { problems.append(problem) }
            }
            return problems
        }
        let testSplit = draw(test), validationSplit = draw(validation)
        return ArithmeticBenchmark(train: draw(train), validation: validationSplit, test: testSplit)
    }

    /// `problems` as multiple-choice questions with `choices` answers each, distractors and order drawn
    /// from `seed`.
    public static func multipleChoice(_ problems: [ArithmeticProblem], seed: UInt64,
                                      choices: Int = 4) -> [ArithmeticMultipleChoice] {
        check((2...4).contains(choices), "ArithmeticBenchmark.multipleChoice: choices must be 2...4, got \(choices)")
        var random = SeededRandom(seed: seed)
        return problems.map { ArithmeticMultipleChoice($0, count: choices, random: &random) }
    }

    /// `problems` as CoT JSONL, with ids `<prefix>-0001`, `<prefix>-0002`, ….
    public static func jsonLines(_ problems: [ArithmeticProblem], idPrefix: String) -> String {
        SyntheticJSON.lines(records(problems, idPrefix: idPrefix))
    }

    static func records(_ problems: [ArithmeticProblem], idPrefix: String) -> [SyntheticJSON.Value] {
        problems.enumerated().map { index, problem in
            problem.record(id: idPrefix + "-" + zeroPadded(index + 1, width: 4))
        }
    }

    /// Multiple-choice questions as JSONL.
    public static func jsonLines(_ questions: [ArithmeticMultipleChoice]) -> String {
        SyntheticJSON.lines(questions.map(\.record))
    }
}

/// `value` in decimal, left-padded with zeros to `width` digits.
private func zeroPadded(_ value: Int, width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
