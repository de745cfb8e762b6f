import Foundation

/// How a model stretches its rotary embeddings past the context it was trained on: each rotary frequency
/// θ_i = base^(−2i/d) is divided by a factor. Hugging Face configs name the rule (`rope_scaling` /
/// `rope_parameters`); GGUF files carry the factors themselves (`rope_freqs.weight`).
public enum RopeScaling: Codable, Sendable, Equatable {
    /// Every frequency divided by `factor` (positions compressed).
    case linear(factor: Float)
    /// Llama 3.1's rule: wavelengths longer than originalMaxPositions / lowFreqFactor divided by `factor`,
    /// shorter than originalMaxPositions / highFreqFactor kept, and a smooth blend between.
    case llama3(factor: Float, lowFreqFactor: Float, highFreqFactor: Float, originalMaxPositions: Int)
    /// One divisor per frequency, as GGUF stores them.
    case factors([Float])

    /// The rotary frequencies θ_i = base^(−2i/d) of the rotaryDim / 2 pairs, divided by `scaling`'s divisors.
    public static func frequencies(rotaryDim: Int, base: Float, scaling: RopeScaling?) -> [Float] {
        let plain = (0..<(rotaryDim / 2)).map { 1 / Foundation.pow(base, Float(2 * $0) / Float(rotaryDim)) }
        guard let divisors = scaling?.divisors(rotaryDim: rotaryDim, base: base) else { return plain }
        return zip(plain, divisors).map { $0 / $1 }
    }

    /// The divisor of each of the rotaryDim / 2 frequencies.
    public func divisors(rotaryDim: Int, base: Float) -> [Float] {
        let half = rotaryDim / 2
        switch self {
        case .linear(let factor):
            return [Float](repeating: factor, count: half)
        case .factors(let factors):
            return factors
        case let .llama3(factor, low, high, original):
            // transformers' _compute_llama3_parameters, frequency by frequency.
            let lowWavelength = Float(original) / low, highWavelength = Float(original) / high
            return Self.frequencies(rotaryDim: rotaryDim, base: base, scaling: nil).map { invFreq in
                let wavelength = 2 * Float.pi / invFreq
                if wavelength < highWavelength { return 1 }
                if wavelength > lowWavelength { return factor }
                let smooth = (Float(original) / wavelength - low) / (high - low)
                return 1 / ((1 - smooth) / factor + smooth)
            }
        }
    }

    /// Problems with the parameters, or nil.
    public func validationError(rotaryDim: Int) -> String? {
        switch self {
        case .linear(let factor):
            return factor > 0 ? nil : "rope scaling factor \(factor) must be positive"
        case .factors(let factors):
            if factors.count != rotaryDim / 2 { return "\(factors.count) rope frequency factors for \(rotaryDim / 2) frequencies" }
            return factors.allSatisfy({ $0 > 0 && $0.isFinite }) ? nil : "rope frequency factors must be positive"
        case let .llama3(factor, low, high, original):
            return factor > 0 && low > 0 && high > low && original > 0 ? nil
                : "llama3 rope scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor and original_max_position_embeddings > 0"
        }
    }
}
