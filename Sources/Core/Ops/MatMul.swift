/// Matrix products through the backend's GEMM.
extension Tensor {
    /// [M, K] × [K, N] → [M, N]; or batched [B, M, K] × [B, K, N] (or × a shared [K, N]) → [B, M, N].
    public func matmul(_ other: Tensor) -> Tensor {
        let a = contiguous(), b = other.contiguous()
        check((a.rank == 2 && b.rank == 2) || (a.rank == 3 && (b.rank == 2 || (b.rank == 3 && b.shape[0] == a.shape[0]))),
              "matmul: unsupported ranks \(a.shape) × \(b.shape) (2-D × 2-D, or batched 3-D × 3-D/2-D)")
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        check(b.shape[b.rank - 2] == k, "matmul: inner dimensions differ: \(a.shape) × \(b.shape)")
        let outShape = a.rank == 3 ? [a.shape[0], m, n] : [m, n]
        let out = Tensor(uninitialized: outShape)
        Tensor.backend.gemm(a, transA: false, b, transB: false, into: out, alpha: 1, beta: 0, parallel: true)
        return Tensor.record(out, "matmul", [a, b]) { g in
            a.accumulateGrad { ga, acc in Tensor.backend.gemm(g, transA: false, b, transB: true, into: ga, alpha: 1, beta: acc ? 1 : 0, parallel: true) }
            guard b.requiresGrad else { return }
            if b.rank == 2 && a.rank == 3 {
                // A shared right operand collects every batch entry: one GEMM over the flattened rows.
                let af = a.flatRows(), gf = g.flatRows()
                b.accumulateGrad { gb, acc in Tensor.backend.gemm(af, transA: true, gf, transB: false, into: gb, alpha: 1, beta: acc ? 1 : 0, parallel: true) }
            } else {
                b.accumulateGrad { gb, acc in Tensor.backend.gemm(a, transA: true, g, transB: false, into: gb, alpha: 1, beta: acc ? 1 : 0, parallel: true) }
            }
        }
    }

    /// y = x Wᵀ + b over the last axis: x [..., in], weight [out, in], bias [out] → [..., out].
    public func linear(_ weight: Tensor, bias: Tensor? = nil) -> Tensor {
        check(weight.rank == 2 && rank >= 1 && shape.last! == weight.shape[1],
              "linear: input \(shape) does not match weight \(weight.shape) (expected [..., \(weight.rank == 2 ? weight.shape[1] : -1)])")
        check(weight.isContiguous, "linear: weight must be contiguous, got strides \(weight.strides)")
        if let bias { check(bias.shape == [weight.shape[0]], "linear: bias \(bias.shape) does not match weight \(weight.shape)") }
        let x = contiguous()
        let precision = Tensor.trainingPrecision
        let outFeatures = weight.shape[0]
        var outShape = shape
        outShape[rank - 1] = outFeatures
        let out = Tensor(uninitialized: outShape)
        let x2 = x.flatRows(), o2 = out.flatRows()
        if let bias {
            for r in 0..<o2.shape[0] { (o2.pointer + r * outFeatures).update(from: bias.pointer, count: outFeatures) }
        }
        Tensor.backend.gemm(x2, transA: false, weight, transB: true, into: o2, alpha: 1, beta: bias == nil ? 0 : 1, parallel: true, precision: precision)
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return Tensor.record(out, "linear", inputs) { g in
            let g2 = g.flatRows()
            var gx: (Tensor, Bool)?, gw: (Tensor, Bool)?
            x.accumulateGrad { t, acc in gx = (t, acc) }
            weight.accumulateGrad { t, acc in gw = (t, acc) }
            // dX = dY W and dW += dYᵀ X are independent: with two workers each runs whole on its own core,
            // which keeps OpenBLAS's blocking intact instead of splitting both products in halves.
            let both = gx != nil && gw != nil && Parallel.threads >= 2
            Parallel.forChunks(both ? 2 : 1) { jobs in
                for job in jobs {
                    if job == 0, let (t, acc) = gx {
                        Tensor.backend.gemm(g2, transA: false, weight, transB: false, into: t.flatRows(), alpha: 1,
                                            beta: acc ? 1 : 0, parallel: !both, precision: precision)
                    }
                    if job == 1 || !both, let (t, acc) = gw {
                        Tensor.backend.gemm(g2, transA: true, x2, transB: false, into: t, alpha: 1, beta: acc ? 1 : 0, parallel: !both, precision: precision)
                    }
                }
            }
            bias?.accumulateGrad { gb, acc in Tensor.backend.sumRows(g2, into: gb, accumulate: acc) }
        }
    }

    /// A contiguous tensor viewed as [rows, lastAxis] (no history).
    func flatRows() -> Tensor {
        let cols = shape.last ?? 1
        return Tensor(storage: storage, offset: offset, shape: [count / max(cols, 1), cols])
    }
}
