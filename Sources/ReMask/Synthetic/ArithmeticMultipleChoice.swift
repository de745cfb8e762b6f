import Core

/// A problem as a multiple-choice question: the right answer among plausible wrong ones, for measuring
/// log-likelihood accuracy on the same problems the CoT data asks.
public struct ArithmeticMultipleChoice: Sendable, Equatable {
    public let question: String
    /// The answers offered, as digits; exactly one is right.
    public let choices: [String]
    /// The index of the right answer in `choices`.
    public let label: Int

    /// `problem` with `count - 1` distractors. Distractors come first from solving mistakes (stopping a step
    /// early, skipping a step, confusing + with - or * with /, using another step's quantity in the last step),
    /// then from small offsets (±1, ±2, ±10); all are positive, distinct and not the answer.
    init(_ problem: ArithmeticProblem, count: Int, random: inout SeededRandom) {
        let answer = Int(problem.answer)!
        var seen: Set<Int> = [answer]
        func fresh(_ values: [Int]) -> [Int] {
            values.filter { $0 > 0 && seen.insert($0).inserted }
        }
        let mistakes = random.shuffled(fresh(Self.mistakes(problem.steps)))
        let offsets = random.shuffled(fresh([1, 2, 10].flatMap { [answer + $0, answer - $0] }))
        let distractors = Array((mistakes + offsets).prefix(count - 1))
        let choices = random.shuffled([answer] + distractors)
        question = problem.prompt
        self.choices = choices.map(String.init)
        label = choices.firstIndex(of: answer)!
    }

    /// The JSONL record: `{"question":…,"choices":[…],"label":…}`.
    var record: SyntheticJSON.Value {
        .object([("question", .string(question)), ("choices", .array(choices.map { .string($0) })),
                 ("label", .int(label))])
    }

    /// Results of plausible solving mistakes, in a fixed order (duplicates and invalid ones included).
    static func mistakes(_ steps: [ArithmeticStep]) -> [Int] {
        var results = steps.dropLast().map(\.result)
        for index in steps.indices {
            var skipped = steps.map { ($0.operation, $0.right) }
            skipped.remove(at: index)
            var flipped = steps.map { ($0.operation, $0.right) }
            flipped[index].0 = flipped[index].0.opposite
            results += [replay(steps[0].left, skipped), replay(steps[0].left, flipped)].compactMap { $0 }
        }
        let last = steps[steps.count - 1]
        results += steps.dropLast().compactMap { last.operation.apply(last.left, $0.right) }
        return results
    }

    /// The result of applying `operations` from `start`; nil when a step leaves the non-negative integers.
    private static func replay(_ start: Int, _ operations: [(ArithmeticOperation, Int)]) -> Int? {
        var value = start
        for (operation, operand) in operations {
            guard let next = operation.apply(value, operand) else { return nil }
            value = next
        }
        return value
    }
}
