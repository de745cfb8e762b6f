/// Views: reshape, transpose and last-axis slices share storage; `contiguous()` copies only when needed.
extension Tensor {
    /// The same elements in a new shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var dims = newShape
        let known = dims.filter { $0 != -1 }.reduce(1, *)
        if let i = dims.firstIndex(of: -1) {
            check(dims.filter({ $0 == -1 }).count == 1 && known > 0 && count % known == 0,
                  "reshape: cannot infer a dimension reshaping \(shape) to \(newShape)")
            dims[i] = count / known
        }
        check(Tensor.count(of: dims) == count, "reshape: shape \(shape) (\(count) elements) cannot become \(newShape)")
        let x = contiguous()
        let out = Tensor(storage: x.storage, offset: x.offset, shape: dims)
        let inShape = shape, sx = x.slot
        return Tensor.record(out, "reshape", [x]) { g in sx.accumulateGrad(g.reshaped(inShape), owned: true) }
    }

    /// Swaps two axes (a view).
    public func transposed(_ a0: Int = -2, _ b0: Int = -1) -> Tensor {
        let a = a0 < 0 ? rank + a0 : a0, b = b0 < 0 ? rank + b0 : b0
        check(a >= 0 && a < rank && b >= 0 && b < rank, "transpose: axes \(a0), \(b0) out of range for shape \(shape)")
        var s = shape, st = strides
        s.swapAt(a, b); st.swapAt(a, b)
        let out = Tensor(storage: storage, offset: offset, shape: s, strides: st)
        let sx = slot
        return Tensor.record(out, "transpose", [self]) { g in
            sx.accumulateGrad(g.transposed(a, b).contiguous(), owned: true)
        }
    }

    /// Columns `range` of the last axis (a view).
    public func sliceLastAxis(_ range: Range<Int>) -> Tensor {
        check(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[rank - 1],
              "slice: range \(range) outside the last axis of shape \(shape)")
        var s = shape
        s[rank - 1] = range.count
        let out = Tensor(storage: storage, offset: offset + range.lowerBound * strides[rank - 1], shape: s, strides: strides)
        let sx = slot, width = shape[rank - 1]
        return Tensor.record(out, "slice", [self]) { g in
            sx.accumulateGrad { gx, acc in
                if !acc { gx.pointer.update(repeating: 0, count: gx.count) }
                let rows = gx.count / max(width, 1), n = range.count
                for r in 0..<rows {
                    let dst = gx.pointer + r * width + range.lowerBound, src = g.pointer + r * n
                    for j in 0..<n { dst[j] += src[j] }
                }
            }
        }
    }

    /// This tensor if contiguous, else a contiguous copy (recorded for backpropagation).
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let out = contiguousStorageView()
        // The copy is in the view's logical order, which is also the layout of the view's gradient.
        let sx = slot
        return Tensor.record(out, "contiguous", [self]) { g in sx.accumulateGrad(g, owned: true) }
    }
}

/// Reductions.
extension Tensor {
    /// Sum of all elements (a scalar).
    public func sum() -> Tensor {
        let x = contiguous()
        let out = Tensor(scalar: Tensor.backend.sumAll(x))
        let sx = x.slot
        return Tensor.record(out, "sum", [x]) { g in
            sx.accumulateGrad { gx, acc in
                let v = g.item
                if acc { Tensor.backend.affine(gx, scale: 1, shift: v, into: gx, accumulate: false) } else { gx.pointer.update(repeating: v, count: gx.count) }
            }
        }
    }

    /// Mean of all elements (a scalar).
    public func mean() -> Tensor {
        check(count > 0, "mean: empty tensor of shape \(shape)")
        return sum() * (1 / Float(count))
    }
}

extension Tensor {
    /// Joins tensors along the last axis; all other dimensions must agree.
    public static func concatenateLastAxis(_ parts: [Tensor]) -> Tensor {
        check(!parts.isEmpty, "concatenate: needs at least one tensor")
        let lead = Array(parts[0].shape.dropLast())
        for p in parts {
            check(p.rank == parts[0].rank && Array(p.shape.dropLast()) == lead,
                  "concatenate: shapes \(parts.map(\.shape)) differ outside the last axis")
        }
        let widths = parts.map { $0.shape.last ?? 1 }, total = widths.reduce(0, +)
        let rows = lead.reduce(1, *)
        let out = Tensor(uninitialized: lead + [total])
        let inputs = parts.map { $0.contiguous() }
        var start = 0
        var starts: [Int] = []
        for (x, w) in zip(inputs, widths) {
            starts.append(start)
            for r in 0..<rows { (out.pointer + r * total + start).update(from: x.pointer + r * w, count: w) }
            start += w
        }
        let slots = inputs.map(\.slot)
        return record(out, "concatenate", inputs) { g in
            for (i, s) in slots.enumerated() {
                let w = widths[i], c0 = starts[i]
                s.accumulateGrad { gx, acc in
                    for r in 0..<rows {
                        let dst = gx.pointer + r * w, src = g.pointer + r * total + c0
                        if acc { for j in 0..<w { dst[j] += src[j] } } else { dst.update(from: src, count: w) }
                    }
                }
            }
        }
    }
}
