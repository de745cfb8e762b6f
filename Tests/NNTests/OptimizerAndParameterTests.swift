import XCTest
import Core
import NN

final class OptimizerAndParameterTests: XCTestCase {
    /// AdamW over the flat buffer against a scalar transcription of the update rule (Loshchilov & Hutter),
    /// with decay only on matrices.
    func testAdamWMatchesScalarReference() {
        let store = ParameterStore()
        let w = store.declare("w", [3, 5], .normal(std: 1))
        let b = store.declare("b", [5], .normal(std: 1))
        store.allocate(seed: 9)
        let opt = AdamW(store, learningRate: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1)
        var p = Array(UnsafeBufferPointer(start: store.valuePointer, count: store.count)).map(Double.init)
        var m = [Double](repeating: 0, count: p.count), v = m
        var rng = SeededRandom(seed: 5)
        for step in 1...20 {
            var grads = [Float](repeating: 0, count: store.count)
            for i in grads.indices { grads[i] = rng.nextNormal() }
            store.gradPointer.update(from: grads, count: grads.count)
            opt.update()
            for i in p.indices {
                let g = Double(grads[i]), decays = i < w.count
                m[i] = 0.8 * m[i] + 0.2 * g
                v[i] = 0.95 * v[i] + 0.05 * g * g
                let mh = m[i] / (1 - pow(0.8, Double(step))), vh = v[i] / (1 - pow(0.95, Double(step)))
                if decays { p[i] *= 1 - 0.05 * 0.1 }
                p[i] -= 0.05 * mh / (vh.squareRoot() + 1e-6)
            }
        }
        let got = Array(UnsafeBufferPointer(start: store.valuePointer, count: store.count))
        for i in p.indices { XCTAssertEqual(Double(got[i]), p[i], accuracy: 2e-5, "element \(i)") }
        XCTAssertEqual(b.offset, 15)
    }

    func testFlatBuffersZeroClipAndConcatenatedViews() {
        let store = ParameterStore()
        let a = store.declare("a.weight", [2, 3], .ones)
        let b = store.declare("b.weight", [1, 3], .zeros)
        store.allocate(seed: 0)
        XCTAssertEqual(store.count, 9)
        // A concatenated view's gradient lands in each part's slice of the flat gradient buffer.
        let view = store.concatenatedView([a, b])
        XCTAssertEqual(view.shape, [3, 3])
        let x = Tensor([1, 2, 3], shape: [1, 3])
        x.linear(view).sum().backward()
        XCTAssertEqual(a.tensor.grad!.values, [1, 2, 3, 1, 2, 3])
        XCTAssertEqual(b.tensor.grad!.values, [1, 2, 3])
        // Backward accumulates across micro-batches until zeroGrad.
        x.linear(view).sum().backward()
        XCTAssertEqual(b.tensor.grad!.values, [2, 4, 6])
        let norm = store.clipGradNorm(1)
        XCTAssertEqual(norm, (3 * 56 as Float).squareRoot(), accuracy: 1e-4)
        XCTAssertEqual(store.gradNorm(), 1, accuracy: 1e-4)
        store.zeroGrad()
        XCTAssertEqual(store.gradNorm(), 0)
    }
}
