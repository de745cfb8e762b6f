import XCTest
@testable import Core

final class BufferPoolTests: XCTestCase {
    /// Size classes cover the request, waste at most 1/8 above 4096 elements, and are shared by nearby sizes
    /// (so batches of varying shapes reuse buffers).
    func testSizeClassesCoverRequestsWithBoundedWaste() {
        var rng = SeededRandom(seed: 5)
        var previous = 0
        for n in Array(1...10_000) + (0..<2000).map({ _ in 4097 + rng.nextInt(below: 200_000_000) }).sorted() {
            let c = BufferPool.sizeClass(n)
            XCTAssertGreaterThanOrEqual(c, n)
            XCTAssertGreaterThanOrEqual(c, previous, "classes grow with the request")
            if n > 4096 { XCTAssertLessThanOrEqual(Double(c - n) / Double(n), 0.125, "\(n) → \(c)") }
            previous = c
        }
        XCTAssertEqual(BufferPool.sizeClass(300_001), BufferPool.sizeClass(310_000))
    }

    func testReleasedBuffersAreReusedAcrossNearbySizes() {
        // Earlier tests in the same process may have filled the cache to its limit, in which case a released
        // buffer goes back to the system instead: start from an empty cache.
        BufferPool.shared.trim()
        let first = Storage(uninitializedCount: 1_000_000)
        let address = first.pointer
        _ = consume first
        let second = Storage(uninitializedCount: 990_000)
        XCTAssertEqual(second.pointer, address)
    }
}
