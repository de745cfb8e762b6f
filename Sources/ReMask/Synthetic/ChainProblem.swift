import Core

/// One clause of a symbolic chain: `c=b/3`, worked out in the rationale as `c=b/3=78/3=26`.
public struct ChainStep: Sendable, Equatable {
    /// The variable this step defines, and the one it reads (always the previous one: a pure chain).
    public let variable: Character
    public let source: Character
    public let operation: ArithmeticOperation
    public let operand: Int
    /// The source's value (what the solver looks up) and the step's value (what it computes).
    public let left: Int
    public let result: Int

    /// The clause as the prompt states it: `c=b/3`.
    public var clause: String { "\(variable)=\(source)\(operation.rawValue)\(operand)" }
    /// The clause worked out: `c=b/3=78/3=26`.
    public var worked: String { "\(clause)=\(left)\(operation.rawValue)\(operand)=\(result)" }
}

/// A symbolic arithmetic chain (`a=74, b=a+5, c=b/3, d=c*4. d?`) with its worked rationale, one clause per
/// step (`b=a+5=74+5=79, c=b/3=…`), and the last value as the answer. Every value lies in 2…99; + and − take
/// operands 1–9, × 2–4, and ÷ 2–5 only where it is exact. Each step reads the one before, so one wrong value
/// spoils every later one — what exposure bias is about.
public struct ChainProblem: Sendable, Equatable {
    public let start: Int
    public let steps: [ChainStep]

    public var prompt: String {
        (["a=\(start)"] + steps.map(\.clause)).joined(separator: ", ") + ". \(steps.last!.variable)?"
    }
    public var rationale: String { steps.map(\.worked).joined(separator: ", ") }
    public var answer: String { String(steps.last!.result) }

    /// Character ranges within `rationale`, per step: the looked-up value (`78` in `c=b/3=78/3=26`) and the
    /// computed value (`26`). The rationale is ASCII, so characters are bytes.
    public var spans: [(lookup: Range<Int>, result: Range<Int>)] {
        var offset = 0
        return steps.map { step in
            let lookupStart = offset + step.clause.count + 1
            let lookup = lookupStart..<(lookupStart + String(step.left).count)
            let resultStart = offset + step.worked.count - String(step.result).count
            offset += step.worked.count + 2  // ", "
            return (lookup, resultStart..<(resultStart + String(step.result).count))
        }
    }

    /// The CoT JSONL record: `{"id":…,"prompt":…,"rationale":…,"answer":…,"steps":…}`.
    func record(id: String) -> SyntheticJSON.Value {
        .object([("id", .string(id)), ("prompt", .string(prompt)), ("rationale", .string(rationale)),
                 ("answer", .string(answer)), ("steps", .int(steps.count))])
    }

    /// The values a worked rationale states, step by step: the last number of each `x=…` clause. A value a
    /// clause does not state (cut short, garbled) is nil. Used to score each step of a generated rationale.
    public static func statedResults(_ rationale: Substring, count: Int) -> [Int?] {
        let clauses = rationale.split(separator: ",", omittingEmptySubsequences: false)
        return (0..<count).map { i in
            guard i < clauses.count, let last = clauses[i].split(separator: "=").last else { return nil }
            return Int(last.trimmingCharacters(in: .whitespaces))
        }
    }
}

/// Draws chain problems from a seed.
public struct ChainProblemGenerator {
    static let values = 2...99
    private var random: SeededRandom
    public let steps: ClosedRange<Int>

    /// `steps`: fewest and most steps, within 1…25 (the variables are the letters).
    public init(seed: UInt64, steps: ClosedRange<Int>) {
        check(steps.lowerBound >= 1 && steps.upperBound <= 25, "ChainProblemGenerator: steps must lie in 1...25, got \(steps)")
        random = SeededRandom(seed: seed)
        self.steps = steps
    }

    /// How many different problems (prompts) have a number of steps in `steps`: every start value and every
    /// sequence of operations and operands that keeps the values in range. Asking `ChainBenchmark.splits` for
    /// more distinct problems than this can never finish.
    public static func distinctProblems(steps: ClosedRange<Int>) -> Double {
        let operations: [(ArithmeticOperation, ClosedRange<Int>)] = [(.add, 1...9), (.subtract, 1...9), (.multiply, 2...4), (.divide, 2...5)]
        // paths[v]: the chains of the current length that start from value v.
        var paths = [Double](repeating: 1, count: values.upperBound + 1)
        var total = 0.0
        for length in 1...steps.upperBound {
            var next = [Double](repeating: 0, count: paths.count)
            for v in values {
                for (op, operands) in operations {
                    for operand in operands {
                        if let r = op.apply(v, operand), values.contains(r) { next[v] += paths[r] }
                    }
                }
            }
            paths = next
            if steps.contains(length) { total += values.reduce(0) { $0 + paths[$1] } }
        }
        return total
    }

    public mutating func next() -> ChainProblem {
        let count = random.nextInt(in: steps)
        let start = random.nextInt(in: Self.values)
        var value = start
        var chain: [ChainStep] = []
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        for i in 0..<count {
            // An operation with at least one operand that keeps the value in range, then one such operand.
            let options: [(ArithmeticOperation, [Int])] = [
                (.add, Array(1...9)), (.subtract, Array(1...9)), (.multiply, Array(2...4)), (.divide, Array(2...5)),
            ].map { op, operands in
                (op, operands.filter { op.apply(value, $0).map(Self.values.contains) ?? false })
            }.filter { !$0.1.isEmpty }
            let (operation, operands) = random.nextElement(of: options)
            let operand = random.nextElement(of: operands)
            let result = operation.apply(value, operand)!
            chain.append(ChainStep(variable: letters[i + 1], source: letters[i], operation: operation, operand: operand,
                                   left: value, result: result))
            value = result
        }
        return ChainProblem(start: start, steps: chain)
    }
}

/// Multiple choice for a chain: the answer among distractors with the same number of digits (so that no
/// choice wins on length), first from solving mistakes, then drawn at random.
public struct ChainMultipleChoice: Sendable, Equatable {
    public let question: String
    public let choices: [String]
    public let label: Int

    init(_ problem: ChainProblem, count: Int, random: inout SeededRandom) {
        let answer = problem.steps.last!.result
        let digits = String(answer).count
        let pool = digits == 1 ? Array(1...9) : Array(10...99)
        var seen: Set<Int> = [answer]
        func fresh(_ values: [Int]) -> [Int] { values.filter { String($0).count == digits && seen.insert($0).inserted } }
        let last = problem.steps.last!
        var mistakes = problem.steps.dropLast().map(\.result) + [answer + 1, answer - 1, answer + 2, answer - 2, answer + 10, answer - 10]
        if let flipped = last.operation.opposite.apply(last.left, last.operand) { mistakes.append(flipped) }
        let planned = random.shuffled(fresh(mistakes))
        var distractors = Array(planned.prefix(count - 1))
        while distractors.count < count - 1 {
            distractors += fresh([random.nextElement(of: pool)])
        }
        let choices = random.shuffled([answer] + distractors)
        question = problem.prompt
        self.choices = choices.map(String.init)
        label = choices.firstIndex(of: answer)!
    }

    var record: SyntheticJSON.Value {
        .object([("question", .string(question)), ("choices", .array(choices.map { .string($0) })), ("label", .int(label))])
    }
}

/// The chain benchmark: test, validation and fine-tuning splits drawn from one generator (test first, so larger
/// later splits leave it unchanged), and from a second stream the base model's held-out problems, then its
/// training pool; no prompt is in two splits.
public struct ChainBenchmark: Sendable {
    public let test: [ChainProblem]
    public let validation: [ChainProblem]
    public let train: [ChainProblem]
    public let base: [ChainProblem]
    /// Held-out problems of the base distribution (drawn before the base pool): the base model's validation and gate.
    public let baseValidation: [ChainProblem]

    public static func splits(seed: UInt64, test: Int, validation: Int, train: Int, steps: ClosedRange<Int>,
                              base: Int, baseValidation: Int = 0, baseSteps: ClosedRange<Int>) -> ChainBenchmark {
        var seen: Set<String> = []
        func draw(_ count: Int, _ generator: inout ChainProblemGenerator) -> [ChainProblem] {
            var problems: [ChainProblem] = []
            problems.reserveCapacity(count)
            var repeats = 0
            while problems.count < count {
                let problem = generator.next()
                if seen.insert(problem.prompt).inserted {
                    problems.append(problem)
                    repeats = 0
                } else {
                    // Fail rather than loop for ever when the step range has too few distinct problems left.
                    repeats += 1
                    check(repeats < 1_000_000, "ChainBenchmark: cannot draw \(count) distinct problems of \(generator.steps) steps "
                          + "(\(Int(ChainProblemGenerator.distinctProblems(steps: generator.steps))) exist, \(seen.count) drawn); ask for fewer or widen the steps")
                }
            }
            return problems
        }
        var main = ChainProblemGenerator(seed: seed, steps: steps)
        let testSplit = draw(test, &main), validationSplit = draw(validation, &main), trainSplit = draw(train, &main)
        var pretraining = ChainProblemGenerator(seed: seed &+ 0x62617365, steps: baseSteps)
        let baseValidationSplit = draw(baseValidation, &pretraining)
        return ChainBenchmark(test: testSplit, validation: validationSplit, train: trainSplit, base: draw(base, &pretraining),
                              baseValidation: baseValidationSplit)
    }

    /// `problems` as multiple-choice questions, distractors and order drawn from `seed`.
    public static func multipleChoice(_ problems: [ChainProblem], seed: UInt64, choices: Int) -> [ChainMultipleChoice] {
        check((2...4).contains(choices), "ChainBenchmark.multipleChoice: choices must be 2...4, got \(choices)")
        var random = SeededRandom(seed: seed)
        return problems.map { ChainMultipleChoice($0, count: choices, random: &random) }
    }

    /// `problems` as CoT JSONL with ids `<prefix>-00001`, ….
    public static func jsonLines(_ problems: [ChainProblem], idPrefix: String) -> String {
        SyntheticJSON.lines(problems.enumerated().map { i, p in p.record(id: idPrefix + "-" + chainID(i + 1)) })
    }

    public static func jsonLines(_ questions: [ChainMultipleChoice]) -> String {
        SyntheticJSON.lines(questions.map(\.record))
    }
}

/// `value` zero-padded to five digits.
public func chainID(_ value: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
}
