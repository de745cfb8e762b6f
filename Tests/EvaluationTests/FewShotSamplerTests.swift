import XCTest
@testable import Evaluation

final class FewShotSamplerTests: XCTestCase {
    func testHashIsFNV1a64() {
        XCTAssertEqual(FewShotSampler.fnv1a64(""), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(FewShotSampler.fnv1a64("a"), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(FewShotSampler.fnv1a64("foobar"), 0x8594_4171_f739_67e8)
    }

    func testShotsNeverIncludeTheItemAndMostItemsShareThem() {
        let ids = (0..<50).map { "q\($0)" }
        let sampler = FewShotSampler(ids: ids, seed: 1234)
        XCTAssertEqual(Set(sampler.order), Set(ids.indices))
        let common = Array(sampler.order.prefix(5))
        for i in ids.indices {
            let shots = sampler.shots(5, for: i)
            XCTAssertEqual(shots.count, 5)
            XCTAssertFalse(shots.contains(i), "item \(i) is its own example")
            if !common.contains(i) { XCTAssertEqual(shots, common) }
        }
        XCTAssertNotEqual(FewShotSampler(ids: ids, seed: 1).order, sampler.order, "the seed changes the order")
    }
}
