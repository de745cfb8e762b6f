import Foundation
import XCTest
import Core
@testable import NN

/// `Tests/Fixtures/optimizer_reference.json`, written by `tools/make_optimizer_fixture.py` (PyTorch).
/// Parameter vectors are the tensors concatenated in order, as a `ParameterStore` lays them out.
struct OptimizerFixture: Decodable {
    struct TensorSpec: Decodable { let name: String; let shape: [Int] }
    struct Run: Decodable {
        let hyperparameters: [String: Double]
        let lr: [Double]
        let params: [[Float]]
    }
    struct OneCycle: Decodable {
        let max_lr: Float, total_steps: Int, pct_start: Double, div_factor: Double, final_div_factor: Double
        let lr: [Double]
    }
    struct Cosine: Decodable {
        let max_lr: Float, warmup_steps: Int, total_steps: Int, min_lr: Float
        let lr: [Double]
    }
    let steps: Int
    let tensors: [TensorSpec]
    let initial: [Float]
    let grads: [[Float]]
    let lilith: [String: Run]
    let adamw: Run
    let one_cycle: [OneCycle]
    let cosine: [Cosine]

    static func load() throws -> OptimizerFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/optimizer_reference.json")
        return try JSONDecoder().decode(OptimizerFixture.self, from: Data(contentsOf: url))
    }

    /// A store with the fixture's tensors, holding `values` (the initial values unless given).
    func makeStore(values: [Float]? = nil) -> ParameterStore {
        let store = ParameterStore()
        for t in tensors { _ = store.declare(t.name, t.shape, .zeros) }
        store.allocate(seed: 0)
        store.valuePointer.update(from: values ?? initial, count: store.count)
        return store
    }

    /// The schedule that produced the trajectories' learning rates (PyTorch OneCycleLR, defaults).
    var schedule: LearningRateSchedule { .oneCycle(maxLR: one_cycle[0].max_lr, totalSteps: steps) }
}

func values(_ store: ParameterStore) -> [Float] {
    Array(UnsafeBufferPointer(start: store.valuePointer, count: store.count))
}

/// Runs `optimizer` over fixture steps `range`, the learning rate from the fixture's schedule.
func train(_ optimizer: some Optimizer, _ store: ParameterStore, _ fixture: OptimizerFixture, steps range: Range<Int>,
           after: (Int) -> Void = { _ in }) {
    for step in range {
        store.gradPointer.update(from: fixture.grads[step], count: store.count)
        optimizer.learningRate = fixture.schedule.learningRate(at: step)
        optimizer.update()
        after(step)
    }
}

final class LilithTests: XCTestCase {
    func makeLilith(_ store: ParameterStore, _ h: [String: Double]) -> Lilith {
        Lilith(store, learningRate: 0, eps: Float(h["eps"]!), beta1M: Float(h["beta1_m"]!),
               beta2M: Float(h["beta2_m"]!), betaV: Float(h["beta_v"]!), weightDecay: Float(h["weight_decay"]!),
               gNormMin: Float(h["g_norm_min"]!), ratioMin: Float(h["ratio_min"]!),
               acceleration: Float(h["acceleration"]!), emaK: Int(h["ema_k"]!), emaBeta: Float(h["ema_beta"]!))
    }

    /// Largest |parameter − reference| over all steps, failing at 1e-6.
    func assertFollows(_ run: OptimizerFixture.Run, _ optimizer: some Optimizer, _ store: ParameterStore,
                       _ fixture: OptimizerFixture, _ label: String) {
        var worst: Float = 0
        train(optimizer, store, fixture, steps: 0..<fixture.steps) { step in
            XCTAssertEqual(Double(optimizer.learningRate), run.lr[step], accuracy: 1e-6, "\(label) lr at step \(step)")
            worst = max(worst, zip(values(store), run.params[step]).map { abs($0 - $1) }.max()!)
        }
        XCTAssertLessThanOrEqual(worst, 1e-6, label)
        print("\(label): max |param − PyTorch| over \(fixture.steps) steps = \(worst)")
    }

    func testLilithMatchesPyTorchTranscription() throws {
        let fixture = try OptimizerFixture.load()
        for name in ["default", "branches"] {
            let run = fixture.lilith[name]!, store = fixture.makeStore()
            assertFollows(run, makeLilith(store, run.hyperparameters), store, fixture, "lilith \(name)")
        }
    }

    func testDefaultsAreTheNotes() throws {
        let fixture = try OptimizerFixture.load()
        let lilith = Lilith(fixture.makeStore(), learningRate: 1e-3)
        let expected = fixture.lilith["default"]!.hyperparameters
        XCTAssertEqual(lilith.hyperparameters.count, expected.count)
        for (name, value) in lilith.hyperparameters { XCTAssertEqual(Double(value), expected[name], name) }
        XCTAssertEqual(lilith.stateBuffers.map(\.name), ["m1", "m2", "v"])
    }

    func testAdamWMatchesTorchAdamW() throws {
        let fixture = try OptimizerFixture.load()
        let run = fixture.adamw, h = run.hyperparameters, store = fixture.makeStore()
        let adamw = AdamW(store, learningRate: 0, beta1: Float(h["beta1"]!), beta2: Float(h["beta2"]!),
                          eps: Float(h["eps"]!), weightDecay: Float(h["weight_decay"]!))
        assertFollows(run, adamw, store, fixture, "adamw")
    }

    /// Ten steps, a snapshot, a fresh store and optimizer restored from it, ten more steps: bit for bit the
    /// same parameters and state as twenty straight steps.
    func testRestoredRunContinuesBitIdentically() throws {
        let fixture = try OptimizerFixture.load()
        let h = fixture.lilith["branches"]!.hyperparameters  // ema_k 3: the snapshot falls between averages
        let makers: [(String, (ParameterStore) -> any Optimizer)] = [
            ("lilith", { self.makeLilith($0, h) }),
            ("adamw", { AdamW($0, learningRate: 0, weightDecay: 0.1) }),
        ]
        for (label, make) in makers {
            let straightStore = fixture.makeStore(), straight = make(straightStore)
            train(straight, straightStore, fixture, steps: 0..<20)

            let firstStore = fixture.makeStore(), first = make(firstStore)
            train(first, firstStore, fixture, steps: 0..<10)
            let saved = Dictionary(uniqueKeysWithValues: first.stateBuffers.map {
                ($0.name, Array(UnsafeBufferPointer(start: $0.storage.pointer, count: $0.storage.count)))
            })
            let resumedStore = fixture.makeStore(values: values(firstStore)), resumed = make(resumedStore)
            try resumed.restore(step: first.step, buffers: saved)
            train(resumed, resumedStore, fixture, steps: 10..<20)

            XCTAssertEqual(resumed.step, 20, label)
            XCTAssertEqual(values(resumedStore).map(\.bitPattern), values(straightStore).map(\.bitPattern), label)
            for (a, b) in zip(resumed.stateBuffers, straight.stateBuffers) {
                XCTAssertEqual(UnsafeBufferPointer(start: a.storage.pointer, count: a.storage.count).map(\.bitPattern),
                               UnsafeBufferPointer(start: b.storage.pointer, count: b.storage.count).map(\.bitPattern),
                               "\(label) \(a.name)")
            }
        }
    }

    func testRestoreRejectsMismatchedStateAndChangesNothing() throws {
        let fixture = try OptimizerFixture.load()
        let store = fixture.makeStore(), n = store.count
        let lilith = Lilith(store, learningRate: 1e-3, emaK: 2)
        let good: [String: [Float]] = ["m1": .init(repeating: 1, count: n), "m2": .init(repeating: 2, count: n),
                                       "v": .init(repeating: 3, count: n), "ema": .init(repeating: 4, count: n)]
        func assertThrows(_ step: Int, _ buffers: [String: [Float]], _ phrase: String, line: UInt = #line) {
            XCTAssertThrowsError(try lilith.restore(step: step, buffers: buffers), line: line) { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(error)", line: line)
            }
            XCTAssertEqual(lilith.step, 0, line: line)
            XCTAssertTrue(lilith.stateBuffers.allSatisfy { b in (0..<b.storage.count).allSatisfy { b.storage.pointer[$0] == 0 } },
                          "a failed restore wrote state", line: line)
        }
        var short = good; short["v"] = [Float](repeating: 3, count: n - 1)
        assertThrows(5, short, "state buffer v has \(n - 1) values, the parameters have \(n)")
        var missing = good; missing["ema"] = nil
        assertThrows(5, missing, "missing [\"ema\"]")
        var extra = good; extra["m"] = good["m1"]
        assertThrows(5, extra, "unexpected [\"m\"]")
        assertThrows(-1, good, "step -1 is negative")

        let adamw = AdamW(store, learningRate: 1e-3)
        XCTAssertThrowsError(try adamw.restore(step: 1, buffers: ["m": [0], "v": [0]])) { error in
            XCTAssertEqual("\(error)", "adamw: state buffer m has 1 values, the parameters have \(n)")
        }
        try lilith.restore(step: 7, buffers: good)
        XCTAssertEqual(lilith.step, 7)
        XCTAssertEqual(lilith.stateBuffers.map { $0.storage.pointer[n - 1] }, [1, 2, 3, 4])
    }

    /// Trust ratios of a tensor spanning several norm blocks (and of one at each clamp) against Double.
    func testTrustRatiosOverSeveralBlocks() {
        let store = ParameterStore()
        let big = store.declare("big", [300, 129], .normal(std: 0.05))
        let tiny = store.declare("tiny", [4], .normal(std: 1e-9))
        let quiet = store.declare("quiet", [2, 2], .normal(std: 1))
        let one = store.declare("one", [1], .normal(std: 1))
        store.allocate(seed: 4)
        var rng = SeededRandom(seed: 8)
        for i in 0..<store.count { store.gradPointer[i] = rng.nextNormal() }
        for i in quiet.offset..<(quiet.offset + quiet.count) { store.gradPointer[i] *= 1e-6 }
        func norm(_ x: UnsafeMutablePointer<Float>, _ p: Parameter) -> Double {
            (p.offset..<(p.offset + p.count)).map { Double(x[$0]) * Double(x[$0]) }.reduce(0, +).squareRoot()
        }
        let ratios = Lilith(store, learningRate: 1e-3).trustRatios()
        let expected = [big, tiny, quiet].map { p in
            max(Double(Float(1e-4)), norm(store.valuePointer, p) / max(norm(store.gradPointer, p), Double(Float(1e-4))))
        } + [1]
        for (got, want) in zip(ratios, expected) { XCTAssertEqual(Double(got), want, accuracy: want * 1e-6) }
        XCTAssertEqual(ratios[1], 1e-4)  // ratio_min
        XCTAssertGreaterThan(big.count, 2 * Lilith.blockSize)
        XCTAssertEqual(one.count, 1)
    }

    /// A tensor of several blocks with a ragged tail, against a scalar Double transcription of the notes;
    /// and the same bits whatever the thread count.
    func testMultiBlockTensorsAndThreadCountIndependence() {
        let shapes = [[130, 257], [3], [1]]
        func run(threads: Int) -> [Float] {
            let saved = Parallel.threads
            Parallel.threads = threads
            defer { Parallel.threads = saved }
            let store = ParameterStore()
            for (i, shape) in shapes.enumerated() { _ = store.declare("t\(i)", shape, .normal(std: 0.02)) }
            store.allocate(seed: 3)
            let lilith = Lilith(store, learningRate: 1e-2)
            var rng = SeededRandom(seed: 11)
            for step in 0..<5 {
                for i in 0..<store.count { store.gradPointer[i] = rng.nextNormal() * Float(step + 1) }
                lilith.update()
            }
            return values(store)
        }
        let serial = run(threads: 1), parallel = run(threads: 3)
        XCTAssertEqual(serial.map(\.bitPattern), parallel.map(\.bitPattern))

        // The reference: the same initial values and gradients, per tensor in Double.
        let store = ParameterStore()
        let params = shapes.enumerated().map { store.declare("t\($0.offset)", $0.element, .normal(std: 0.02)) }
        store.allocate(seed: 3)
        var p = values(store).map(Double.init)
        var m1 = [Double](repeating: 0, count: p.count), m2 = m1, v = m1
        var rng = SeededRandom(seed: 11)
        for step in 1...5 {
            var g = (0..<p.count).map { _ in Double(rng.nextNormal() * Float(step)) }
            for param in params {
                let r = param.offset..<(param.offset + param.count)
                if param.count > 1 {
                    let pn = r.map { p[$0] * p[$0] }.reduce(0, +).squareRoot()
                    let gn = r.map { g[$0] * g[$0] }.reduce(0, +).squareRoot()
                    let ratio = max(1e-4, pn / max(gn, 1e-4))
                    for i in r { g[i] *= ratio }
                }
                for i in r {
                    let m1p = m1[i]
                    m1[i] = 0.9 * (m1[i] + m2[i]) + 0.1 * g[i]
                    m2[i] = 0.99 * m2[i] + 0.01 * (m1[i] - m1p)
                    let u = m1[i] + m2[i]
                    v[i] = 0.999 * v[i] + 0.001 * u * u
                    p[i] -= 1e-2 * (u / (v[i] / (1 - pow(0.999, Double(step))) + 1e-8).squareRoot() + 0.01 * p[i])
                }
            }
        }
        let worst = zip(serial, p).map { abs(Double($0) - $1) }.max()!
        XCTAssertLessThan(worst, 2e-6)
    }
}
