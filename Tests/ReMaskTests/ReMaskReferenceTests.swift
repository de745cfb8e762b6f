import XCTest
import Core
import Models
@testable import ReMask
import TestSupport

/// remask's objectives against PyTorch: `tools/make_remask_fixture.py` computes every objective's loss, its
/// parts and the gradient of every parameter of the tiny Llama fixture for a fixed mask; remask reads the same
/// tokens, mask and labels and must agree within 1e-5.
final class ReMaskReferenceTests: XCTestCase {
    struct Fixture: Decodable {
        let tokens: [[Int32]], maskedTokens: [[Int32]], labels: [[Int32]]
        let cases: [Case]
        struct Case: Decodable {
            let name: String, objective: String, divergence: String?
            let weight: Float?, detach: Bool?
            let loss: Double, ceMasked: Double, ceFull: Double, d: Double?
            let grad: [String: [Float]]
        }
    }

    func testEveryObjectiveMatchesPyTorch() throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let fixture = try decoder.decode(Fixture.self, from: Data(contentsOf: fixturesDirectory.appendingPathComponent("remask_loss_tiny_llama.json")))
        let model = try LanguageModel.load(fixturesDirectory.appendingPathComponent("tiny-llama").path).model
        let batch = fixture.tokens.count, length = fixture.tokens[0].count
        let input = ObjectiveInput(tokens: fixture.tokens.flatMap { $0 }, maskedTokens: fixture.maskedTokens.flatMap { $0 },
                                   labels: fixture.labels.flatMap { $0 }, batch: batch, length: length)
        XCTAssertEqual(fixture.cases.count, 13)
        for c in fixture.cases {
            let objective = try XCTUnwrap(Objective(rawValue: c.objective), c.name)
            var settings = ConsistencySettings()
            if let d = c.divergence { settings.divergence = try XCTUnwrap(Divergence(rawValue: d), c.name) }
            if let w = c.weight { settings.weight = w }
            settings.detachFull = c.detach ?? false
            model.parameters.zeroGrad()
            let result = model.loss(objective, input, consistency: settings)
            result.loss.backward()
            XCTAssertEqual(result.value, c.loss, accuracy: 1e-5, c.name)
            if let ce = result.ceMasked { XCTAssertEqual(ce, c.ceMasked, accuracy: 1e-5, c.name) }
            if let ce = result.ceFull { XCTAssertEqual(ce, c.ceFull, accuracy: 1e-5, c.name) }
            if let d = c.d { XCTAssertEqual(try XCTUnwrap(result.divergence, c.name), d, accuracy: 1e-5, c.name) }
            XCTAssertEqual(c.grad.count, model.parameters.parameters.count, c.name)
            var worst: Float = 0
            for p in model.parameters.parameters {
                let expected = try XCTUnwrap(c.grad[p.name], "\(c.name): \(p.name)")
                XCTAssertEqual(expected.count, p.count, p.name)
                let g = model.parameters.gradPointer + p.offset
                for i in 0..<min(p.count, expected.count) { worst = max(worst, abs(g[i] - expected[i])) }
            }
            XCTAssertLessThan(worst, 1e-5, "\(c.name): largest gradient difference")
        }
    }
}
