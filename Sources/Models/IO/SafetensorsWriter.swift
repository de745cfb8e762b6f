import Core
import Foundation

/// Builds a safetensors file with tensors stored as F32, F16 or BF16.
///
/// Tensors are laid out in name order and the header's keys are sorted, so the same tensors always give
/// the same bytes. The header is padded with spaces to a multiple of 8 bytes, as the reference does, so
/// the data section is 8-byte aligned.
public struct SafetensorsWriter {
    private var metadata: [String: String]
    private var tensors: [String: (tensor: Tensor, dtype: SafetensorsDType)] = [:]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Adds a tensor stored as `dtype` (F32, F16 or BF16). Its values are read when the file is written.
    public mutating func add(_ name: String, _ tensor: Tensor, as dtype: SafetensorsDType = .f32) {
        check(name != "__metadata__", "SafetensorsWriter: '__metadata__' cannot name a tensor")
        check(tensors[name] == nil, "SafetensorsWriter: duplicate tensor '\(name)'")
        check(dtype.readableAs != nil, "SafetensorsWriter: cannot write dtype \(dtype.rawValue) (tensor '\(name)')")
        tensors[name] = (tensor, dtype)
    }

    /// Writes the file atomically (a temporary file renamed into place).
    public func write(to path: String) throws {
        let names = tensors.keys.sorted()
        var header: [String: HeaderValue] = [:]
        var offset = 0
        for name in names {
            let (tensor, dtype) = tensors[name]!
            let size = tensor.count * dtype.byteSize
            header[name] = .tensor(dtype: dtype.rawValue, shape: tensor.shape, data_offsets: [offset, offset + size])
            offset += size
        }
        if !metadata.isEmpty { header["__metadata__"] = .metadata(metadata) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var json = try encoder.encode(header)
        json.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8))

        try writeAtomically(to: path) { out in
            try out.append(UInt64(json.count))
            try json.withUnsafeBytes { try out.append($0) }
            for name in names {
                let (tensor, dtype) = tensors[name]!
                switch dtype {
                case .f16: try out.append(tensor, as: .f16)
                case .bf16: try out.append(tensor, as: .bf16)
                default: try out.append(tensor, as: .f32)
                }
            }
        }
    }

    private enum HeaderValue: Encodable {
        case tensor(dtype: String, shape: [Int], data_offsets: [Int])
        case metadata([String: String])

        private enum Keys: String, CodingKey { case dtype, shape, data_offsets }

        func encode(to encoder: Encoder) throws {
            switch self {
            case .tensor(let dtype, let shape, let offsets):
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(dtype, forKey: .dtype)
                try c.encode(shape, forKey: .shape)
                try c.encode(offsets, forKey: .data_offsets)
            case .metadata(let map):
                var c = encoder.singleValueContainer()
                try c.encode(map)
            }
        }
    }
}
