import Foundation

/// Softmax over the last axis and the vocabulary-sized losses built on it: cross-entropy and KL divergence.
/// Both losses keep only a log-sum-exp per row from forward and recompute probabilities in backward, so no
/// probability tensor the size of the logits is ever stored.
extension CPUBackend {
    public func softmax(_ x: Tensor, into out: Tensor) {
        let d = x.shape.last!, rows = x.count / max(d, 1)
        let px = x.pointer, po = out.pointer
        Parallel.forChunks(rows, minChunk: 1) { r in
            for row in r {
                let xr = px + row * d, orow = po + row * d
                let s = expShifted(xr, orow, d, shift: maxOf(xr, d))
                scaleInPlace(orow, d, 1 / s)
            }
        }
    }

    /// dx = y ⊙ (g − Σ g⊙y).
    public func softmaxBackward(_ y: Tensor, _ gradOut: Tensor, into gradIn: Tensor, accumulate: Bool) {
        let d = y.shape.last!, rows = y.count / max(d, 1)
        let py = y.pointer, pg = gradOut.pointer, pd = gradIn.pointer
        Parallel.forChunks(rows, minChunk: 1) { r in
            for row in r {
                let yr = py + row * d, gr = pg + row * d, dr = pd + row * d
                let s = dot(yr, gr, d)
                for i in 0..<d { let v = yr[i] * (gr[i] - s); dr[i] = accumulate ? dr[i] + v : v }
            }
        }
    }

    public func crossEntropy(_ logits: Tensor, labels: [Int32], logSumExp: Tensor) -> (sum: Double, count: Int) {
        let v = logits.shape.last!, rows = labels.count
        let pl = logits.pointer, plse = logSumExp.pointer
        let chunks = Parallel.chunkCount(rows, minChunk: 1)
        var partial = [Double](repeating: 0, count: chunks)
        var counts = [Int](repeating: 0, count: chunks)
        labels.withUnsafeBufferPointer { lab in
            partial.withUnsafeMutableBufferPointer { part in
                counts.withUnsafeMutableBufferPointer { cnt in
                    let part = UncheckedSendable(part), cnt = UncheckedSendable(cnt)
                    Parallel.forChunks(rows, minChunk: 1) { r in
                        let c = chunkIndex(r, rows, chunks)
                        var s = 0.0, n = 0
                        for row in r where lab[row] >= 0 {
                            let xr = pl + row * v
                            let m = maxOf(xr, v)
                            let lse = m + Foundation.log(sumExpShifted(xr, v, shift: m))
                            plse[row] = lse
                            s += Double(lse - xr[Int(lab[row])])
                            n += 1
                        }
                        part.value[c] = s
                        cnt.value[c] = n
                    }
                }
            }
        }
        return (partial.reduce(0, +), counts.reduce(0, +))
    }

    /// grad = scale · (softmax(logits) − onehot(label)) on rows with a label; zero on ignored rows.
    public func crossEntropyBackward(_ logits: Tensor, labels: [Int32], logSumExp: Tensor, scale: Float,
                                     into gradLogits: Tensor, accumulate: Bool) {
        let v = logits.shape.last!, rows = labels.count
        let pl = logits.pointer, plse = logSumExp.pointer, pg = gradLogits.pointer
        labels.withUnsafeBufferPointer { lab in
            Parallel.forChunks(rows, minChunk: 1) { r in
                for row in r {
                    let dst = pg + row * v
                    guard lab[row] >= 0 else {
                        if !accumulate { dst.update(repeating: 0, count: v) }
                        continue
                    }
                    let xr = pl + row * v
                    let shift = F8(repeating: plse[row]), sv = F8(repeating: scale)
                    var i = 0
                    while i + 8 <= v {
                        var g = exp8(load8(xr + i) - shift) * sv
                        if accumulate { g += load8(dst + i) }
                        store8(g, dst + i)
                        i += 8
                    }
                    while i < v {
                        let g = expApprox(xr[i] - plse[row]) * scale
                        dst[i] = accumulate ? dst[i] + g : g
                        i += 1
                    }
                    dst[Int(lab[row])] -= scale
                }
            }
        }
    }

    public func klDivergence(_ p: Tensor, _ q: Tensor, rows: [Int32], direction: KLDirection,
                             lseP: Tensor, lseQ: Tensor) -> Double {
        let v = p.shape.last!, n = rows.count
        let chunks = Parallel.chunkCount(n, minChunk: 1)
        var partial = [Double](repeating: 0, count: chunks)
        rows.withUnsafeBufferPointer { sel in
            partial.withUnsafeMutableBufferPointer { part in
                let part = UncheckedSendable(part)
                Parallel.forChunks(n, minChunk: 1) { r in
                    var s = 0.0
                    for i in r {
                        let row = Int(sel[i])
                        let xp = p.pointer + row * v, xq = q.pointer + row * v
                        let mp = maxOf(xp, v), mq = maxOf(xq, v)
                        let lp = mp + Foundation.log(sumExpShifted(xp, v, shift: mp))
                        let lq = mq + Foundation.log(sumExpShifted(xq, v, shift: mq))
                        lseP.pointer[row] = lp
                        lseQ.pointer[row] = lq
                        let (kf, kr) = klPair(xp, xq, v, lp, lq)
                        switch direction {
                        case .forward: s += Double(kf)
                        case .reverse: s += Double(kr)
                        case .symmetric: s += 0.5 * Double(kf + kr)
                        }
                    }
                    part.value[chunkIndex(r, n, chunks)] = s
                }
            }
        }
        return partial.reduce(0, +)
    }

    /// With lp, lq the log-probabilities: ∂KL(p‖q)/∂p-logits = p(lp − lq − KL(p‖q)), ∂KL(p‖q)/∂q-logits = q − p,
    /// and the mirror images for KL(q‖p). Rows not selected get no gradient.
    public func klDivergenceBackward(_ p: Tensor, _ q: Tensor, rows: [Int32], direction: KLDirection,
                                     lseP: Tensor, lseQ: Tensor, scale: Float,
                                     gradP: (Tensor, Bool)?, gradQ: (Tensor, Bool)?) {
        let v = p.shape.last!, n = rows.count
        if let (g, acc) = gradP, !acc { g.pointer.update(repeating: 0, count: g.count) }
        if let (g, acc) = gradQ, !acc { g.pointer.update(repeating: 0, count: g.count) }
        let (wf, wr): (Float, Float) = switch direction {
        case .forward: (1, 0)
        case .reverse: (0, 1)
        case .symmetric: (0.5, 0.5)
        }
        rows.withUnsafeBufferPointer { sel in
            Parallel.forChunks(n, minChunk: 1) { r in
                for i in r {
                    let row = Int(sel[i])
                    let xp = p.pointer + row * v, xq = q.pointer + row * v
                    let lp0 = lseP.pointer[row], lq0 = lseQ.pointer[row]
                    let (kf, kr) = klPair(xp, xq, v, lp0, lq0)
                    let dp = gradP.map { $0.0.pointer + row * v }
                    let dq = gradQ.map { $0.0.pointer + row * v }
                    for j in 0..<v {
                        let lp = xp[j] - lp0, lq = xq[j] - lq0
                        let pj = expApprox(lp), qj = expApprox(lq)
                        // forward part: dP = p(lp−lq−kf), dQ = q−p; reverse part: dP = p−q, dQ = q(lq−lp−kr)
                        if let dp { dp[j] += scale * (wf * pj * (lp - lq - kf) + wr * (pj - qj)) }
                        if let dq { dq[j] += scale * (wf * (qj - pj) + wr * qj * (lq - lp - kr)) }
                    }
                }
            }
        }
    }
}

/// (KL(p‖q), KL(q‖p)) for one row of logits given both log-sum-exps.
@inline(__always)
private func klPair(_ xp: UnsafePointer<Float>, _ xq: UnsafePointer<Float>, _ v: Int, _ lseP: Float, _ lseQ: Float) -> (Float, Float) {
    var accF = F8(), accR = F8()
    let sp = F8(repeating: lseP), sq = F8(repeating: lseQ)
    var j = 0
    while j + 8 <= v {
        let lp = load8(xp + j) - sp, lq = load8(xq + j) - sq
        let diff = lp - lq
        accF = accF.addingProduct(exp8(lp), diff)
        accR = accR.addingProduct(exp8(lq), -diff)
        j += 8
    }
    var f = hsum(accF), r = hsum(accR)
    while j < v {
        let lp = xp[j] - lseP, lq = xq[j] - lseQ
        f += expApprox(lp) * (lp - lq)
        r += expApprox(lq) * (lq - lp)
        j += 1
    }
    return (f, r)
}
