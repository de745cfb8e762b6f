import Core

/// What a training step optimises.
public enum Objective: String, Sendable, CaseIterable {
    /// Next-token cross-entropy on the response tokens.
    case sft
    /// Cross-entropy on the original response tokens, computed from an input whose response tokens are
    /// partly corrupted (Chen et al. 2024). One pass.
    case maskedThought = "masked-thought"
    /// Masked and full passes: `0.5·(CE_masked + CE_full) + weight·D(p_masked, p_full)`.
    case remask

    /// Whether the objective reads a masked copy of the input.
    public var usesMasking: Bool { self != .sft }
}

/// ReMask's consistency term.
public struct ConsistencySettings: Sendable, Equatable {
    /// w in `0.5·(CE_masked + CE_full) + w·D` (the recipe: 0.1).
    public var weight: Float
    public var divergence: Divergence
    /// Treat the full pass as a fixed teacher inside D (no gradient from D into it).
    public var detachFull: Bool
    /// Run both passes as one batch that computes the tokens before each row's first masked token once.
    /// Off only to check that sharing changes nothing.
    public var sharePrefix: Bool

    public init(weight: Float = 0.1, divergence: Divergence = .klSymmetric, detachFull: Bool = false, sharePrefix: Bool = true) {
        self.weight = weight; self.divergence = divergence; self.detachFull = detachFull; self.sharePrefix = sharePrefix
    }
}

/// The loss of one micro-batch and its parts (means over label-carrying positions).
public struct StepLoss {
    /// The scalar to backpropagate.
    public let loss: Tensor
    public let value: Double
    /// CE of the full (unmasked) pass; nil for masked-thought.
    public let ceFull: Double?
    /// CE of the masked pass; nil for sft.
    public let ceMasked: Double?
    /// D between the passes; remask only.
    public let divergence: Double?
    /// Positions that carry a label.
    public let labelCount: Int
}
