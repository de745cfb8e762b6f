import Core
import NN

/// A named block of Float32 values a checkpoint saves and restores in place: a parameter, an adapter
/// weight, or an optimizer's flat state buffer. The tensor is a contiguous view of the live values, so
/// saving reads them without copying and restoring writes straight into them.
public struct CheckpointTensor {
    public let name: String
    public let tensor: Tensor

    public init(_ name: String, _ tensor: Tensor) {
        check(tensor.isContiguous, "CheckpointTensor: \(name) must be a contiguous tensor, got strides \(tensor.strides) for shape \(tensor.shape)")
        self.name = name
        self.tensor = tensor
    }

    /// A whole flat buffer as a 1-D tensor (optimizer moments and the like).
    public init(_ name: String, storage: Storage) {
        self.init(name, Tensor(storage: storage, shape: [storage.count]))
    }

    /// Every parameter of an allocated store, under its checkpoint name and in its shape.
    public static func parameters(of store: ParameterStore) -> [CheckpointTensor] {
        guard let values = store.values else { fatalError("remask: CheckpointTensor.parameters: the ParameterStore is not allocated") }
        return store.parameters.map { CheckpointTensor($0.name, Tensor(storage: values, offset: $0.offset, shape: $0.shape)) }
    }
}
