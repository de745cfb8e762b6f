import XCTest
import Core
import Models

/// Caches that continue a shared prefix (`KVCache(continuing:sharing:capacity:)`) must give exactly the logits
/// of running each whole sequence alone, for prompts (GEMM kernel) and decoding (row kernel, with the
/// group GEMM over the shared block), whether they share all of the prefix or part of it.
final class SharedPrefixCacheTests: XCTestCase {
    let model: CausalLM = {
        let m = CausalLM(config: .llama(vocabSize: 40, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24), seed: 5)
        var rng = SeededRandom(seed: 6)
        for i in 0..<m.parameters.count { m.parameters.valuePointer[i] += 0.4 * rng.nextNormal() }
        return m
    }()

    func fullLogits(_ ids: [Int32]) -> [[Float]] {
        let v = model.config.vocabSize
        let all = Autograd.withNoGrad { model.logits(ids, batch: 1, length: ids.count) }.values
        return (0..<ids.count).map { Array(all[($0 * v)..<(($0 + 1) * v)]) }
    }

    func assertClose(_ a: [Float], _ b: [Float], _ message: String) {
        XCTAssertEqual(a.count, b.count, message)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4, message)
    }

    func testContinuationsMatchWholeSequences() {
        let prefix: [Int32] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]
        let root = model.makeCache(capacity: prefix.count)
        model.fill([prefix], caches: [root])
        // Suffixes of every length class: 1 token (decode kernel), 3 (decode), 12 (prompt kernel); two share
        // only part of the prefix.
        let cases: [(share: Int, rest: [Int32])] = [(12, [7]), (12, [9, 9, 1]), (5, [30, 2, 2, 7, 11, 12, 13, 14, 15, 16, 17, 18]),
                                                     (12, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), (7, [20])]
        let caches = cases.map { KVCache(continuing: root, sharing: $0.share, capacity: $0.rest.count + 4) }
        let logits = model.extend(cases.map(\.rest), caches: caches, logits: .allRows).values
        let v = model.config.vocabSize
        var row = 0
        for (share, rest) in cases {
            let whole = Array(prefix.prefix(share)) + rest
            let want = fullLogits(whole)
            for i in rest.indices {
                assertClose(Array(logits[(row * v)..<((row + 1) * v)]), want[share + i], "sharing \(share), row \(i)")
                row += 1
            }
        }
        // Decode steps on top: one token each, all continuing the same root (the grouped path), plus a nested cache.
        let nested = KVCache(continuing: caches[0], capacity: 2)
        let step = model.extend([[4], [4], [4], [4], [4], [6]], caches: caches + [nested]).values
        for (i, (share, rest)) in cases.enumerated() {
            let want = fullLogits(Array(prefix.prefix(share)) + rest + [4]).last!
            assertClose(Array(step[(i * v)..<((i + 1) * v)]), want, "decode step, case \(i)")
        }
        let wantNested = fullLogits(prefix + [7, 6]).last!
        assertClose(Array(step[(5 * v)...]), wantNested, "nested cache")
    }

    func testSharingMoreThanTheParentHoldsIsRefused() {
        let root = model.makeCache(capacity: 4)
        model.fill([[1, 2]], caches: [root])
        XCTAssertEqual(root.position, 2)
        let child = KVCache(continuing: root, capacity: 3)
        XCTAssertEqual(child.sharedLength, 2)
        XCTAssertEqual(child.position, 2)
    }
}
