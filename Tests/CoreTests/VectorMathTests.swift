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
}
