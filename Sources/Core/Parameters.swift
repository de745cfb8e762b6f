extension Tensor {
    /// A trainable leaf: values and gradient are views into the caller's flat buffers (see NN's
    /// `ParameterStore`), so backward accumulates straight into the flat gradient buffer.
    public static func parameter(values: Storage, grads: Storage, offset: Int, shape: [Int]) -> Tensor {
        let t = Tensor(storage: values, offset: offset, shape: shape, requiresGrad: true)
        t.slot.isParameter = true
        t.grad = Tensor(storage: grads, offset: offset, shape: shape)
        return t
    }
}
