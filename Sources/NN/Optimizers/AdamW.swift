import Foundation
import Core

/// AdamW (decoupled weight decay) over a `ParameterStore`'s flat buffers: one fused loop per parameter
/// slice, moments in flat buffers of the same layout. Weight decay applies to parameters whose `decays` is
/// set (matrices, by default).
public final class AdamW: Optimizer, @unchecked Sendable {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    public private(set) var step = 0
    let store: ParameterStore
    let m: Storage, v: Storage

    public init(_ store: ParameterStore, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                eps: Float = 1e-8, weightDecay: Float = 0.01) {
        self.store = store
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        m = Storage(zeroedCount: store.count)
        v = Storage(zeroedCount: store.count)
    }

    public var name: String { "adamw" }

    public var hyperparameters: [(name: String, value: Float)] {
        [("beta1", beta1), ("beta2", beta2), ("eps", eps), ("weight_decay", weightDecay)]
    }

    public var stateBuffers: [(name: String, storage: Storage)] { [("m", m), ("v", v)] }

    public func restore(step: Int, buffers: [String: [Float]]) throws {
        try restoreState(step: step, buffers: buffers) { self.step = $0 }
    }

    /// Applies one update from the accumulated gradients (it does not zero them).
    public func update() {
        step += 1
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = eps
        let bc1 = 1 - pow(b1, Float(step)), bc2 = 1 - pow(b2, Float(step))
        let p = store.valuePointer, g = store.gradPointer, pm = m.pointer, pv = v.pointer
        for param in store.parameters {
            let decay = param.decays ? 1 - lr * weightDecay : 1
            let base = param.offset
            Parallel.forChunks(param.count, minChunk: 1 << 15) { r in
                let vb1 = SIMD8<Float>(repeating: b1), vb2 = SIMD8<Float>(repeating: b2)
                let step = SIMD8<Float>(repeating: lr / bc1), rbc2 = SIMD8<Float>(repeating: 1 / bc2)
                let vdecay = SIMD8<Float>(repeating: decay), veps = SIMD8<Float>(repeating: eps)
                var i = base + r.lowerBound
                let end = base + r.upperBound
                while i + 8 <= end {
                    let gi = load8(g + i)
                    let mi = vb1 * load8(pm + i) + (1 - vb1) * gi
                    let vi = vb2 * load8(pv + i) + (1 - vb2) * gi * gi
                    store8(mi, pm + i); store8(vi, pv + i)
                    store8(load8(p + i) * vdecay - step * mi / ((vi * rbc2).squareRoot() + veps), p + i)
                    i += 8
                }
                while i < end {
                    pm[i] = b1 * pm[i] + (1 - b1) * g[i]
                    pv[i] = b2 * pv[i] + (1 - b2) * g[i] * g[i]
                    p[i] = p[i] * decay - lr / bc1 * pm[i] / ((pv[i] / bc2).squareRoot() + eps)
                    i += 1
                }
            }
        }
    }
}
