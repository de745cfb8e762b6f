import XCTest
@testable import Core

/// Inverted dropout: the kept fraction and scale, masks fixed by the seed alone, and the gradient.
final class DropoutTests: XCTestCase {
    func testKeepsAboutOneMinusPScaledAndIsFixedBySeed() {
        let x = Tensor.full([64, 100], 1)
        let y = x.dropout(0.25, seed: 9).values
        let kept = y.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { $0 == 1 / 0.75 })
        XCTAssertEqual(Double(kept.count) / Double(y.count), 0.75, accuracy: 0.02)
        XCTAssertEqual(x.dropout(0.25, seed: 9).values, y)
        XCTAssertNotEqual(x.dropout(0.25, seed: 10).values, y)
        // Rows draw from their own generators: the mask does not depend on the thread count.
        let saved = Parallel.threads
        Parallel.threads = 1
        XCTAssertEqual(x.dropout(0.25, seed: 9).values, y)
        Parallel.threads = saved
        XCTAssertTrue(x.dropout(0, seed: 9) === x)
    }

    func testGradientMatchesFiniteDifferences() {
        var rng = SeededRandom(seed: 3)
        let x = param([5, 13], &rng)
        GradCheck().run([x]) { $0[0].dropout(0.4, seed: 77) }
        let y = x.dropout(0.4, seed: 77)
        x.grad = nil
        y.sum().backward()
        // d(sum)/dx is the mask itself: zero where dropped, 1/(1 − p) where kept.
        XCTAssertEqual(x.grad!.values, y.values.enumerated().map { i, v in v == 0 && x.values[i] != 0 ? 0 : 1 / 0.6 })
    }
}
