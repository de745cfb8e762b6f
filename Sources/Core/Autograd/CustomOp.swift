/// The hook through which modules above Core plug in ops of their own (candle's custom ops): the module computes
/// the output itself and supplies the backward function, so Core needs to know nothing of its objective.
extension Tensor {
    /// Records `output` as computed by the op `name` from `inputs`. `backward` receives the output's gradient
    /// (contiguous, the output's shape) and adds each input's contribution with `addToGradient`. It must not
    /// capture `output` (capture `output.detached()` if it needs the values).
    public static func customOp(_ name: String, output: Tensor, inputs: [Tensor],
                                backward: @escaping (_ outputGradient: Tensor) -> Void) -> Tensor {
        record(output, name, inputs, backward)
    }

    /// Inside a custom op's backward: hands `write` this tensor's gradient buffer (contiguous, this shape) and
    /// whether to add to it (`true`) or overwrite it (`false`, a fresh buffer). Does nothing when the tensor
    /// tracks no gradient.
    public func addToGradient(_ write: (_ gradient: Tensor, _ accumulate: Bool) -> Void) {
        slot.accumulateGrad(write)
    }
}
