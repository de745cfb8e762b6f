import Foundation

/// The learning rate as a function of the optimizer step; step 0 is the first update.
public enum LearningRateSchedule: Sendable, Equatable, CustomStringConvertible {
    /// PyTorch's `OneCycleLR` with cosine annealing (three_phase=False, no momentum cycling): from
    /// `maxLR/divFactor` up to `maxLR` over the first `pctStart·totalSteps − 1` steps, then down to
    /// `maxLR/divFactor/finalDivFactor` at step `totalSteps − 1`. Step s is the rate PyTorch's scheduler
    /// holds after s calls of `scheduler.step()`.
    case oneCycle(maxLR: Float, totalSteps: Int, pctStart: Double = 0.3, divFactor: Double = 25,
                  finalDivFactor: Double = 1e4)
    /// Linear warm-up from 0 over `warmupSteps`, then half a cosine from `maxLR` to `minLR` at `totalSteps`
    /// (transformers' `get_cosine_with_min_lr_schedule_with_warmup`).
    case cosine(maxLR: Float, warmupSteps: Int, totalSteps: Int, minLR: Float = 0)
    case constant(Float)

    /// The names `init(name:…)` accepts.
    public static let names = ["one-cycle", "cosine", "constant"]

    /// A schedule from command-line options. `learningRate` is the peak rate (the only rate of `constant`).
    /// `warmupSteps` and `minLR` apply to `cosine` (defaults 0), `pctStart` to `one-cycle` (default 0.3);
    /// giving one to a schedule that has no use for it is an error, as is a schedule that fails `validate()`.
    public init(name: String, learningRate: Float, totalSteps: Int, warmupSteps: Int? = nil, minLR: Float? = nil,
                pctStart: Double? = nil) throws {
        let given = [("warmup steps", warmupSteps != nil), ("minimum learning rate", minLR != nil),
                     ("pct_start", pctStart != nil)]
        let accepted: Set<String>
        switch name {
        case "one-cycle":
            self = .oneCycle(maxLR: learningRate, totalSteps: totalSteps, pctStart: pctStart ?? 0.3)
            accepted = ["pct_start"]
        case "cosine":
            self = .cosine(maxLR: learningRate, warmupSteps: warmupSteps ?? 0, totalSteps: totalSteps, minLR: minLR ?? 0)
            accepted = ["warmup steps", "minimum learning rate"]
        case "constant":
            self = .constant(learningRate)
            accepted = []
        default:
            throw LearningRateScheduleError("unknown learning-rate schedule '\(name)' (expected one of "
                                            + Self.names.joined(separator: ", ") + ")")
        }
        if let option = given.first(where: { $0.1 && !accepted.contains($0.0) }) {
            throw LearningRateScheduleError("the \(name) schedule takes no \(option.0)")
        }
        try validate()
    }

    /// Throws when the parameters make no schedule (non-positive or non-finite rates, no steps, a warm-up
    /// longer than the run, pct_start outside [0, 1], factors ≤ 0).
    public func validate() throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw LearningRateScheduleError("\(self): " + message()) }
        }
        switch self {
        case let .oneCycle(maxLR, totalSteps, pctStart, divFactor, finalDivFactor):
            try require(maxLR.isFinite && maxLR > 0, "the learning rate must be positive and finite")
            try require(totalSteps >= 1, "needs at least one step")
            try require(pctStart >= 0 && pctStart <= 1, "pct_start must be in [0, 1]")
            try require(divFactor > 0 && finalDivFactor > 0, "div factors must be positive")
        case let .cosine(maxLR, warmupSteps, totalSteps, minLR):
            try require(maxLR.isFinite && maxLR > 0, "the learning rate must be positive and finite")
            try require(totalSteps >= 1, "needs at least one step")
            try require(warmupSteps >= 0 && warmupSteps <= totalSteps, "warm-up steps must be in 0...\(totalSteps)")
            try require(minLR.isFinite && minLR >= 0 && minLR <= maxLR, "the minimum rate must be in 0...\(maxLR)")
        case let .constant(lr):
            try require(lr.isFinite && lr > 0, "the learning rate must be positive and finite")
        }
    }

    /// The rate for optimizer step `step` (0 is the first update). Steps past the end hold the last rate.
    public func learningRate(at step: Int) -> Float {
        switch self {
        case let .oneCycle(maxLR, totalSteps, pctStart, divFactor, finalDivFactor):
            let s = Double(min(max(step, 0), totalSteps - 1)), total = Double(totalSteps)
            let peak = Double(maxLR), initial = peak / divFactor, floor = initial / finalDivFactor
            // PyTorch's phase boundary; it may be fractional or negative (then step 0 is already annealing).
            let up = pctStart * total - 1
            func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
                end + (start - end) / 2 * (cos(Double.pi * pct) + 1)
            }
            // Where PyTorch divides by zero (pct_start·total = 1) the warm-up is empty: step 0 is at the peak.
            if s <= up { return Float(anneal(initial, peak, up > 0 ? s / up : 1)) }
            return Float(anneal(peak, floor, (s - up) / (total - 1 - up)))
        case let .cosine(maxLR, warmupSteps, totalSteps, minLR):
            let s = min(max(step, 0), totalSteps - 1)
            if s < warmupSteps { return Float(Double(maxLR) * Double(s) / Double(warmupSteps)) }
            let progress = Double(s - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            let peak = Double(maxLR), low = Double(minLR)
            return Float(low + (peak - low) * 0.5 * (1 + cos(Double.pi * progress)))
        case let .constant(lr):
            return lr
        }
    }

    public var description: String {
        switch self {
        case let .oneCycle(maxLR, totalSteps, pctStart, divFactor, finalDivFactor):
            "one-cycle(max_lr=\(maxLR), total_steps=\(totalSteps), pct_start=\(pctStart), div_factor=\(divFactor), "
                + "final_div_factor=\(finalDivFactor))"
        case let .cosine(maxLR, warmupSteps, totalSteps, minLR):
            "cosine(max_lr=\(maxLR), warmup_steps=\(warmupSteps), total_steps=\(totalSteps), min_lr=\(minLR))"
        case let .constant(lr):
            "constant(lr=\(lr))"
        }
    }
}

/// A learning-rate schedule that cannot be built from the given options.
public struct LearningRateScheduleError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
