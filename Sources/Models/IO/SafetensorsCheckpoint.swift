import Core
import Foundation

/// A Hugging Face checkpoint: one safetensors file, or shards listed by a `model.safetensors.index.json`
/// whose `weight_map` maps each tensor name to its shard's file name.
public struct SafetensorsCheckpoint: Sendable {
    /// The index file, or the single safetensors file.
    public let path: String
    /// The files, in the order their names sort.
    public let shards: [SafetensorsFile]
    /// For each tensor, the index of its shard in `shards`.
    private let shardOfTensor: [String: Int]

    /// Opens `path`: a folder (its `model.safetensors.index.json`, else its `model.safetensors`), an index
    /// JSON file, or a single safetensors file.
    public init(path: String) throws {
        var isFolder: ObjCBool = false
        var file = path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            let index = (path as NSString).appendingPathComponent("model.safetensors.index.json")
            file = FileManager.default.fileExists(atPath: index)
                ? index : (path as NSString).appendingPathComponent("model.safetensors")
        }
        if file.hasSuffix(".json") {
            try self.init(indexPath: file)
        } else {
            try self.init(singleFile: file)
        }
    }

    private init(singleFile path: String) throws {
        let file = try SafetensorsFile(path: path)
        self.path = path
        shards = [file]
        shardOfTensor = file.tensors.mapValues { _ in 0 }
    }

    private init(indexPath: String) throws {
        let file = try FileBytes(path: indexPath)
        struct Index: Decodable { let weight_map: [String: String] }
        guard let index = try? JSONDecoder().decode(Index.self, from: Data(file.bytes)) else {
            throw FileError(path: indexPath, "not a safetensors index: needs a weight_map of tensor names to file names")
        }
        let folder = (indexPath as NSString).deletingLastPathComponent
        let fileNames = Set(index.weight_map.values).sorted()
        for name in fileNames where name.contains("/") || name.contains("\\") || name == ".." || name.isEmpty {
            throw FileError(path: indexPath, "shard '\(name)' is not a file name in the index's folder")
        }
        let shards = try fileNames.map { try SafetensorsFile(path: (folder as NSString).appendingPathComponent($0)) }
        let shardIndex = Dictionary(uniqueKeysWithValues: fileNames.enumerated().map { ($1, $0) })
        var shardOfTensor: [String: Int] = [:]
        for (tensor, fileName) in index.weight_map {
            let i = shardIndex[fileName]!
            guard shards[i].tensors[tensor] != nil else {
                throw FileError(path: indexPath, "shard '\(fileName)' has no tensor '\(tensor)', which the index lists")
            }
            shardOfTensor[tensor] = i
        }
        self.path = indexPath
        self.shards = shards
        self.shardOfTensor = shardOfTensor
    }

    /// Tensor names, sorted.
    public var tensorNames: [String] { shardOfTensor.keys.sorted() }

    public func info(_ name: String) -> SafetensorsTensorInfo? {
        shardOfTensor[name].flatMap { shards[$0].tensors[name] }
    }

    /// Tensor `name` converted to Float32, from whichever shard holds it.
    public func tensor(_ name: String) throws -> Tensor {
        guard let i = shardOfTensor[name] else {
            throw FileError(path: path, "missing tensor \(name)")
        }
        return try shards[i].tensor(name)
    }
}
