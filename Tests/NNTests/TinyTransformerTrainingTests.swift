import XCTest
import Core
import NN
import Models
import Bench

/// A tiny Llama-style decoder trained from scratch on a small deterministic corpus (`TinyDemo`).
final class TinyTransformerTrainingTests: XCTestCase {
    static func train(steps: Int, seed: UInt64) -> (losses: [Float], weights: [Float]) {
        let run = TinyDemo.train(steps: steps, seed: seed)
        let p = run.model.parameters
        return (run.losses, Array(UnsafeBufferPointer(start: p.valuePointer, count: p.count)))
    }
    func testLossFallsBelowThreshold() {
        let (losses, _) = Self.train(steps: 120, seed: 7)
        let start = losses.prefix(5).reduce(0, +) / 5, end = losses.suffix(5).reduce(0, +) / 5
        // Uniform guessing over the alphabet costs ln(27) ≈ 3.3 nats; the corpus is memorisable.
        XCTAssertGreaterThan(start, 2.5, "initial loss \(start) should be near uniform")
        XCTAssertLessThan(end, 0.5, "loss after 120 steps: \(end) (first steps \(losses.prefix(5)))")
        print("tiny transformer loss: \(start) → \(end)")
    }

    func testTrainedModelCompletesTheCorpus() {
        let run = TinyDemo.train(steps: 150, seed: 7)
        XCTAssertEqual(TinyDemo.complete(run.model, "the quick brown", count: 10), "the quick brown fox jumps")
    }

    func testSameSeedGivesBitIdenticalLossesAndWeights() {
        let a = Self.train(steps: 15, seed: 3), b = Self.train(steps: 15, seed: 3)
        XCTAssertEqual(a.losses.map(\.bitPattern), b.losses.map(\.bitPattern))
        XCTAssertEqual(a.weights.map(\.bitPattern), b.weights.map(\.bitPattern))
        let c = Self.train(steps: 15, seed: 4)
        XCTAssertNotEqual(a.losses, c.losses, "a different seed should give a different run")
    }
}
