import XCTest
import Core
@testable import ReMask

final class CollationTests: XCTestCase {
    static let dataset: TokenizedDataset = {
        var rng = SeededRandom(seed: 21)
        let examples = (0..<203).map { _ in DataFixtures.randomExample(&rng) }
        return try! DataFixtures.seedTokenizer(maxLength: 256).tokenize(examples)
    }()

    var dataset: TokenizedDataset { Self.dataset }

    func planner(_ strategy: BatchPlanner.Strategy, seed: UInt64 = 1) -> BatchPlanner {
        BatchPlanner(dataset: dataset, strategy: strategy, padID: DataFixtures.tokenizer.eosID!, seed: seed)
    }

    /// Every example exactly once per epoch.
    func assertCoversEpoch(_ plan: [[[Int]]], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(plan.flatMap { $0.flatMap { $0 } }.sorted(), Array(dataset.examples.indices), file: file, line: line)
    }

    /// The batch holds each example's tokens, roles and labels at its span, and padding elsewhere.
    func assertContents(_ b: Batch, file: StaticString = #filePath, line: UInt = #line) {
        var covered = [Bool](repeating: false, count: b.rows * b.length)
        for s in b.spans {
            let e = dataset.examples[s.example]
            let at = s.row * b.length + s.start
            XCTAssertEqual(Array(b.tokens[at..<at + s.count]), e.tokens, file: file, line: line)
            XCTAssertEqual(Array(b.roles[at..<at + s.count]), e.roles, file: file, line: line)
            XCTAssertEqual(Array(b.labels[at..<at + s.count]), e.labels, file: file, line: line)
            for i in at..<at + s.count { covered[i] = true }
        }
        for i in covered.indices where !covered[i] {
            XCTAssertEqual(b.roles[i], .padding, file: file, line: line)
            XCTAssertEqual(b.labels[i], Tensor.ignoreIndex, file: file, line: line)
        }
        XCTAssertEqual(b.realTokens, covered.filter { $0 }.count, file: file, line: line)
    }

    func testBucketingIsDeterministicPadsToTheLongestAndSortsWithinPools() {
        let p = planner(.bucketed(batchSize: 8, poolBatches: 4))
        let plan = p.plan(epoch: 0)
        XCTAssertEqual(plan, p.plan(epoch: 0))
        XCTAssertEqual(plan, planner(.bucketed(batchSize: 8, poolBatches: 4)).plan(epoch: 0), "a new planner, same seed")
        XCTAssertNotEqual(plan, p.plan(epoch: 1))
        XCTAssertNotEqual(plan, planner(.bucketed(batchSize: 8, poolBatches: 4), seed: 2).plan(epoch: 0))
        assertCoversEpoch(plan)
        assertCoversEpoch(p.plan(epoch: 1))
        XCTAssertEqual(plan.count, 26)
        XCTAssertEqual(plan.filter { $0.count < 8 }.count, 1, "one short batch: 203 = 25·8 + 3")
        var padding = 0
        for rows in plan {
            let b = p.batch(rows)
            XCTAssertNil(b.layout)
            XCTAssertEqual(b.length, rows.map { dataset.examples[$0[0]].count }.max())
            XCTAssertEqual(b.spans.map(\.start), [Int](repeating: 0, count: rows.count))
            assertContents(b)
            padding += b.rows * b.length - b.realTokens
        }
        // Sorting within pools keeps padding well below what random batches of this data would need.
        var rng = SeededRandom(seed: 9)
        var order = Array(dataset.examples.indices)
        rng.shuffle(&order)
        let randomPadding = stride(from: 0, to: order.count, by: 8).reduce(0) { sum, start in
            let lengths = order[start..<min(start + 8, order.count)].map { dataset.examples[$0].count }
            return sum + lengths.count * lengths.max()! - lengths.reduce(0, +)
        }
        XCTAssertLessThan(padding * 2, randomPadding)
    }

    /// Resuming at (epoch, index) replays the same batches as an uninterrupted run.
    func testResumeFromEpochAndIndex() {
        let strategies: [BatchPlanner.Strategy] = [.bucketed(batchSize: 4), .packed(rows: 2)]
        for s in strategies {
            let run = planner(s, seed: 77)
            let uninterrupted = (0..<3).flatMap { e in run.plan(epoch: e).map { (e, $0) } }
            let resumed = planner(s, seed: 77)
            let (epoch, index) = (1, 5)
            let tail = resumed.plan(epoch: epoch)[index...].map { (epoch, $0) } + resumed.plan(epoch: 2).map { (2, $0) }
            let offset = run.plan(epoch: 0).count + index
            XCTAssertEqual(tail.map(\.1), uninterrupted[offset...].map(\.1))
            XCTAssertEqual(resumed.batch(tail[0].1).tokens, run.batch(uninterrupted[offset].1).tokens)
        }
    }

    func testPackingNeverCrossesExampleBoundaries() throws {
        let p = planner(.packed(rows: 3))
        let plan = p.plan(epoch: 0)
        assertCoversEpoch(plan)
        XCTAssertEqual(plan, p.plan(epoch: 0))
        let total = dataset.examples.reduce(0) { $0 + $1.count }
        let rows = plan.reduce(0) { $0 + $1.count }
        XCTAssertLessThan(rows, dataset.examples.count / 2, "several examples per row")
        XCTAssertGreaterThan(Double(total) / Double(rows * dataset.maxLength), 0.85, "rows are mostly full")
        for rowsOfBatch in plan {
            let b = p.batch(rowsOfBatch)
            XCTAssertLessThanOrEqual(b.length, dataset.maxLength)
            assertContents(b)
            let layout = try XCTUnwrap(b.layout)
            XCTAssertNil(layout.validationError(batch: b.rows, length: b.length))
            for s in b.spans {
                let at = s.row * b.length + s.start
                for j in 0..<s.count {
                    XCTAssertEqual(layout.positions[at + j], Int32(j), "positions restart per example")
                    XCTAssertEqual(layout.segmentStart[at + j], Int32(s.start), "no attention before the example")
                    XCTAssertEqual(layout.sharedPrefix[at + j], 0)
                }
                XCTAssertEqual(b.labels[at + s.count - 1], Tensor.ignoreIndex, "no label across the boundary")
            }
        }
    }

    /// First fit: an item goes to the leftmost bin with room.
    func testFirstFit() {
        var bins = FirstFit(slots: 6, capacity: 10)
        XCTAssertEqual([6, 5, 4, 3, 7, 1, 10, 2].map { bins.place($0)! }, [0, 1, 0, 1, 2, 1, 3, 2])
        XCTAssertNil(bins.place(11))
    }
}
