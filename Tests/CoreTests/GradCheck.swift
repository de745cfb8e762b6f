import XCTest
@testable import Core

/// Finite-difference gradient checking.
///
/// The scalar checked is L = Σ f(inputs) ⊙ R for a fixed random R, so every output element contributes with
/// a different weight. Numeric derivatives are central differences with step `eps` computed in Float32;
/// an analytic entry passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
struct GradCheck {
    var eps: Float = 1e-2
    var atol: Float = 2e-3
    var rtol: Float = 2e-2
    /// Entries checked per input (all of them when the input is smaller).
    var maxEntries = 64

    func run(_ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor) {
        var rng = SeededRandom(seed: 1234)
        let probe = f(inputs)
        let weights = Tensor.randn(probe.shape, rng: &rng)
        let w = weights.values
        func loss() -> Double {
            let y = Autograd.withNoGrad { f(inputs) }.values
            var s = 0.0
            for (a, b) in zip(y, w) { s += Double(a) * Double(b) }
            return s
        }
        for x in inputs { x.grad = nil }
        (f(inputs) * weights).sum().backward()
        for (k, x) in inputs.enumerated() where x.requiresGrad {
            guard let g = x.grad?.values else { XCTFail("input \(k) got no gradient", file: file, line: line); continue }
            let n = x.count
            let step = max(1, n / maxEntries)
            for i in Swift.stride(from: 0, to: n, by: step) {
                let p = x.storage.pointer + x.offset
                let saved = p[i]
                p[i] = saved + eps
                let up = loss()
                p[i] = saved - eps
                let down = loss()
                p[i] = saved
                let numeric = Float((up - down) / (2 * Double(eps)))
                let analytic = g[i]
                if abs(analytic - numeric) > atol + rtol * abs(numeric) {
                    XCTFail("input \(k) entry \(i): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
                    return
                }
            }
        }
    }
}

/// A leaf of normal values that tracks gradients.
func param(_ shape: [Int], _ rng: inout SeededRandom, std: Float = 1) -> Tensor {
    Tensor.randn(shape, std: std, rng: &rng).trackingGradients()
}

/// A random size in `range` from the generator (tests draw shapes at random, seeded).
func dim(_ range: ClosedRange<Int>, _ rng: inout SeededRandom) -> Int {
    range.lowerBound + rng.nextInt(below: range.count)
}

/// Two arrays of the same length whose largest difference is at most `accuracy`.
func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, _ message: String = "", file: StaticString = #filePath,
                    line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "lengths \(message)", file: file, line: line)
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, accuracy, message, file: file, line: line)
}
