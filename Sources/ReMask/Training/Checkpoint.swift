import Core
import NN
import Foundation
import Models

/// One complete checkpoint folder (`checkpoints/step-000120/`), validated when opened:
/// - `model.safetensors`: the trained weights (the whole trainable store, or only adapter weights), F32;
/// - `optimizer.safetensors`: the optimizer's named state buffers, F32;
/// - `trainer.json`: the format version, the byte size of both tensor files, and the `TrainerState`.
///
/// Values are stored as raw little-endian F32, so a save and a restore round-trip bit for bit.
public struct Checkpoint: Sendable {
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"
    public static let stateFile = "trainer.json"
    static let formatVersion = 1

    public let url: URL
    public let state: TrainerState
    private let model: SafetensorsFile
    private let optimizer: SafetensorsFile

    /// Opens and validates the checkpoint folder at `url`: `trainer.json` must decode, both tensor files
    /// must exist with the sizes it records, and their headers must be valid. Throws a `FileError`
    /// naming the file and the problem.
    public init(at url: URL) throws {
        let manifestURL = url.appendingPathComponent(Self.stateFile)
        let manifestPath = manifestURL.path
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw FileError(path: manifestPath, "is missing (not a complete checkpoint)")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: manifestURL))
        } catch {
            throw FileError(path: manifestPath, "is not a valid checkpoint description: \(Self.describe(error))")
        }
        guard manifest.version == Self.formatVersion else {
            throw FileError(path: manifestPath, "has format version \(manifest.version); this remask reads version \(Self.formatVersion)")
        }
        for name in [Self.modelFile, Self.optimizerFile] {
            let path = url.appendingPathComponent(name).path
            guard let expected = manifest.files[name] else {
                throw FileError(path: manifestPath, "does not record the size of \(name)")
            }
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = (attributes[.size] as? NSNumber)?.intValue else {
                throw FileError(path: path, "is missing")
            }
            guard size == expected else {
                throw FileError(path: path, "has \(size) bytes, but \(Self.stateFile) records \(expected) (truncated or replaced)")
            }
            if let recorded = manifest.hashes?[name], try ContentHash.of(file: path) != recorded {
                throw FileError(path: path, "does not match the checksum \(Self.stateFile) records (damaged)")
            }
        }
        self.url = url
        self.state = manifest.state
        self.model = try Self.open(url.appendingPathComponent(Self.modelFile))
        self.optimizer = try Self.open(url.appendingPathComponent(Self.optimizerFile))
    }

    /// Names of the saved model tensors, sorted.
    public var modelTensorNames: [String] { model.tensorNames }

    /// Copies the saved weights into `tensors`; the names and shapes must match the file exactly.
    public func restoreModel(into tensors: [CheckpointTensor]) throws {
        try Self.restore(model, into: tensors)
    }

    /// Copies the saved optimizer state into `tensors`; the names and shapes must match the file exactly.
    public func restoreOptimizer(into tensors: [CheckpointTensor]) throws {
        try Self.restore(optimizer, into: tensors)
    }

    /// Restores a training run: the weights of `parameters`, then `optimizer`'s buffers and step count.
    public func restoreTraining(parameters: ParameterStore, optimizer: any Optimizer) throws {
        try restoreModel(into: CheckpointTensor.parameters(of: parameters))
        let buffers = optimizer.stateBuffers
        try restoreOptimizer(into: buffers.map { CheckpointTensor($0.name, storage: $0.storage) })
        try optimizer.restore(step: state.step, buffers: Dictionary(uniqueKeysWithValues: buffers.map {
            ($0.name, Array(UnsafeBufferPointer(start: $0.storage.pointer, count: $0.storage.count)))
        }))
    }

    /// Writes a complete checkpoint into the empty folder `folder` (which is renamed into place later).
    static func write(model: [CheckpointTensor], optimizer: [CheckpointTensor], state: TrainerState, to folder: URL) throws {
        var sizes: [String: Int] = [:], hashes: [String: String] = [:]
        for (name, tensors, metadata) in [(modelFile, model, ["format": "pt"]), (optimizerFile, optimizer, [:])] {
            let path = folder.appendingPathComponent(name).path
            var writer = SafetensorsWriter(metadata: metadata)
            for t in tensors { writer.add(t.name, t.tensor) }
            try writer.write(to: path)
            sizes[name] = try (FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
            hashes[name] = try ContentHash.of(file: path)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let manifest = Manifest(version: formatVersion, files: sizes, hashes: hashes, state: state)
        try AtomicFile.write(encoder.encode(manifest), to: folder.appendingPathComponent(stateFile))
    }

    private static func open(_ url: URL) throws -> SafetensorsFile {
        let file = try SafetensorsFile(path: url.path)
        if let bad = file.tensors.values.first(where: { $0.dtype != .f32 }) {
            throw FileError(path: url.path, "tensor '\(bad.name)' has dtype \(bad.dtype.rawValue); checkpoints hold F32 only")
        }
        return file
    }

    private static func restore(_ file: SafetensorsFile, into tensors: [CheckpointTensor]) throws {
        let wanted = Set(tensors.map(\.name))
        if let missing = tensors.first(where: { file.tensors[$0.name] == nil }) {
            throw FileError(path: file.path, "has no tensor '\(missing.name)' (saved by a run with a different model or setup?)")
        }
        if let extra = file.tensorNames.first(where: { !wanted.contains($0) }) {
            throw FileError(path: file.path, "holds tensor '\(extra)', which this run does not have (saved by a run with a different model or setup?)")
        }
        for t in tensors {
            let info = file.tensors[t.name]!
            guard info.shape == t.tensor.shape else {
                throw FileError(path: file.path, "tensor '\(t.name)' has shape \(info.shape), but this run's has shape \(t.tensor.shape)")
            }
            let saved = try file.tensor(t.name)
            t.tensor.pointer.update(from: saved.pointer, count: saved.count)
        }
    }

    /// A decoding error as one line (the coding path and the problem).
    private static func describe(_ error: Error) -> String {
        func at(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        }
        switch error {
        case DecodingError.dataCorrupted(let c): return at(c)
        case DecodingError.keyNotFound(let key, let c): return "missing '\(key.stringValue)'" + (c.codingPath.isEmpty ? "" : " in \(c.codingPath.map(\.stringValue).joined(separator: "."))")
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c): return at(c)
        default: return "\(error)"
        }
    }

    /// The contents of `trainer.json`.
    private struct Manifest: Codable {
        let version: Int
        /// Byte size of each tensor file, to detect truncation.
        let files: [String: Int]
        /// `ContentHash` of each tensor file, to detect damage (absent in checkpoints from before it existed).
        var hashes: [String: String]?
        let state: TrainerState
    }
}
