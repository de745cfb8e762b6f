import Core
import Foundation

/// The element types of the safetensors format. All can be described; F32, F16 and BF16 can be read.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8E4M3 = "F8_E4M3", f8E5M2 = "F8_E5M2"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32", f64 = "F64", i64 = "I64", u64 = "U64"

    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8E4M3, .f8E5M2: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .f64, .i64, .u64: 8
        }
    }

    /// The ggml type with the same element encoding, for the dtypes remask converts to Float32.
    var readableAs: GGMLType? {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        default: nil
        }
    }
}

/// One tensor of a safetensors file, as its header describes it.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Byte range within the data section (which follows the header).
    public let dataRange: Range<Int>
}

/// A safetensors file: `u64` header length, JSON header, data.
///
/// The file is memory-mapped and validated when opened like the reference implementation: the header is
/// at most 100 MB, every tensor's byte range matches its shape and dtype, and the ranges tile the data
/// section exactly (no overlaps, no gaps).
public struct SafetensorsFile: Sendable {
    public let path: String
    /// The optional `__metadata__` string map.
    public let metadata: [String: String]
    /// Tensors by name.
    public let tensors: [String: SafetensorsTensorInfo]
    private let file: FileBytes
    private let dataOffset: Int

    /// The reference implementation's limit on the header size.
    static let maxHeaderSize = 100_000_000

    public init(path: String) throws {
        try self.init(FileBytes(path: path))
    }

    /// Parses safetensors bytes held in memory; `name` stands for the path in errors.
    public init(data: Data, name: String) throws {
        try self.init(FileBytes(copying: data, name: name))
    }

    private init(_ file: FileBytes) throws {
        var r = BinaryReader(file)
        let rawLength = try r.read(UInt64.self, "header length")
        guard rawLength <= UInt64(min(Self.maxHeaderSize, r.remaining)) else {
            throw r.error("header length \(rawLength) exceeds \(rawLength > UInt64(Self.maxHeaderSize) ? "the 100 MB limit" : "the \(r.remaining) bytes after it")")
        }
        let headerBytes = try r.bytes(Int(rawLength), "header")
        let header: SafetensorsHeader
        do {
            header = try JSONDecoder().decode(SafetensorsHeader.self, from: Data(headerBytes))
        } catch let problem as SafetensorsHeader.Problem {
            throw r.error(problem.message)
        } catch {
            throw r.error("header is not a JSON object of tensor entries: \(error)")
        }
        let dataSize = r.remaining
        var tensors: [String: SafetensorsTensorInfo] = [:]
        for (name, entry) in header.entries {
            tensors[name] = try Self.validate(entry, name: name, dataSize: dataSize, file: file)
        }
        try Self.checkTiling(tensors.values, dataSize: dataSize, file: file)
        self.path = file.path
        self.metadata = header.metadata
        self.tensors = tensors
        self.file = file
        self.dataOffset = r.offset
    }

    private static func validate(_ e: SafetensorsHeader.Entry, name: String, dataSize: Int,
                                 file: FileBytes) throws -> SafetensorsTensorInfo {
        func fail(_ reason: String) -> FileError { FileError(path: file.path, "tensor '\(name)' \(reason)") }
        guard let dtype = SafetensorsDType(rawValue: e.dtype) else { throw fail("has unknown dtype '\(e.dtype)'") }
        guard e.shape.allSatisfy({ $0 >= 0 }) else { throw fail("has a negative dimension in shape \(e.shape)") }
        guard e.data_offsets.count == 2 else { throw fail("needs data_offsets [begin, end], got \(e.data_offsets)") }
        let (begin, end) = (e.data_offsets[0], e.data_offsets[1])
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw fail("data_offsets [\(begin), \(end)] lie outside the data section (\(dataSize) bytes)")
        }
        // The nonzero dimensions alone must not overflow either: a tensor's strides are their products.
        guard let count = checkedProduct(e.shape), let size = checkedProduct(count, dtype.byteSize),
              checkedProduct(e.shape.map { max($0, 1) }) != nil else {
            throw fail("shape \(e.shape) overflows")
        }
        guard size == end - begin else {
            throw fail("shape \(e.shape) of \(dtype.rawValue) needs \(size) bytes, but data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: e.shape, dataRange: begin..<end)
    }

    /// The reference requires the tensors, in offset order, to cover the data section exactly.
    private static func checkTiling(_ infos: some Collection<SafetensorsTensorInfo>, dataSize: Int, file: FileBytes) throws {
        var position = 0
        var previous = "the start of the data section"
        for t in infos.sorted(by: { ($0.dataRange.lowerBound, $0.dataRange.upperBound) < ($1.dataRange.lowerBound, $1.dataRange.upperBound) }) {
            guard t.dataRange.lowerBound >= position else {
                throw FileError(path: file.path, "tensor '\(t.name)' (bytes \(t.dataRange)) overlaps \(previous)")
            }
            guard t.dataRange.lowerBound == position else {
                throw FileError(path: file.path, "gap of \(t.dataRange.lowerBound - position) bytes between \(previous) and tensor '\(t.name)'")
            }
            position = t.dataRange.upperBound
            previous = "tensor '\(t.name)'"
        }
        guard position == dataSize else {
            throw FileError(path: file.path, "data section has \(dataSize - position) bytes after the last tensor")
        }
    }

    /// Tensor names, sorted.
    public var tensorNames: [String] { tensors.keys.sorted() }

    /// Tensor `name` converted to Float32, in its shape. Reads F32, F16 and BF16; other dtypes throw.
    public func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw FileError(path: path, "missing tensor \(name)") }
        guard let type = t.dtype.readableAs else {
            throw FileError(path: path, "tensor '\(name)' has dtype \(t.dtype.rawValue), which remask cannot read (it reads F32, F16 and BF16)")
        }
        let range = (dataOffset + t.dataRange.lowerBound)..<(dataOffset + t.dataRange.upperBound)
        let bytes = try file.slice(range, "tensor '\(name)' data")
        let out = Tensor(uninitialized: t.shape)
        Dequantizer.run(type, from: bytes, into: out.pointer, count: out.count)
        return out
    }
}

/// The JSON header: tensor entries plus the optional `__metadata__` map.
private struct SafetensorsHeader: Decodable {
    struct Entry: Decodable {
        let dtype: String
        let shape: [Int]
        let data_offsets: [Int]
    }

    /// A problem with one entry, reported with the entry's name rather than as a raw decoding error.
    struct Problem: Error { let message: String }

    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    var entries: [String: Entry] = [:]
    var metadata: [String: String] = [:]

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                guard let map = try? container.decode([String: String].self, forKey: key) else {
                    throw Problem(message: "__metadata__ must map strings to strings")
                }
                metadata = map
            } else {
                guard let entry = try? container.decode(Entry.self, forKey: key) else {
                    throw Problem(message: "tensor '\(key.stringValue)' needs dtype (a string), shape (integers) and data_offsets (two integers)")
                }
                entries[key.stringValue] = entry
            }
        }
    }
}
