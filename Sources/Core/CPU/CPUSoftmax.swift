import Foundation

/// Softmax over the last axis and the cross-entropy built on it. Cross-entropy keeps only a log-sum-exp per
/// row from forward and recomputes probabilities in backward, so no probability tensor the size of the logits
/// is ever stored.
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
}
