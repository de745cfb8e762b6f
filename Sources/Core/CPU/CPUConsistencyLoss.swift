import Foundation

/// ReMask's loss in one pass over the vocabulary per position: both cross-entropies, the divergence between
/// the masked and the full distribution, and the gradient with respect to both logit rows — written while the
/// rows are in cache, so no probability tensor is ever materialised and backward only scales.
extension CPUBackend {
    public func consistencyLoss(_ logits: Tensor, pairs: [ConsistencyPair], weight: Float, divergence: Divergence,
                                detachFull: Bool, gradient: Tensor?) -> ConsistencyLossParts {
        let v = logits.shape[1], rows = logits.shape[0], n = pairs.count
        guard n > 0 else {
            gradient?.pointer.update(repeating: 0, count: rows * v)
            return ConsistencyLossParts(ceMasked: 0, ceFull: 0, divergence: 0, count: 0)
        }
        // Per-pair results, summed in pair order afterwards: identical for any thread count.
        var ce = [Float](repeating: 0, count: 2 * n), div = [Float](repeating: 0, count: n)
        let ceScale = 0.5 / Float(n), divScale = weight / Float(n)
        let px = logits.pointer, pg = gradient?.pointer
        pairs.withUnsafeBufferPointer { pairs in
            ce.withUnsafeMutableBufferPointer { ce in
                div.withUnsafeMutableBufferPointer { div in
                    let ce = UncheckedSendable(ce), div = UncheckedSendable(div)
                    Parallel.forChunks(n, minChunk: 1) { range in
                        for i in range {
                            let pair = pairs[i]
                            let a = px + Int(pair.masked) * v, b = px + Int(pair.full) * v, y = Int(pair.label)
                            if pair.masked == pair.full {
                                // Shared prefix: both passes saw the same context; D is 0, each CE counts once.
                                let lse = logSumExp(a, v)
                                ce.value[2 * i] = lse - a[y]
                                ce.value[2 * i + 1] = lse - a[y]
                                if let pg { softmaxMinusOneHot(a, lse: lse, label: y, scale: 2 * ceScale, into: pg + Int(pair.masked) * v, v) }
                                continue
                            }
                            let lseA = logSumExp(a, v), lseB = logSumExp(b, v)
                            ce.value[2 * i] = lseA - a[y]
                            ce.value[2 * i + 1] = lseB - b[y]
                            let ga = pg.map { $0 + Int(pair.masked) * v }, gb = pg.map { $0 + Int(pair.full) * v }
                            let s = divergenceSums(a, b, v, lseA, lseB, probsA: ga, probsB: gb)
                            let d: Float = switch divergence {
                            case .klSymmetric: 0.5 * (s.klForward + s.klReverse)
                            case .klForward: s.klForward
                            case .klReverse: s.klReverse
                            case .mse: s.squaredDistance / Float(v)
                            }
                            div.value[i] = d
                            if let ga, let gb {
                                consistencyGradient(a, b, v, lseA, lseB, label: y, sums: s, divergence: divergence,
                                                    ceScale: ceScale, divScale: divScale, detachFull: detachFull, ga: ga, gb: gb)
                            }
                        }
                    }
                }
            }
        }
        if let pg { zeroRowsOutsidePairs(pairs, rows: rows, v, pg) }
        var ceMasked = 0.0, ceFull = 0.0, total = 0.0
        for i in 0..<n {
            ceMasked += Double(ce[2 * i]); ceFull += Double(ce[2 * i + 1]); total += Double(div[i])
        }
        return ConsistencyLossParts(ceMasked: ceMasked / Double(n), ceFull: ceFull / Double(n),
                                    divergence: total / Double(n), count: n)
    }
}

/// Sums over the vocabulary that the divergences and their gradients need.
private struct DivergenceSums {
    /// KL(p_a‖p_b) and KL(p_b‖p_a).
    var klForward: Float, klReverse: Float
    /// Σ (p_a − p_b)², and Σ p_a (p_a − p_b), Σ p_b (p_a − p_b) for the MSE gradient through the softmax.
    var squaredDistance: Float, dotA: Float, dotB: Float
}

@inline(__always)
private func logSumExp(_ x: UnsafePointer<Float>, _ v: Int) -> Float {
    let m = maxOf(x, v)
    return m + Foundation.log(sumExpShifted(x, v, shift: m))
}

/// One pass: the sums above; the probabilities go into `probsA`/`probsB` (the gradient rows) when given.
@inline(__always)
private func divergenceSums(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ v: Int, _ lseA: Float, _ lseB: Float,
                            probsA: UnsafeMutablePointer<Float>?, probsB: UnsafeMutablePointer<Float>?) -> DivergenceSums {
    var kf = F8(), kr = F8(), sq = F8(), da = F8(), db = F8()
    let sa = F8(repeating: lseA), sb = F8(repeating: lseB)
    var j = 0
    while j + 8 <= v {
        let la = load8(a + j) - sa, lb = load8(b + j) - sb
        let pa = exp8(la), pb = exp8(lb), diff = la - lb, dp = pa - pb
        kf = kf.addingProduct(pa, diff)
        kr = kr.addingProduct(pb, -diff)
        sq = sq.addingProduct(dp, dp)
        da = da.addingProduct(pa, dp)
        db = db.addingProduct(pb, dp)
        if let probsA, let probsB { store8(pa, probsA + j); store8(pb, probsB + j) }
        j += 8
    }
    var s = DivergenceSums(klForward: hsum(kf), klReverse: hsum(kr), squaredDistance: hsum(sq), dotA: hsum(da), dotB: hsum(db))
    while j < v {
        let la = a[j] - lseA, lb = b[j] - lseB
        let pa = expApprox(la), pb = expApprox(lb), dp = pa - pb
        s.klForward += pa * (la - lb); s.klReverse += pb * (lb - la)
        s.squaredDistance += dp * dp; s.dotA += pa * dp; s.dotB += pb * dp
        if let probsA, let probsB { probsA[j] = pa; probsB[j] = pb }
        j += 1
    }
    return s
}

/// Turns the probabilities stored in `ga`/`gb` into the loss gradient for both logit rows:
/// CE: c·(p − onehot); KL(a‖b): ∂a = p_a(l_a − l_b − KL), ∂b = p_b − p_a (and the mirror image for KL(b‖a));
/// MSE on probabilities: ∂a = p_a ⊙ (2(p_a − p_b) − 2Σp_a(p_a − p_b))/V, and the mirror image for b.
/// With `detachFull`, the divergence sends no gradient to b (the full pass acts as a fixed teacher).
@inline(__always)
private func consistencyGradient(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ v: Int, _ lseA: Float, _ lseB: Float,
                                 label: Int, sums s: DivergenceSums, divergence: Divergence, ceScale: Float, divScale: Float,
                                 detachFull: Bool, ga: UnsafeMutablePointer<Float>, gb: UnsafeMutablePointer<Float>) {
    // ∂a = ca·p_a + kaa·p_a·(l_a − l_b) + kab·p_b ;  ∂b = cb·p_b + kbb·p_b·(l_b − l_a) + kba·p_a  (+ MSE terms)
    var ca = ceScale, cb = ceScale, kaa: Float = 0, kab: Float = 0, kbb: Float = 0, kba: Float = 0
    var msA: Float = 0, msB: Float = 0
    let bScale: Float = detachFull ? 0 : divScale
    switch divergence {
    case .klForward:
        kaa = divScale; ca -= divScale * s.klForward
        cb += bScale; kba = -bScale
    case .klReverse:
        ca += divScale; kab = -divScale
        kbb = bScale; cb -= bScale * s.klReverse
    case .klSymmetric:
        let h = 0.5 * divScale, hb = 0.5 * bScale
        kaa = h; ca += h - h * s.klForward; kab = -h
        kbb = hb; cb += hb - hb * s.klReverse; kba = -hb
    case .mse:
        msA = 2 * divScale / Float(v); msB = 2 * bScale / Float(v)
        ca -= msA * s.dotA; cb += msB * s.dotB
    }
    let vca = F8(repeating: ca), vcb = F8(repeating: cb), vkaa = F8(repeating: kaa), vkab = F8(repeating: kab)
    let vkbb = F8(repeating: kbb), vkba = F8(repeating: kba), vmsA = F8(repeating: msA), vmsB = F8(repeating: msB)
    let sa = F8(repeating: lseA), sb = F8(repeating: lseB)
    var j = 0
    while j + 8 <= v {
        let pa = load8(ga + j), pb = load8(gb + j)
        let diff = (load8(a + j) - sa) - (load8(b + j) - sb), dp = pa - pb
        store8(pa * (vca + vkaa * diff + vmsA * dp) + vkab * pb, ga + j)
        store8(pb * (vcb - vkbb * diff - vmsB * dp) + vkba * pa, gb + j)
        j += 8
    }
    while j < v {
        let pa = ga[j], pb = gb[j]
        let diff = (a[j] - lseA) - (b[j] - lseB), dp = pa - pb
        ga[j] = pa * (ca + kaa * diff + msA * dp) + kab * pb
        gb[j] = pb * (cb - kbb * diff - msB * dp) + kba * pa
        j += 1
    }
    ga[label] -= ceScale
    gb[label] -= ceScale
}

/// grad = scale · (softmax(x) − onehot(label)).
@inline(__always)
private func softmaxMinusOneHot(_ x: UnsafePointer<Float>, lse: Float, label: Int, scale: Float,
                                into g: UnsafeMutablePointer<Float>, _ v: Int) {
    let shift = F8(repeating: lse), sv = F8(repeating: scale)
    var j = 0
    while j + 8 <= v { store8(exp8(load8(x + j) - shift) * sv, g + j); j += 8 }
    while j < v { g[j] = expApprox(x[j] - lse) * scale; j += 1 }
    g[label] -= scale
}

/// Rows that no pair uses get a zero gradient.
private func zeroRowsOutsidePairs(_ pairs: [ConsistencyPair], rows: Int, _ v: Int, _ g: UnsafeMutablePointer<Float>) {
    var used = [Bool](repeating: false, count: rows)
    for p in pairs { used[Int(p.masked)] = true; used[Int(p.full)] = true }
    for r in 0..<rows where !used[r] { (g + r * v).update(repeating: 0, count: v) }
}
