import XCTest
import Models

final class LlamaConfigTests: XCTestCase {
    func testSmolLM2GeometryHasTheKnownParameterCount() {
        let c = LlamaConfig.smolLM2_135M
        let perLayer = 2 * c.hidden + c.hidden * (c.heads + 2 * c.kvHeads) * c.headDim + c.heads * c.headDim * c.hidden
            + 3 * c.hidden * c.intermediate
        XCTAssertEqual(c.vocabSize * c.hidden + c.layers * perLayer + c.hidden, 134_515_008)
        XCTAssertNil(c.validationError())
    }

    func testInvalidGeometriesAreExplained() {
        var c = LlamaConfig.smolLM2_135M
        c.kvHeads = 4
        XCTAssertEqual(c.validationError(), "9 heads are not a multiple of the 4 key/value heads")
        c = .smolLM2_135M
        c.hidden = 577
        XCTAssertEqual(c.validationError(), "hidden size 577 is not a multiple of the 9 heads")
    }
}
