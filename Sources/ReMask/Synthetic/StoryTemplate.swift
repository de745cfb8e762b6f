/// How one step of a story reads: a sentence of the problem, and the rationale sentence that solves it.
///
/// Placeholders (in braces) are filled by `ArithmeticProblemGenerator`: the story's words (`{Name}`, `{he}`,
/// `{unit}`, …), the step's operand `{k}` and its words (`{times}` "twice", `{multiply}` "double",
/// `{multiplies}` "doubles", `{frac}` "half"), the neighbouring entities of a chain (`{prev}`, `{next}`) and,
/// in the rationale only, the computation `{eq}` ("12 + 7 = 19").
struct StepTemplate: Sendable {
    let operation: ArithmeticOperation
    let prompt: String
    let rationale: String

    init(_ operation: ArithmeticOperation, _ prompt: String, _ rationale: String) {
        self.operation = operation
        self.prompt = prompt
        self.rationale = rationale
    }
}

/// A kind of word problem: how it opens and asks, how its steps may read, and which numbers suit it.
struct StoryTemplate: Sendable {
    /// What each step relates: a running quantity of one owner, or a chain of entities where each is defined
    /// from the one before (people's ages, items' prices, days of a week).
    enum Entities: Sendable {
        case none, people, items([String]), days
    }

    /// Opening sentence; `{x}` is the starting quantity and `{first}` the chain's first entity.
    let opening: String
    /// Closing question; `{last}` is the chain's last entity.
    let question: String
    let steps: [StepTemplate]
    let entities: Entities
    /// Alternative word sets for the story's own placeholders (one is drawn per problem).
    let variants: [[(String, String)]]
    /// Starting quantities.
    let start: ClosedRange<Int>
    /// Amounts added or taken away.
    let amount: ClosedRange<Int>
    /// Multipliers (at most 4: the words for them stop at "quadruple").
    var factors: ClosedRange<Int> = 2...4
    /// Divisors (at most 5: the fraction words stop at "a fifth").
    var divisors: ClosedRange<Int> = 2...5
    /// Every intermediate result stays in 2...limit.
    let limit: Int
}

/// Words for multipliers and divisors, indexed by the number.
enum NumberWords {
    static func times(_ k: Int) -> String { ["", "", "twice", "three times", "four times"][k] }
    static func multiply(_ k: Int) -> String { ["", "", "double", "triple", "quadruple"][k] }
    static func multiplies(_ k: Int) -> String { ["", "", "doubles", "triples", "quadruples"][k] }
    static func fraction(_ k: Int) -> String { ["", "", "half", "a third", "a quarter", "a fifth"][k] }
}
