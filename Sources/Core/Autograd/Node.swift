/// One recorded operation: the gradient slots of its inputs and the function that turns the output's
/// gradient into contributions to those slots. Nodes form the graph that `Tensor.backward()` walks in reverse.
final class Node {
    let name: String
    let inputs: [GradSlot]
    /// Receives the output gradient (contiguous, the output's shape) and accumulates into the input slots.
    let backward: (Tensor) -> Void

    init(_ name: String, _ inputs: [GradSlot], _ backward: @escaping (Tensor) -> Void) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// The autodiff state of one tensor: whether it tracks gradients, the op that produced it, and its gradient.
/// Kept apart from the tensor's values so the graph never holds on to data that backward does not need.
public final class GradSlot: @unchecked Sendable {
    public let shape: [Int]
    public internal(set) var requiresGrad: Bool
    /// Parameters accumulate into a persistent gradient buffer across backward passes.
    public internal(set) var isParameter = false
    var gradFn: Node?
    public internal(set) var grad: Tensor?

    init(shape: [Int], requiresGrad: Bool) {
        self.shape = shape
        self.requiresGrad = requiresGrad
    }

    var count: Int { shape.reduce(1, *) }

    /// Hands `write` this slot's gradient buffer (contiguous, this shape) and whether to add to it (`true`)
    /// or overwrite it (`false`: a fresh buffer). Kernels and GEMMs use this to accumulate without an extra
    /// pass. Does nothing when the slot does not track gradients.
    func accumulateGrad(_ write: (_ grad: Tensor, _ accumulate: Bool) -> Void) {
        guard requiresGrad else { return }
        if let g = grad {
            write(g, true)
        } else {
            let g = Tensor(uninitialized: shape)
            write(g, false)
            grad = g
        }
    }

    /// Accumulates a whole gradient tensor. When `owned` (nobody else holds `g`) and there is no gradient
    /// yet, `g` is adopted without a copy.
    func accumulateGrad(_ g: Tensor, owned: Bool) {
        guard requiresGrad else { return }
        check(g.shape == shape, "backward: gradient shape \(g.shape) does not match tensor shape \(shape)")
        if owned && grad == nil && !isParameter && g.isContiguous {
            grad = g
            return
        }
        let src = g.contiguousStorageView()
        accumulateGrad { dst, acc in
            if acc { addInPlace(dst.pointer, src.pointer, count) } else { dst.pointer.update(from: src.pointer, count: count) }
        }
    }
}

/// Gradient recording on or off (inference builds no graph).
public enum Autograd {
    @TaskLocal static var isEnabled = true

    /// Runs `body` without recording operations for backpropagation.
    public static func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $isEnabled.withValue(false) { try body() }
    }

    /// Whether operations are being recorded.
    public static var isRecording: Bool { isEnabled }
}

extension Tensor {
    /// Records `name` as the op producing `output` from `inputs` when any input tracks gradients.
    /// The closure must not capture `output` itself (that would form a cycle; capture `output.detached()`),
    /// and should capture an input's `slot` rather than the input when backward does not read its values.
    static func record(_ output: Tensor, _ name: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> Void) -> Tensor {
        guard Autograd.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return output }
        output.requiresGrad = true
        output.slot.gradFn = Node(name, inputs.map(\.slot), backward)
        return output
    }

    /// Shorthand for `slot.accumulateGrad(write)`.
    func accumulateGrad(_ write: (_ grad: Tensor, _ accumulate: Bool) -> Void) { slot.accumulateGrad(write) }

    /// Backpropagates from this scalar: accumulates d(self)/d(leaf) into every leaf's `grad`.
    /// Intermediate gradients and the graph are released as they are consumed.
    public func backward() {
        check(count == 1, "backward: needs a scalar, got shape \(shape)")
        backward(seed: Tensor.full(shape, 1))
    }

    /// Backpropagates with an explicit output gradient `seed` (same shape as self).
    public func backward(seed: Tensor) {
        check(requiresGrad, "backward: this tensor does not depend on anything that tracks gradients")
        check(seed.shape == shape, "backward: seed shape \(seed.shape) does not match \(shape)")
        // Topological order by iterative depth-first search over the recorded graph.
        var order: [GradSlot] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradSlot, Bool)] = [(slot, false)]
        while let (s, expanded) = stack.popLast() {
            if expanded { order.append(s); continue }
            if !visited.insert(ObjectIdentifier(s)).inserted { continue }
            stack.append((s, true))
            if let node = s.gradFn {
                for input in node.inputs where input.gradFn != nil && !visited.contains(ObjectIdentifier(input)) {
                    stack.append((input, false))
                }
            }
        }
        slot.accumulateGrad(seed, owned: false)
        for s in order.reversed() {
            guard let node = s.gradFn else { continue }
            s.gradFn = nil
            guard let g = s.grad else { continue }
            s.grad = nil
            node.backward(g)
        }
    }
}

/// dst += src.
@inline(__always)
func addInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    Parallel.forChunks(n, minChunk: 1 << 16) { r in
        var i = r.lowerBound
        while i + 8 <= r.upperBound { store8(load8(dst + i) + load8(src + i), dst + i); i += 8 }
        while i < r.upperBound { dst[i] += src[i]; i += 1 }
    }
}
