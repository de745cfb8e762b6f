/// The CPU backend: Swift SIMD kernels over unsafe buffers, split across cores with `Parallel`, and OpenBLAS
/// for matrix products. Every tensor passed in is contiguous (the ops guarantee it).
public struct CPUBackend: Backend {
    public init() {}

    // MARK: Elementwise

    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, into out: Tensor, accumulate: Bool) {
        let n = a.count, m = b.count
        let pa = a.pointer, pb = b.pointer, po = out.pointer
        switch op {
        case .add: map2(pa, pb, po, n, m, accumulate, { $0 + $1 }, { $0 + $1 })
        case .sub: map2(pa, pb, po, n, m, accumulate, { $0 - $1 }, { $0 - $1 })
        case .mul: map2(pa, pb, po, n, m, accumulate, { $0 * $1 }, { $0 * $1 })
        }
    }

    public func affine(_ x: Tensor, scale: Float, shift: Float, into out: Tensor, accumulate: Bool) {
        let s = F8(repeating: scale), t = F8(repeating: shift)
        map1(x.pointer, out.pointer, x.count, accumulate, { $0 * s + t }, { $0 * scale + shift })
    }

    public func unary(_ op: UnaryOp, _ x: Tensor, into out: Tensor) {
        switch op {
        case .silu: map1(x.pointer, out.pointer, x.count, false, { $0 * sigmoid8($0) }, { $0 * sigmoidScalar($0) })
        case .exp: map1(x.pointer, out.pointer, x.count, false, exp8, expApprox)
        case .gelu: map1(x.pointer, out.pointer, x.count, false, { gelu8($0) }, { gelu8(F8(repeating: $0))[0] })
        case .geluErf: map1(x.pointer, out.pointer, x.count, false, { geluErf8($0) }, { geluErf8(F8(repeating: $0))[0] })
        }
    }

    public func unaryBackward(_ op: UnaryOp, _ x: Tensor, _ gradOut: Tensor, into gradIn: Tensor, accumulate: Bool) {
        let n = x.count, px = x.pointer, pg = gradOut.pointer
        switch op {
        case .silu: map2(px, pg, gradIn.pointer, n, n, accumulate, { g, d in d * siluGrad8(g) }, { g, d in d * siluGrad8(F8(repeating: g))[0] })
        case .exp: map2(px, pg, gradIn.pointer, n, n, accumulate, { x, d in d * exp8(x) }, { x, d in d * expApprox(x) })
        case .gelu: map2(px, pg, gradIn.pointer, n, n, accumulate, { x, d in d * geluGrad8(x) }, { x, d in d * geluGrad8(F8(repeating: x))[0] })
        case .geluErf: map2(px, pg, gradIn.pointer, n, n, accumulate, { x, d in d * geluErfGrad8(x) }, { x, d in d * geluErfGrad8(F8(repeating: x))[0] })
        }
    }

    /// x is [rows, 2F] = gate | up; out is [rows, F] = activation(gate) * up.
    public func gatedUnit(_ x: Tensor, _ activation: GateActivation, into out: Tensor) {
        let f = out.shape.last!, rows = out.count / max(f, 1)
        let px = x.pointer, po = out.pointer
        Parallel.forChunks(rows, minChunk: 8) { r in
            for row in r {
                let g = px + row * 2 * f, u = g + f, o = po + row * f
                var i = 0
                while i + 8 <= f {
                    store8(activate8(load8(g + i), activation) * load8(u + i), o + i)
                    i += 8
                }
                while i < f { o[i] = activate8(F8(repeating: g[i]), activation)[0] * u[i]; i += 1 }
            }
        }
    }

    /// d gate = d · up · act'(gate), d up = d · act(gate).
    public func gatedUnitBackward(_ x: Tensor, _ activation: GateActivation, _ gradOut: Tensor, into gradIn: Tensor,
                                  accumulate: Bool) {
        let f = gradOut.shape.last!, rows = gradOut.count / max(f, 1)
        let px = x.pointer, pd = gradOut.pointer, pgi = gradIn.pointer
        Parallel.forChunks(rows, minChunk: 8) { r in
            for row in r {
                let g = px + row * 2 * f, u = g + f, d = pd + row * f
                let dg = pgi + row * 2 * f, du = dg + f
                var i = 0
                while i + 8 <= f {
                    let gv = load8(g + i), uv = load8(u + i), dv = load8(d + i)
                    var dgv = dv * uv * activationGrad8(gv, activation)
                    var duv = dv * activate8(gv, activation)
                    if accumulate { dgv += load8(dg + i); duv += load8(du + i) }
                    store8(dgv, dg + i); store8(duv, du + i)
                    i += 8
                }
                while i < f {
                    let gv = F8(repeating: g[i])
                    let dgv = d[i] * u[i] * activationGrad8(gv, activation)[0], duv = d[i] * activate8(gv, activation)[0]
                    if accumulate { dg[i] += dgv; du[i] += duv } else { dg[i] = dgv; du[i] = duv }
                    i += 1
                }
            }
        }
    }

    // MARK: Reductions and copies

    /// out[c] (+)= Σ_r x[r, c] where x is viewed as [rows, out.count].
    public func sumRows(_ x: Tensor, into out: Tensor, accumulate: Bool) {
        let cols = out.count, rows = x.count / max(cols, 1)
        let px = x.pointer, po = out.pointer
        // Split columns across threads so each output element has one writer and a fixed summation order.
        Parallel.forChunks(cols, minChunk: 64) { cr in
            if !accumulate { (po + cr.lowerBound).update(repeating: 0, count: cr.count) }
            for r in 0..<rows {
                let src = px + r * cols
                var c = cr.lowerBound
                while c + 8 <= cr.upperBound { store8(load8(po + c) + load8(src + c), po + c); c += 8 }
                while c < cr.upperBound { po[c] += src[c]; c += 1 }
            }
        }
    }

    public func sumAll(_ x: Tensor) -> Float {
        let n = x.count, p = x.pointer
        var acc = F8()
        var i = 0
        while i + 8 <= n { acc += load8(p + i); i += 8 }
        var s = hsum(acc)
        while i < n { s += p[i]; i += 1 }
        return s
    }

    public func copy(_ x: Tensor, into out: Tensor, accumulate: Bool) {
        if !accumulate { x.copyStrided(into: out.pointer); return }
        let src = x.contiguousStorageView()
        addInPlace(out.pointer, src.pointer, out.count)
    }

    // MARK: Matrix products

    /// c = alpha * op(a) op(b) + beta * c for 2-D tensors, or batched over the leading axis of 3-D tensors
    /// (a 2-D operand is shared by every batch entry).
    public func gemm(_ a: Tensor, transA: Bool, _ b: Tensor, transB: Bool, into c: Tensor, alpha: Float, beta: Float,
                     parallel: Bool, precision: Precision) {
        let m = c.shape[c.rank - 2], n = c.shape[c.rank - 1]
        let k = transA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        let batches = c.rank == 3 ? c.shape[0] : 1
        let sa = a.rank == 3 ? m * k : 0, sb = b.rank == 3 ? k * n : 0
        for i in 0..<batches {
            BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                      a: a.pointer + i * sa, b: b.pointer + i * sb, beta: beta, c: c.pointer + i * m * n, parallel: parallel,
                      precision: precision)
        }
    }

    // MARK: Embedding

    public func gather(_ table: Tensor, rows: [Int32], into out: Tensor) {
        let d = table.shape[1], pt = table.pointer, po = out.pointer
        rows.withUnsafeBufferPointer { ids in
            Parallel.forChunks(ids.count, minChunk: 64) { r in
                for i in r { (po + i * d).update(from: pt + Int(ids[i]) * d, count: d) }
            }
        }
    }

    public func scatterAdd(_ gradOut: Tensor, rows: [Int32], into table: Tensor, accumulate: Bool) {
        let d = table.shape[1], pt = table.pointer, pg = gradOut.pointer
        if !accumulate { pt.update(repeating: 0, count: table.count) }
        // Sequential over tokens: a row may repeat, and a fixed order keeps the sums deterministic.
        for (i, id) in rows.enumerated() {
            let dst = pt + Int(id) * d, src = pg + i * d
            var j = 0
            while j + 8 <= d { store8(load8(dst + j) + load8(src + j), dst + j); j += 8 }
            while j < d { dst[j] += src[j]; j += 1 }
        }
    }
}

// MARK: Loop helpers

@inline(__always)
func map1(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int, _ accumulate: Bool,
          _ f: (F8) -> F8, _ fs: (Float) -> Float) {
    withoutActuallyEscaping(f) { f in
        withoutActuallyEscaping(fs) { fs in
            let fb = UncheckedSendable(f), fsb = UncheckedSendable(fs)
            Parallel.forChunks(n, minChunk: 1 << 14) { r in
                var i = r.lowerBound
                while i + 8 <= r.upperBound {
                    let v = fb.value(load8(x + i))
                    store8(accumulate ? load8(out + i) + v : v, out + i)
                    i += 8
                }
                while i < r.upperBound { let v = fsb.value(x[i]); out[i] = accumulate ? out[i] + v : v; i += 1 }
            }
        }
    }
}

/// out (+)= f(a[i], b[i mod m]) where a has n elements and b has m (m divides n).
@inline(__always)
func map2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
          _ n: Int, _ m: Int, _ accumulate: Bool, _ f: (F8, F8) -> F8, _ fs: (Float, Float) -> Float) {
    withoutActuallyEscaping(f) { f in
        withoutActuallyEscaping(fs) { fs in
            let fb = UncheckedSendable(f), fsb = UncheckedSendable(fs)
            if m == n || m == 1 {
                Parallel.forChunks(n, minChunk: 1 << 14) { r in
                    var i = r.lowerBound
                    let scalarB = m == 1 ? F8(repeating: b[0]) : F8()
                    while i + 8 <= r.upperBound {
                        let v = fb.value(load8(a + i), m == 1 ? scalarB : load8(b + i))
                        store8(accumulate ? load8(out + i) + v : v, out + i)
                        i += 8
                    }
                    while i < r.upperBound {
                        let v = fsb.value(a[i], b[m == 1 ? 0 : i])
                        out[i] = accumulate ? out[i] + v : v
                        i += 1
                    }
                }
            } else {
                let rows = n / m
                Parallel.forChunks(rows, minChunk: max(1, (1 << 14) / m)) { r in
                    for row in r {
                        let ar = a + row * m, orow = out + row * m
                        var j = 0
                        while j + 8 <= m {
                            let v = fb.value(load8(ar + j), load8(b + j))
                            store8(accumulate ? load8(orow + j) + v : v, orow + j)
                            j += 8
                        }
                        while j < m { let v = fsb.value(ar[j], b[j]); orow[j] = accumulate ? orow[j] + v : v; j += 1 }
                    }
                }
            }
        }
    }
}

@inline(__always) func sigmoidScalar(_ x: Float) -> Float { 1 / (1 + expApprox(-x)) }

@inline(__always) func siluGrad8(_ x: F8) -> F8 {
    let s = sigmoid8(x)
    return s * (1 + x * (1 - s))
}

/// GELU with the tanh approximation written through the logistic function: 0.5x(1+tanh(u)) = x·σ(2u).
@inline(__always) func gelu8(_ x: F8) -> F8 {
    let u = 0.7978845608028654 * (x + 0.044715 * x * x * x)
    return x * sigmoid8(2 * u)
}

/// erf for 8 lanes: Abramowitz & Stegun 7.1.26 (absolute error 1.5e-7 exactly computed; below 5e-7 in Float32).
@inline(__always) func erf8(_ x: F8) -> F8 {
    let a = x.replacing(with: -x, where: x .< 0)
    let t = 1 / (1 + 0.3275911 * a)
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    let y = 1 - poly * exp8(-a * a)
    return y.replacing(with: -y, where: x .< 0)
}

/// x·Φ(x) = 0.5·x·(1 + erf(x/√2)).
@inline(__always) func geluErf8(_ x: F8) -> F8 {
    0.5 * x * (1 + erf8(x * 0.7071067811865476))
}

/// Φ(x) + x·φ(x).
@inline(__always) func geluErfGrad8(_ x: F8) -> F8 {
    0.5 * (1 + erf8(x * 0.7071067811865476)) + x * 0.3989422804014327 * exp8(-0.5 * x * x)
}

@inline(__always) func activate8(_ x: F8, _ activation: GateActivation) -> F8 {
    switch activation {
    case .silu: x * sigmoid8(x)
    case .geluTanh: gelu8(x)
    }
}

@inline(__always) func activationGrad8(_ x: F8, _ activation: GateActivation) -> F8 {
    switch activation {
    case .silu: siluGrad8(x)
    case .geluTanh: geluGrad8(x)
    }
}

@inline(__always) func geluGrad8(_ x: F8) -> F8 {
    let u = 0.7978845608028654 * (x + 0.044715 * x * x * x)
    let s = sigmoid8(2 * u)
    let du = 0.7978845608028654 * (1 + 3 * 0.044715 * x * x)
    return s + x * 2 * s * (1 - s) * du
}
