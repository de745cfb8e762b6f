import XCTest
import Foundation
@testable import Core

final class VectorMathTests: XCTestCase {
    /// exp8 against Foundation's exp over the whole useful range: relative error below 5e-7, underflow to 0.
    func testExpApproximationAccuracy() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = exp8(F8(x, x + 0.001, x + 0.01, x + 0.1, x + 0.2, x + 0.3, x + 0.4, x + 0.5))
            for lane in 0..<8 {
                let xi = [x, x + 0.001, x + 0.01, x + 0.1, x + 0.2, x + 0.3, x + 0.4, x + 0.5][lane]
                guard xi < 88 else { continue }
                let ref = Foundation.exp(Double(xi))
                worst = max(worst, Float(abs(Double(v[lane]) - ref) / ref))
            }
            x += 0.37
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(exp8(F8(repeating: -100))[0], 0)
        XCTAssertEqual(exp8(F8(repeating: -.infinity))[0], 0)
        XCTAssertEqual(expApprox(0), 1)
    }

    /// erf8 and the erf GELU against Foundation's erf: absolute error below 5e-7 over [-6, 6] (and exact signs).
    func testErfAndExactGELUAccuracy() {
        var worstErf = 0.0, worstGELU = 0.0
        var x = -6.0
        while x <= 6 {
            let lanes = (0..<8).map { x + 0.0013 * Double($0) }
            let v = F8(lanes.map { Float($0) })
            let e = erf8(v), g = geluErf8(v)
            for (lane, xi) in lanes.enumerated() {
                let xf = Double(Float(xi))
                worstErf = max(worstErf, abs(Double(e[lane]) - Foundation.erf(xf)))
                worstGELU = max(worstGELU, abs(Double(g[lane]) - 0.5 * xf * (1 + Foundation.erf(xf / 2.squareRoot()))))
            }
            x += 0.0107
        }
        XCTAssertLessThan(worstErf, 5e-7)
        XCTAssertLessThan(worstGELU, 1e-6)
        XCTAssertEqual(erf8(F8(repeating: 0))[0], 0, accuracy: 1e-7)
        XCTAssertEqual(erf8(F8(repeating: -3))[0], -Float(Foundation.erf(3.0)), accuracy: 5e-7)
    }
}
