/// RMSNorm and LayerNorm over the last axis.
extension Tensor {
    /// x / sqrt(mean(x²) + eps) ⊙ weight.
    public func rmsNorm(weight: Tensor, eps: Float) -> Tensor {
        check(weight.rank == 1 && rank >= 1 && shape.last! == weight.shape[0],
              "rmsNorm: input \(shape) does not match weight \(weight.shape)")
        let x = contiguous()
        let out = Tensor(uninitialized: shape)
        let rstd = Tensor(uninitialized: [count / weight.count])
        Tensor.backend.rmsNorm(x, weight: weight, eps: eps, into: out, rstd: rstd)
        return Tensor.record(out, "rmsNorm", [x, weight]) { g in
            var gx: (Tensor, Bool)?, gw: (Tensor, Bool)?
            x.accumulateGrad { t, acc in gx = (t, acc) }
            weight.accumulateGrad { t, acc in gw = (t, acc) }
            Tensor.backend.rmsNormBackward(x, weight: weight, rstd: rstd, g, gradX: gx, gradWeight: gw)
        }
    }

    /// (x − mean) / sqrt(var + eps) ⊙ weight + bias.
    public func layerNorm(weight: Tensor, bias: Tensor?, eps: Float) -> Tensor {
        check(weight.rank == 1 && rank >= 1 && shape.last! == weight.shape[0],
              "layerNorm: input \(shape) does not match weight \(weight.shape)")
        if let bias { check(bias.shape == weight.shape, "layerNorm: bias \(bias.shape) does not match weight \(weight.shape)") }
        let x = contiguous()
        let out = Tensor(uninitialized: shape)
        let rows = count / weight.count
        let mean = Tensor(uninitialized: [rows]), rstd = Tensor(uninitialized: [rows])
        Tensor.backend.layerNorm(x, weight: weight, bias: bias, eps: eps, into: out, mean: mean, rstd: rstd)
        return Tensor.record(out, "layerNorm", [x, weight] + (bias.map { [$0] } ?? [])) { g in
            var gx: (Tensor, Bool)?, gw: (Tensor, Bool)?, gb: (Tensor, Bool)?
            x.accumulateGrad { t, acc in gx = (t, acc) }
            weight.accumulateGrad { t, acc in gw = (t, acc) }
            bias?.accumulateGrad { t, acc in gb = (t, acc) }
            Tensor.backend.layerNormBackward(x, weight: weight, mean: mean, rstd: rstd, g, gradX: gx, gradWeight: gw, gradBias: gb)
        }
    }
}
