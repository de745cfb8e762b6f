/// RMSNorm and LayerNorm over the last axis, with their backward passes.
extension CPUBackend {
    public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, into out: Tensor, rstd: Tensor) {
        let d = weight.count, rows = x.count / d
        let px = x.pointer, pw = weight.pointer, po = out.pointer, pr = rstd.pointer
        Parallel.forChunks(rows, minChunk: 4) { r in
            for row in r {
                let xr = px + row * d, orow = po + row * d
                let inv = 1 / (sumOfSquares(xr, d) / Float(d) + eps).squareRoot()
                pr[row] = inv
                let iv = F8(repeating: inv)
                var i = 0
                while i + 8 <= d { store8(load8(xr + i) * iv * load8(pw + i), orow + i); i += 8 }
                while i < d { orow[i] = xr[i] * inv * pw[i]; i += 1 }
            }
        }
    }

    /// dx = r·(dy⊙w − x·r²·mean(dy⊙w⊙x)); dw += Σ_rows dy⊙x·r.
    public func rmsNormBackward(_ x: Tensor, weight: Tensor, rstd: Tensor, _ gradOut: Tensor,
                                gradX: (Tensor, Bool)?, gradWeight: (Tensor, Bool)?) {
        let d = weight.count, rows = x.count / d
        let px = x.pointer, pw = weight.pointer, pr = rstd.pointer, pg = gradOut.pointer
        let chunks = Parallel.chunkCount(rows, minChunk: 4)
        let partialBuffer = Storage(zeroedCount: chunks * d)
        let partial = partialBuffer.pointer
        defer { withExtendedLifetime(partialBuffer) {} }
        Parallel.forChunks(rows, minChunk: 4) { r in
            let c = chunkIndex(r, rows, chunks)
            let dwp = partial + c * d
            for row in r {
                let xr = px + row * d, gr = pg + row * d
                let inv = pr[row]
                if gradWeight != nil {
                    let iv = F8(repeating: inv)
                    var i = 0
                    while i + 8 <= d { store8(load8(dwp + i).addingProduct(load8(gr + i) * load8(xr + i), iv), dwp + i); i += 8 }
                    while i < d { dwp[i] += gr[i] * xr[i] * inv; i += 1 }
                }
                if let (gx, acc) = gradX {
                    var dotv = F8()
                    var i = 0
                    while i + 8 <= d { dotv = dotv.addingProduct(load8(gr + i) * load8(pw + i), load8(xr + i)); i += 8 }
                    var dotp = hsum(dotv)
                    while i < d { dotp += gr[i] * pw[i] * xr[i]; i += 1 }
                    let coef = dotp / Float(d) * inv * inv
                    let dst = gx.pointer + row * d
                    let iv = F8(repeating: inv), cv = F8(repeating: coef)
                    i = 0
                    while i + 8 <= d {
                        var v = iv * (load8(gr + i) * load8(pw + i) - load8(xr + i) * cv)
                        if acc { v += load8(dst + i) }
                        store8(v, dst + i)
                        i += 8
                    }
                    while i < d {
                        let v = inv * (gr[i] * pw[i] - xr[i] * coef)
                        dst[i] = acc ? dst[i] + v : v
                        i += 1
                    }
                }
            }
        }
        if let (gw, acc) = gradWeight { reducePartials(partial, chunks, d, into: gw.pointer, accumulate: acc) }
    }

    public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor?, eps: Float, into out: Tensor, mean: Tensor, rstd: Tensor) {
        let d = weight.count, rows = x.count / d
        let px = x.pointer, pw = weight.pointer, pb = bias?.pointer, po = out.pointer
        let pm = mean.pointer, pr = rstd.pointer
        Parallel.forChunks(rows, minChunk: 4) { r in
            for row in r {
                let xr = px + row * d, orow = po + row * d
                var s: Float = 0
                for i in 0..<d { s += xr[i] }
                let mu = s / Float(d)
                var v: Float = 0
                for i in 0..<d { let c = xr[i] - mu; v += c * c }
                let inv = 1 / (v / Float(d) + eps).squareRoot()
                pm[row] = mu; pr[row] = inv
                for i in 0..<d { orow[i] = (xr[i] - mu) * inv * pw[i] + (pb?[i] ?? 0) }
            }
        }
    }

    /// x̂ = (x−μ)r; dx = r·(g⊙w − mean(g⊙w) − x̂·mean(g⊙w⊙x̂)); dw += Σ g⊙x̂; db += Σ g.
    public func layerNormBackward(_ x: Tensor, weight: Tensor, mean: Tensor, rstd: Tensor, _ gradOut: Tensor,
                                  gradX: (Tensor, Bool)?, gradWeight: (Tensor, Bool)?, gradBias: (Tensor, Bool)?) {
        let d = weight.count, rows = x.count / d
        let px = x.pointer, pw = weight.pointer, pm = mean.pointer, pr = rstd.pointer, pg = gradOut.pointer
        let chunks = Parallel.chunkCount(rows, minChunk: 4)
        let partialBuffer = Storage(zeroedCount: 2 * chunks * d)
        let partial = partialBuffer.pointer
        defer { withExtendedLifetime(partialBuffer) {} }
        Parallel.forChunks(rows, minChunk: 4) { r in
            let c = chunkIndex(r, rows, chunks)
            let dwp = partial + c * d, dbp = partial + (chunks + c) * d
            for row in r {
                let xr = px + row * d, gr = pg + row * d
                let mu = pm[row], inv = pr[row]
                var sumG: Float = 0, sumGX: Float = 0
                for i in 0..<d {
                    let xh = (xr[i] - mu) * inv
                    dwp[i] += gr[i] * xh
                    dbp[i] += gr[i]
                    let gw = gr[i] * pw[i]
                    sumG += gw; sumGX += gw * xh
                }
                if let (gx, acc) = gradX {
                    let mg = sumG / Float(d), mgx = sumGX / Float(d)
                    let dst = gx.pointer + row * d
                    for i in 0..<d {
                        let xh = (xr[i] - mu) * inv
                        let v = inv * (gr[i] * pw[i] - mg - xh * mgx)
                        dst[i] = acc ? dst[i] + v : v
                    }
                }
            }
        }
        if let (gw, acc) = gradWeight { reducePartials(partial, chunks, d, into: gw.pointer, accumulate: acc) }
        if let (gb, acc) = gradBias { reducePartials(partial + chunks * d, chunks, d, into: gb.pointer, accumulate: acc) }
    }
}

@inline(__always)
func chunkIndex(_ r: Range<Int>, _ count: Int, _ chunks: Int) -> Int {
    Parallel.chunkIndex(of: r, count: count, chunks: chunks)
}

/// out (+)= Σ_c partial[c] in chunk order (deterministic).
func reducePartials(_ partial: UnsafeMutablePointer<Float>, _ chunks: Int, _ d: Int,
                    into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
    for i in 0..<d {
        var s: Float = accumulate ? out[i] : 0
        for c in 0..<chunks { s += partial[c * d + i] }
        out[i] = s
    }
}
