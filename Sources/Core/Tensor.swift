import Foundation

/// An n-dimensional Float32 array with optional reverse-mode gradient tracking.
///
/// A tensor is a view: `storage` plus `offset`, `shape` and `strides` (in elements). Reshaping a contiguous
/// tensor, transposing and slicing the last axis make views without copying; kernels that need contiguous
/// memory call `contiguous()`, which copies only when needed.
public final class Tensor: @unchecked Sendable {
    public let storage: Storage
    public let offset: Int
    public let shape: [Int]
    public let strides: [Int]

    /// Gradient bookkeeping. Recorded ops keep the slots of their inputs, not the tensors, so an input's
    /// values are released as soon as no op needs them for backward.
    public let slot: GradSlot

    /// Whether gradients flow to this tensor.
    public internal(set) var requiresGrad: Bool {
        get { slot.requiresGrad }
        set { slot.requiresGrad = newValue }
    }
    /// The accumulated gradient. For parameters it is a view into the flat gradient buffer.
    public var grad: Tensor? {
        get { slot.grad }
        set { slot.grad = newValue }
    }

    public init(storage: Storage, offset: Int = 0, shape: [Int], strides: [Int]? = nil, requiresGrad: Bool = false) {
        let strides = strides ?? Tensor.contiguousStrides(shape)
        check(shape.allSatisfy { $0 >= 0 }, "tensor: negative dimension in shape \(shape)")
        var last = offset
        for (d, s) in zip(shape, strides) where d > 0 { last += (d - 1) * s }
        check(shape.contains(0) || (offset >= 0 && last < storage.count),
              "tensor: view with shape \(shape), strides \(strides), offset \(offset) exceeds storage of \(storage.count)")
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.strides = strides
        self.slot = GradSlot(shape: shape, requiresGrad: requiresGrad)
    }

    /// A new tensor with unspecified contents.
    public convenience init(uninitialized shape: [Int]) {
        self.init(storage: Storage(uninitializedCount: Tensor.count(of: shape)), shape: shape)
    }

    /// A new tensor of zeros.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(storage: Storage(zeroedCount: count(of: shape)), shape: shape, requiresGrad: requiresGrad)
    }

    /// A new tensor filled with `value`.
    public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.storage.pointer.update(repeating: value, count: t.count)
        t.requiresGrad = requiresGrad
        return t
    }

    /// A new tensor holding `values` (row-major) in `shape`.
    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        check(values.count == Tensor.count(of: shape),
              "tensor: \(values.count) values do not fill shape \(shape)")
        self.init(storage: Storage(uninitializedCount: values.count), shape: shape, requiresGrad: requiresGrad)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A scalar (rank-0) tensor.
    public convenience init(scalar: Float, requiresGrad: Bool = false) {
        self.init([scalar], shape: [], requiresGrad: requiresGrad)
    }

    /// Values drawn from N(0, std²) with a seeded generator.
    public static func randn(_ shape: [Int], std: Float = 1, rng: inout SeededRandom, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape)
        rng.fillNormal(t.storage.pointer, count: t.count, std: std)
        t.requiresGrad = requiresGrad
        return t
    }

    public var rank: Int { shape.count }
    public var count: Int { Tensor.count(of: shape) }
    public var isContiguous: Bool { strides == Tensor.contiguousStrides(shape) }

    /// Pointer to the first element. Only meaningful for reading in stride order, or when contiguous.
    public var pointer: UnsafeMutablePointer<Float> { storage.pointer + offset }

    /// The values in row-major order.
    public var values: [Float] {
        let c = contiguousStorageView()
        return Array(UnsafeBufferPointer(start: c.pointer, count: c.count))
    }

    /// The single value of a one-element tensor.
    public var item: Float {
        check(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
        return pointer.pointee
    }

    /// The same data as a new leaf that records no history.
    public func detached() -> Tensor {
        Tensor(storage: storage, offset: offset, shape: shape, strides: strides)
    }

    /// Makes this leaf tensor track gradients (for inputs of gradient checks and hand-built parameters).
    @discardableResult
    public func trackingGradients() -> Tensor {
        check(slot.gradFn == nil, "trackingGradients: only a leaf tensor can start tracking gradients")
        requiresGrad = true
        return self
    }

    static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }

    /// A contiguous tensor with the same values, without history (a copy only when needed).
    func contiguousStorageView() -> Tensor {
        if isContiguous { return self }
        let out = Tensor(uninitialized: shape)
        copyStrided(into: out.storage.pointer)
        return out
    }

    /// Writes this view's elements in row-major order to `dst`.
    func copyStrided(into dst: UnsafeMutablePointer<Float>) {
        if isContiguous { dst.update(from: pointer, count: count); return }
        let n = count
        if n == 0 { return }
        let r = rank
        let inner = shape[r - 1], innerStride = strides[r - 1]
        var index = [Int](repeating: 0, count: r)
        var o = 0
        var src = offset
        let base = storage.pointer
        while o < n {
            if innerStride == 1 {
                (dst + o).update(from: base + src, count: inner)
            } else {
                for j in 0..<inner { dst[o + j] = base[src + j * innerStride] }
            }
            o += inner
            var d = r - 2
            while d >= 0 {
                index[d] += 1
                src += strides[d]
                if index[d] < shape[d] { break }
                src -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let v = values
        let shown = v.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(v.count > 8 ? ", …" : "")])"
    }
}
