import Core

/// An optimizer over a `ParameterStore`'s flat buffers.
///
/// A training loop sets `learningRate` (e.g. from a `LearningRateSchedule`) before each `update()`. For a
/// checkpoint it saves `step` and every buffer in `stateBuffers`; `restore(step:buffers:)` puts them back,
/// after which the run continues bit for bit as if it had never stopped.
public protocol Optimizer: AnyObject, Sendable {
    /// Short name for logs and checkpoints ("lilith", "adamw").
    var name: String { get }
    var learningRate: Float { get set }
    /// Updates applied so far (0 before the first).
    var step: Int { get }
    /// The fixed hyperparameters (learning rate excluded), in a stable order, for logs and checkpoints.
    var hyperparameters: [(name: String, value: Float)] { get }
    /// The optimizer's state, one flat buffer per kind, each laid out like the store's value buffer.
    var stateBuffers: [(name: String, storage: Storage)] { get }
    /// Applies one update from the store's accumulated gradients (it does not zero them).
    func update()
    /// Restores a saved state: `buffers` must hold exactly the names of `stateBuffers`, each with one value
    /// per parameter in the store. Throws `OptimizerStateError` and changes nothing when they do not.
    func restore(step: Int, buffers: [String: [Float]]) throws
}

extension Optimizer {
    /// One line for logs, e.g. `adamw(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.01)`.
    public var summary: String {
        let parts = [("lr", learningRate)] + hyperparameters.map { ($0.name, $0.value) }
        return name + "(" + parts.map { "\($0.0)=\($0.1)" }.joined(separator: ", ") + ")"
    }

    /// Checks `buffers` against `stateBuffers`, then copies them in and sets the step through `setStep`.
    func restoreState(step: Int, buffers: [String: [Float]], setStep: (Int) -> Void) throws {
        guard step >= 0 else { throw OptimizerStateError("\(name): step \(step) is negative") }
        let expected = stateBuffers
        let names = Set(expected.map(\.name))
        let missing = names.subtracting(buffers.keys).sorted(), extra = Set(buffers.keys).subtracting(names).sorted()
        guard missing.isEmpty && extra.isEmpty else {
            throw OptimizerStateError("\(name): state buffers \(buffers.keys.sorted()) do not match the expected "
                                      + "\(expected.map(\.name)) (missing \(missing), unexpected \(extra))")
        }
        for (bufferName, storage) in expected where buffers[bufferName]!.count != storage.count {
            throw OptimizerStateError("\(name): state buffer \(bufferName) has \(buffers[bufferName]!.count) "
                                      + "values, the parameters have \(storage.count)")
        }
        for (bufferName, storage) in expected {
            _ = UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count)
                .update(fromContentsOf: buffers[bufferName]!)
        }
        setStep(step)
    }
}

/// A saved optimizer state that does not fit the optimizer it is restored into.
public struct OptimizerStateError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
