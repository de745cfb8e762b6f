/// One of the four operations a step applies to the running result.
public enum ArithmeticOperation: String, Sendable, CaseIterable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    /// `left op right` over non-negative integers; nil when the result is negative or a division is not exact.
    public func apply(_ left: Int, _ right: Int) -> Int? {
        switch self {
        case .add: return left + right
        case .subtract: return left >= right ? left - right : nil
        case .multiply: return left * right
        case .divide: return right > 0 && left % right == 0 ? left / right : nil
        }
    }

    /// The operation a careless solver confuses this one with (+ with -, * with /).
    var opposite: ArithmeticOperation {
        switch self {
        case .add: return .subtract
        case .subtract: return .add
        case .multiply: return .divide
        case .divide: return .multiply
        }
    }
}

/// One step of a problem: `left op right = result`, where `left` is the previous step's result (or the
/// starting quantity) and `right` a quantity the problem states.
public struct ArithmeticStep: Sendable, Equatable {
    public let left: Int
    public let operation: ArithmeticOperation
    public let right: Int
    public let result: Int

    /// The computation as the rationale writes it, e.g. `12 + 7 = 19`.
    public var equation: String { "\(left) \(operation.rawValue) \(right) = \(result)" }
}

/// A multi-step arithmetic word problem with its worked rationale and answer.
public struct ArithmeticProblem: Sendable, Equatable {
    /// The word problem, ending in its question.
    public let prompt: String
    /// One sentence per step, each stating its computation.
    public let rationale: String
    /// The final result, as digits.
    public let answer: String
    /// The computation behind the rationale, in order.
    public let steps: [ArithmeticStep]

    /// The quantity the problem starts from.
    public var start: Int { steps[0].left }

    /// The CoT JSONL record: `{"id":…,"prompt":…,"rationale":…,"answer":…}`.
    func record(id: String) -> SyntheticJSON.Value {
        .object([("id", .string(id)), ("prompt", .string(prompt)), ("rationale", .string(rationale)),
                 ("answer", .string(answer))])
    }
}
