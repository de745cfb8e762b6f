import Core
import Foundation

/// Generates multi-step arithmetic word problems from a seed: the same seed and step range always give the
/// same problems, in the same order, on every machine.
///
/// Each step applies +, -, * or exact / to the previous result and a quantity the problem states, so every
/// later step depends on all earlier results. Quantities are positive integers no larger than the story's
/// limit (at most 5,000).
public struct ArithmeticProblemGenerator {
    /// How many steps a problem takes, drawn uniformly.
    public let steps: ClosedRange<Int>
    private var random: SeededRandom

    /// `steps` must lie within 1...6 (a chain of days has seven entries).
    public init(seed: UInt64, steps: ClosedRange<Int> = 2...6) {
        check(steps.lowerBound >= 1 && steps.upperBound <= 6,
              "ArithmeticProblemGenerator: steps must lie within 1...6, got \(steps)")
        self.steps = steps
        random = SeededRandom(seed: seed)
    }

    /// The next problem of the stream.
    public mutating func next() -> ArithmeticProblem {
        let story = random.nextElement(of: StoryTemplate.catalog)
        let stepCount = random.nextInt(in: steps)
        let people = random.shuffled(Person.all)
        let hero = people[0]
        var words = random.nextElement(of: story.variants) + hero.bindings + [("friend", people[1].name)]
        let entities = chain(story.entities, count: stepCount + 1, people: Array(people.dropFirst(2)))
        if let first = entities.first, let last = entities.last {
            words += [("first", first), ("last", last)]
        }

        var value = random.nextInt(in: story.start)
        var prompt = [fill(story.opening, words + [("x", String(value))])]
        var rationale: [String] = []
        var computed: [ArithmeticStep] = []
        var used = story.steps.map { _ in false }
        for index in 0..<stepCount {
            let (choice, operand) = drawStep(story, from: value, after: computed.last, used: used)
            let template = story.steps[choice]
            used[choice] = true
            let step = ArithmeticStep(left: value, operation: template.operation, right: operand,
                                      result: template.operation.apply(value, operand)!)
            var stepWords = words + operandWords(template.operation, operand)
            if !entities.isEmpty { stepWords += [("prev", entities[index]), ("next", entities[index + 1])] }
            prompt.append(fill(template.prompt, stepWords))
            rationale.append(fill(template.rationale, stepWords + [("eq", step.equation)]))
            computed.append(step)
            value = step.result
        }
        prompt.append(fill(story.question, words))
        return ArithmeticProblem(prompt: prompt.joined(separator: " "), rationale: rationale.joined(separator: " "),
                                 answer: String(value), steps: computed)
    }

    /// The next `count` problems of the stream.
    public mutating func next(_ count: Int) -> [ArithmeticProblem] {
        (0..<count).map { _ in next() }
    }

    /// The names a chain runs through: people for ages, items for prices, consecutive days from Monday.
    private mutating func chain(_ kind: StoryTemplate.Entities, count: Int, people: [Person]) -> [String] {
        switch kind {
        case .none: return []
        case .people: return people.prefix(count).map(\.name)
        case .items(let items): return Array(random.shuffled(items).prefix(count))
        case .days: return Array(Self.weekdays.prefix(count))
        }
    }

    /// The index of a template for the next step and an operand for it. The result must stay within
    /// 2...limit (exact for division) and the step must not undo the one before; among the templates that can
    /// fit, one not yet used in this problem is drawn uniformly when there is one (so that sentences vary),
    /// then the operand uniformly among those that fit.
    private mutating func drawStep(_ story: StoryTemplate, from value: Int, after previous: ArithmeticStep?,
                                   used: [Bool]) -> (Int, Int) {
        func operands(_ operation: ArithmeticOperation) -> [Int] {
            let candidates = switch operation {
            case .add, .subtract: story.amount
            case .multiply: story.factors
            case .divide: story.divisors
            }
            return candidates.filter { operand in
                guard let result = operation.apply(value, operand), (2...story.limit).contains(result) else { return false }
                return !(previous?.operation == operation.opposite && previous?.right == operand)
            }
        }
        let fitting = story.steps.indices.filter { !operands(story.steps[$0].operation).isEmpty }
        check(!fitting.isEmpty, "ArithmeticProblemGenerator: no step fits \(value) in a story limited to \(story.limit)")
        let fresh = fitting.filter { !used[$0] }
        let choice = random.nextElement(of: fresh.isEmpty ? fitting : fresh)
        return (choice, random.nextElement(of: operands(story.steps[choice].operation)))
    }

    /// Words for the step's operand: its digits and, for * and /, the words the templates use.
    private func operandWords(_ operation: ArithmeticOperation, _ k: Int) -> [(String, String)] {
        switch operation {
        case .add, .subtract: return [("k", String(k))]
        case .multiply:
            return [("k", String(k)), ("times", NumberWords.times(k)), ("multiply", NumberWords.multiply(k)),
                    ("multiplies", NumberWords.multiplies(k))]
        case .divide: return [("k", String(k)), ("frac", NumberWords.fraction(k))]
        }
    }

    private static let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
}

/// `template` with every `{key}` replaced by its value.
private func fill(_ template: String, _ words: [(String, String)]) -> String {
    words.reduce(template) { text, word in text.replacingOccurrences(of: "{\(word.0)}", with: word.1) }
}
