/// Elementwise arithmetic and activations. Binary ops broadcast the right operand when its shape is a
/// suffix of the left one's (a bias over rows) or when it has one element.
extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { binaryOp(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binaryOp(.sub, a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binaryOp(.mul, a, b) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1, shift: 0) }

    private static func binaryOp(_ op: BinaryOp, _ a0: Tensor, _ b0: Tensor) -> Tensor {
        let sameShape = a0.shape == b0.shape
        let suffix = b0.rank <= a0.rank && Array(a0.shape.suffix(b0.rank)) == b0.shape
        check(sameShape || suffix || b0.count == 1,
              "\(op): shapes \(a0.shape) and \(b0.shape) do not broadcast (the right operand must match, be a suffix of the left shape, or have one element)")
        let a = a0.contiguous(), b = b0.contiguous()
        let out = Tensor(uninitialized: a.shape)
        Tensor.backend.binary(op, a, b, into: out, accumulate: false)
        let broadcast = b.count != a.count
        if op != .mul {
            // Sums and differences need no input values for backward: keep only the slots.
            let sa = a.slot, sb = b.slot, bShape = b.shape
            return record(out, "\(op)", [a, b]) { g in
                sa.accumulateGrad(g, owned: false)
                if sb.requiresGrad {
                    let gb = broadcast ? reduceToShape(g, bShape) : g
                    sb.accumulateGrad(op == .add ? gb : gb.affineNoGrad(scale: -1), owned: broadcast || op == .sub)
                }
            }
        }
        return record(out, "mul", [a, b]) { g in
            a.accumulateGrad { ga, acc in Tensor.backend.binary(.mul, g, b, into: ga, accumulate: acc) }
            if b.requiresGrad {
                let prod = Tensor(uninitialized: a.shape)
                Tensor.backend.binary(.mul, g, a, into: prod, accumulate: false)
                b.slot.accumulateGrad(broadcast ? reduceToShape(prod, b.shape) : prod, owned: true)
            }
        }
    }

    /// Sums a gradient over the leading axes that broadcasting added.
    private static func reduceToShape(_ g: Tensor, _ shape: [Int]) -> Tensor {
        let out = Tensor(uninitialized: shape)
        Tensor.backend.sumRows(g, into: out, accumulate: false)
        return out
    }

    private func affineNoGrad(scale: Float) -> Tensor {
        let out = Tensor(uninitialized: shape)
        Tensor.backend.affine(self, scale: scale, shift: 0, into: out, accumulate: false)
        return out
    }

    /// x · scale + shift.
    public func affine(scale: Float, shift: Float) -> Tensor {
        let x = contiguous()
        let out = Tensor(uninitialized: shape)
        Tensor.backend.affine(x, scale: scale, shift: shift, into: out, accumulate: false)
        let sx = x.slot
        return Tensor.record(out, "affine", [x]) { g in
            sx.accumulateGrad { gx, acc in Tensor.backend.affine(g, scale: scale, shift: 0, into: gx, accumulate: acc) }
        }
    }

    private func unaryOp(_ op: UnaryOp) -> Tensor {
        let x = contiguous()
        let out = Tensor(uninitialized: shape)
        Tensor.backend.unary(op, x, into: out)
        return Tensor.record(out, "\(op)", [x]) { g in
            x.accumulateGrad { gx, acc in Tensor.backend.unaryBackward(op, x, g, into: gx, accumulate: acc) }
        }
    }

    /// x·σ(x).
    public func silu() -> Tensor { unaryOp(.silu) }
    /// GELU, tanh approximation.
    public func gelu() -> Tensor { unaryOp(.gelu) }
    /// GELU with the error function, x·Φ(x) (BERT's).
    public func geluErf() -> Tensor { unaryOp(.geluErf) }
    public func exp() -> Tensor { unaryOp(.exp) }

    /// A gated unit on a last axis that holds [gate | up]: activation(gate) ⊙ up, halving the last axis
    /// (SwiGLU with `.silu`, GeGLU with `.geluTanh`).
    public func gatedUnit(_ activation: GateActivation) -> Tensor {
        let x = contiguous()
        check(rank >= 1 && shape.last! % 2 == 0, "gatedUnit: last axis must hold gate and up halves, got shape \(shape)")
        var outShape = shape
        outShape[rank - 1] /= 2
        let out = Tensor(uninitialized: outShape)
        Tensor.backend.gatedUnit(x, activation, into: out)
        return Tensor.record(out, "gatedUnit", [x]) { g in
            x.accumulateGrad { gx, acc in Tensor.backend.gatedUnitBackward(x, activation, g, into: gx, accumulate: acc) }
        }
    }

    /// Softmax over the last axis.
    public func softmax() -> Tensor {
        check(rank >= 1, "softmax: needs at least one axis, got a scalar")
        let x = contiguous()
        let out = Tensor(uninitialized: shape)
        Tensor.backend.softmax(x, into: out)
        let y = out.detached(), sx = x.slot
        return Tensor.record(out, "softmax", [x]) { g in
            sx.accumulateGrad { gx, acc in Tensor.backend.softmaxBackward(y, g, into: gx, accumulate: acc) }
        }
    }
}
