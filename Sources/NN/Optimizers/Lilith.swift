import Foundation
import Core

/// Lilith over a `ParameterStore`'s flat buffers, per parameter tensor (step t from 1):
///
///     if the tensor has more than one element:
///         g = g · max(ratio_min, ‖p‖ / max(‖g‖, g_norm_min))          trust ratio, L2 norms over the tensor
///     m1' = β1m·(m1 + m2) + (1 − β1m)·g
///     m2' = β2m·m2 + (1 − β2m)·(m1' − m1)
///     u   = m1' + acceleration·m2'
///     v'  = βv·v + (1 − βv)·u²
///     u   = u / √(v'/(1 − βvᵗ) + eps) + weight_decay·p                 weight decay on every tensor
///     p   = p − lr·u
///     if ema_k > 0: ema = ema_β·ema + (1 − ema_β)·p, and every ema_k steps p = ema
///
/// The exponential average starts at the parameters as they are at the first update (upstream Lilith's
/// `state['ema'] = p.data.clone()`), not at zero: an average that started at zero would pull every
/// parameter to a few percent of its value at step ema_k.
///
/// The store is cut into fixed blocks that never straddle two tensors. The squared norms are summed per
/// block in parallel and then per tensor in block order, so they do not depend on thread count or timing;
/// a second parallel pass over the same blocks applies the fused update.
public final class Lilith: Optimizer, @unchecked Sendable {
    public var learningRate: Float
    public let eps: Float, beta1M: Float, beta2M: Float, betaV: Float, weightDecay: Float
    public let gNormMin: Float, ratioMin: Float, acceleration: Float
    /// Every `emaK` steps the parameters are replaced by their exponential average; 0 turns it off.
    public let emaK: Int
    public let emaBeta: Float
    public private(set) var step = 0
    let store: ParameterStore
    let m1: Storage, m2: Storage, v: Storage
    let ema: Storage?
    /// Element ranges of the flat buffers and the tensor each lies in, in store order.
    private let blocks: [(tensor: Int, range: Range<Int>)]
    /// Whether each tensor has more than one element (and so gets a trust ratio).
    private let hasTrustRatio: [Bool]

    static let blockSize = 1 << 14

    public init(_ store: ParameterStore, learningRate: Float, eps: Float = 1e-8, beta1M: Float = 0.9,
                beta2M: Float = 0.99, betaV: Float = 0.999, weightDecay: Float = 0.01, gNormMin: Float = 1e-4,
                ratioMin: Float = 1e-4, acceleration: Float = 1, emaK: Int = 0, emaBeta: Float = 0.99) {
        for (name, beta) in [("beta1M", beta1M), ("beta2M", beta2M), ("betaV", betaV), ("emaBeta", emaBeta)] {
            check(beta >= 0 && beta < 1, "Lilith: \(name) must be in [0, 1), got \(beta)")
        }
        check(eps >= 0 && gNormMin > 0 && ratioMin >= 0 && weightDecay >= 0,
              "Lilith: need eps ≥ 0, gNormMin > 0, ratioMin ≥ 0, weightDecay ≥ 0; got \(eps), \(gNormMin), \(ratioMin), \(weightDecay)")
        check(emaK >= 0, "Lilith: emaK must be ≥ 0, got \(emaK)")
        self.store = store
        self.learningRate = learningRate
        self.eps = eps; self.beta1M = beta1M; self.beta2M = beta2M; self.betaV = betaV
        self.weightDecay = weightDecay; self.gNormMin = gNormMin; self.ratioMin = ratioMin
        self.acceleration = acceleration; self.emaK = emaK; self.emaBeta = emaBeta
        m1 = Storage(zeroedCount: store.count)
        m2 = Storage(zeroedCount: store.count)
        v = Storage(zeroedCount: store.count)
        ema = emaK > 0 ? Storage(zeroedCount: store.count) : nil
        var blocks: [(tensor: Int, range: Range<Int>)] = []
        for (t, param) in store.parameters.enumerated() {
            for start in stride(from: param.offset, to: param.offset + param.count, by: Self.blockSize) {
                blocks.append((t, start..<min(start + Self.blockSize, param.offset + param.count)))
            }
        }
        self.blocks = blocks
        hasTrustRatio = store.parameters.map { $0.count > 1 }
    }

    public var name: String { "lilith" }

    public var hyperparameters: [(name: String, value: Float)] {
        [("eps", eps), ("beta1_m", beta1M), ("beta2_m", beta2M), ("beta_v", betaV), ("weight_decay", weightDecay),
         ("g_norm_min", gNormMin), ("ratio_min", ratioMin), ("acceleration", acceleration), ("ema_k", Float(emaK)),
         ("ema_beta", emaBeta)]
    }

    public var stateBuffers: [(name: String, storage: Storage)] {
        [("m1", m1), ("m2", m2), ("v", v)] + (ema.map { [("ema", $0)] } ?? [])
    }

    public func restore(step: Int, buffers: [String: [Float]]) throws {
        try restoreState(step: step, buffers: buffers) { self.step = $0 }
    }

    /// Applies one update from the accumulated gradients (it does not zero them).
    public func update() {
        step += 1
        let scales = trustRatios()
        let p = store.valuePointer, g = store.gradPointer, m1 = m1.pointer, m2 = m2.pointer, v = v.pointer
        let ema = ema?.pointer
        let b1 = F8(repeating: beta1M), b1c = F8(repeating: 1 - beta1M)
        let b2 = F8(repeating: beta2M), b2c = F8(repeating: 1 - beta2M)
        let bv = F8(repeating: betaV), bvc = F8(repeating: 1 - betaV)
        let acc = F8(repeating: acceleration), veps = F8(repeating: eps), wd = F8(repeating: weightDecay)
        let lr = F8(repeating: learningRate)
        let bias = F8(repeating: Float(1 - pow(Double(betaV), Double(step))))
        let eb = F8(repeating: emaBeta), ebc = F8(repeating: 1 - emaBeta)
        let startEMA = step == 1, snap = emaK > 0 && step % emaK == 0

        /// Elements i..<i+n (n ≤ 8; short tails go through zero-padded lanes, so every element sees the
        /// same arithmetic).
        @inline(__always) func apply(_ i: Int, _ n: Int, _ scale: F8) {
            let gi = loadLanes(g + i, n) * scale
            let m1p = loadLanes(m1 + i, n), m2p = loadLanes(m2 + i, n)
            let m1n = b1 * (m1p + m2p) + b1c * gi
            let m2n = b2 * m2p + b2c * (m1n - m1p)
            var u = m1n + acc * m2n
            let vn = bv * loadLanes(v + i, n) + bvc * u * u
            let pi = loadLanes(p + i, n)
            u = u / (vn / bias + veps).squareRoot() + wd * pi
            var pn = pi - lr * u
            storeLanes(m1n, m1 + i, n); storeLanes(m2n, m2 + i, n); storeLanes(vn, v + i, n)
            if let ema {
                let en = eb * (startEMA ? pi : loadLanes(ema + i, n)) + ebc * pn
                storeLanes(en, ema + i, n)
                if snap { pn = en }
            }
            storeLanes(pn, p + i, n)
        }

        Parallel.forChunks(blocks.count, minChunk: 2) { r in
            for b in r {
                let (tensor, range) = blocks[b]
                let scale = F8(repeating: scales[tensor])
                var i = range.lowerBound
                while i + 8 <= range.upperBound { apply(i, 8, scale); i += 8 }
                if i < range.upperBound { apply(i, range.upperBound - i, scale) }
            }
        }
    }

    /// The factor each tensor's gradient is multiplied by: the clamped trust ratio, or 1 for one element.
    func trustRatios() -> [Float] {
        let p = store.valuePointer, g = store.gradPointer
        var partial = [Double](repeating: 0, count: 2 * blocks.count)
        partial.withUnsafeMutableBufferPointer { part in
            let part = UncheckedBuffer(part)
            Parallel.forChunks(blocks.count, minChunk: 4) { r in
                for b in r where hasTrustRatio[blocks[b].tensor] {
                    part.buffer[2 * b] = sumOfSquares(p, blocks[b].range)
                    part.buffer[2 * b + 1] = sumOfSquares(g, blocks[b].range)
                }
            }
        }
        var pp = [Double](repeating: 0, count: hasTrustRatio.count), gg = pp
        for (b, block) in blocks.enumerated() {
            pp[block.tensor] += partial[2 * b]
            gg[block.tensor] += partial[2 * b + 1]
        }
        return hasTrustRatio.indices.map { t in
            guard hasTrustRatio[t] else { return 1 }
            let ratio = pp[t].squareRoot() / max(gg[t].squareRoot(), Double(gNormMin))
            return Float(max(Double(ratioMin), ratio))
        }
    }
}

/// Σx² over `range`, in Float within 64-element tiles and in Double across them.
private func sumOfSquares(_ x: UnsafeMutablePointer<Float>, _ range: Range<Int>) -> Double {
    var total = 0.0
    var i = range.lowerBound
    while i + 64 <= range.upperBound {
        var tile = F8()
        for k in stride(from: 0, to: 64, by: 8) {
            let v = load8(x + i + k)
            tile = tile.addingProduct(v, v)
        }
        total += Double(tile.sum())
        i += 64
    }
    while i < range.upperBound { total += Double(x[i]) * Double(x[i]); i += 1 }
    return total
}

/// Lanes 0..<n of a vector at `p` (the rest zero).
@inline(__always)
private func loadLanes(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> F8 {
    if n == 8 { return load8(p) }
    var v = F8()
    for k in 0..<n { v[k] = p[k] }
    return v
}

/// Stores lanes 0..<n of `v` at `p`.
@inline(__always)
private func storeLanes(_ v: F8, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    if n == 8 { return store8(v, p) }
    for k in 0..<n { p[k] = v[k] }
}
