import Core
import Foundation

/// One tensor of a GGUF file, as the file's header describes it.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Row-major shape, outermost first. (The file lists dimensions innermost first.)
    public let shape: [Int]
    public let type: GGMLType
    /// Offset of the tensor's bytes from the start of the data section.
    public let offset: Int
    /// Size of the tensor's bytes, or nil when the type's layout is unknown (such a tensor cannot be read).
    public let byteCount: Int?

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A GGUF model file (versions 2 and 3): metadata, tensor descriptions, and dequantization to Float32.
///
/// The file is memory-mapped and validated when opened: every count, length, offset and dimension is
/// checked against the file's size, so any problem is a `FileError` and `tensor(_:)` cannot read out
/// of bounds.
public struct GGUFFile: Sendable {
    public let path: String
    public let version: Int
    public let metadata: GGUFMetadata
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of the data section and of every tensor in it (`general.alignment`, default 32).
    public let alignment: Int
    /// File offset of the data section.
    public let dataOffset: Int

    private let file: FileBytes
    private let tensorIndex: [String: Int]

    /// Arrays of arrays deeper than this are rejected: real files nest at most once, and a limit keeps a
    /// hostile file from exhausting the stack.
    static let maxArrayDepth = 16

    public init(path: String) throws {
        try self.init(FileBytes(path: path))
    }

    /// Parses GGUF bytes held in memory; `name` stands for the path in errors.
    public init(data: Data, name: String) throws {
        try self.init(FileBytes(copying: data, name: name))
    }

    private init(_ file: FileBytes) throws {
        var r = BinaryReader(file)
        let magic = try r.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else {  // "GGUF" read little-endian
            throw r.error("not a GGUF file (magic 0x\(String(magic.byteSwapped, radix: 16)), expected 0x47475546 \"GGUF\")")
        }
        let version = try r.read(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            if version.byteSwapped == 2 || version.byteSwapped == 3 {
                throw r.error("big-endian GGUF files are not supported")
            }
            throw r.error("GGUF version \(version) is not supported (versions 2 and 3 are)")
        }
        let tensorCount = try r.count("tensor count")
        let metadataCount = try r.count("metadata count")

        // The smallest entry: a key of length 0 (8 bytes), a type (4) and a one-byte value.
        guard metadataCount <= r.remaining / 13 else {
            throw r.error("metadata count \(metadataCount) is more than the remaining \(r.remaining) bytes can hold")
        }
        // Reservations are capped: counts are only claims until their entries have been read.
        var values: [String: GGUFValue] = [:]
        values.reserveCapacity(min(metadataCount, 1024))
        for i in 0..<metadataCount {
            let key = try r.string("key of metadata entry \(i)")
            let type = try r.read(UInt32.self, "value type of metadata key '\(key)'")
            let value = try r.ggufValue(type: type, key: key)
            guard values.updateValue(value, forKey: key) == nil else {
                throw r.error("duplicate metadata key '\(key)'")
            }
        }
        let metadata = GGUFMetadata(values: values, path: file.path)

        var alignment = 32
        if values["general.alignment"] != nil {
            alignment = try metadata.int("general.alignment")
            guard alignment > 0, alignment & (alignment - 1) == 0 else {
                throw r.error("general.alignment \(alignment) is not a power of two")
            }
        }

        // The smallest tensor info: an empty name (8), n_dims (4), one dimension (8), type (4), offset (8).
        guard tensorCount <= r.remaining / 32 else {
            throw r.error("tensor count \(tensorCount) is more than the remaining \(r.remaining) bytes can hold")
        }
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(min(tensorCount, 4096))
        var tensorIndex: [String: Int] = [:]
        for i in 0..<tensorCount {
            let info = try r.ggufTensorInfo(index: i)
            guard tensorIndex.updateValue(i, forKey: info.name) == nil else {
                throw r.error("duplicate tensor name '\(info.name)'")
            }
            tensors.append(info)
        }

        guard let padded = checkedSum(r.offset, alignment - 1) else {
            throw r.error("data section offset overflows with alignment \(alignment)")
        }
        let dataOffset = padded / alignment * alignment
        for t in tensors {
            try Self.validateRange(of: t, dataOffset: dataOffset, alignment: alignment, file: file)
        }
        // Two tensors sharing bytes is a broken or hostile file (llama.cpp's writer never does it).
        let sorted = tensors.compactMap { t in t.byteCount.flatMap { $0 > 0 ? (t, $0) : nil } }.sorted { $0.0.offset < $1.0.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.0.offset + a.1 > b.0.offset {
            throw FileError(path: file.path, "tensors '\(a.0.name)' and '\(b.0.name)' overlap in the data section "
                                 + "(offsets \(a.0.offset) + \(a.1) bytes and \(b.0.offset))")
        }

        self.path = file.path
        self.version = Int(version)
        self.metadata = metadata
        self.tensors = tensors
        self.alignment = alignment
        self.dataOffset = dataOffset
        self.file = file
        self.tensorIndex = tensorIndex
    }

    private static func validateRange(of t: GGUFTensorInfo, dataOffset: Int, alignment: Int, file: FileBytes) throws {
        guard t.offset % alignment == 0 else {
            throw FileError(path: file.path, "tensor '\(t.name)' offset \(t.offset) is not a multiple of the alignment \(alignment)")
        }
        let size = t.byteCount ?? 0
        guard let start = checkedSum(dataOffset, t.offset), let end = checkedSum(start, size), end <= file.count else {
            throw FileError(path: file.path, "tensor '\(t.name)' data [offset \(t.offset), \(size) bytes) lies outside the file (data section at \(dataOffset), file size \(file.count))")
        }
    }

    /// The description of tensor `name`, or nil when the file has none.
    public func info(_ name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Tensor `name` as the file stores it: its description and its bytes, which stay mapped as long as
    /// `owner` lives.
    public func storedTensor(_ name: String) throws -> (info: GGUFTensorInfo, bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        guard let t = info(name) else { throw FileError(path: path, "missing tensor \(name)") }
        guard let byteCount = t.byteCount else {
            throw FileError(path: path, "unknown tensor type \(t.type.rawValue) for tensor \(name)")
        }
        let start = dataOffset + t.offset  // validated when the file was opened
        return (t, try file.slice(start..<(start + byteCount), "tensor '\(name)' data"), file)
    }

    /// Tensor `name` dequantized to Float32, in its row-major shape.
    ///
    /// Reads F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K and Q6_K; other types throw.
    public func tensor(_ name: String) throws -> Tensor {
        guard let t = info(name) else { throw FileError(path: path, "missing tensor \(name)") }
        guard let byteCount = t.byteCount else {
            throw FileError(path: path, "unknown tensor type \(t.type.rawValue) for tensor \(name)")
        }
        guard Dequantizer.supports(t.type) else {
            throw FileError(path: path, "tensor '\(name)' has type \(t.type), which remask cannot dequantize (it reads \(Dequantizer.supported.map(\.description).joined(separator: ", ")))")
        }
        let start = dataOffset + t.offset  // validated when the file was opened
        let bytes = try file.slice(start..<(start + byteCount), "tensor '\(name)' data")
        let out = Tensor(uninitialized: t.shape)
        Dequantizer.run(t.type, from: bytes, into: out.pointer, count: t.elementCount)
        return out
    }
}

extension BinaryReader {
    /// A metadata value of type code `type`.
    fileprivate mutating func ggufValue(type: UInt32, key: String, depth: Int = 0) throws -> GGUFValue {
        guard let type = GGUFValueType(rawValue: type) else {
            throw error("metadata key '\(key)' has unknown value type \(type)")
        }
        let what = "value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, what))
        case .int8: return .int8(try read(Int8.self, what))
        case .uint16: return .uint16(try read(UInt16.self, what))
        case .int16: return .int16(try read(Int16.self, what))
        case .uint32: return .uint32(try read(UInt32.self, what))
        case .int32: return .int32(try read(Int32.self, what))
        case .uint64: return .uint64(try read(UInt64.self, what))
        case .int64: return .int64(try read(Int64.self, what))
        case .float32: return .float32(try float32(what))
        case .float64: return .float64(try float64(what))
        case .bool: return .bool(try ggufBool(key))
        case .string: return .string(try string(what))
        case .array: return .array(try ggufArray(key: key, depth: depth))
        }
    }

    private mutating func ggufBool(_ key: String) throws -> Bool {
        let byte = try read(UInt8.self, "bool value of '\(key)'")
        guard byte <= 1 else { throw error("metadata key '\(key)' has bool byte \(byte), neither 0 nor 1") }
        return byte == 1
    }

    /// An array: u32 element type, u64 count, elements. The count is checked against the bytes that remain
    /// before anything is allocated.
    private mutating func ggufArray(key: String, depth: Int) throws -> GGUFArray {
        guard depth < GGUFFile.maxArrayDepth else {
            throw error("metadata key '\(key)' nests arrays deeper than \(GGUFFile.maxArrayDepth) levels")
        }
        let rawType = try read(UInt32.self, "element type of array '\(key)'")
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw error("array '\(key)' has unknown element type \(rawType)")
        }
        let count = try self.count("length of array '\(key)'")
        guard count <= remaining / type.minimumSize else {
            throw error("array '\(key)' claims \(count) elements, more than the remaining \(remaining) bytes can hold")
        }
        switch type {
        case .uint8: return .uint8(try integers(count, key))
        case .int8: return .int8(try integers(count, key))
        case .uint16: return .uint16(try integers(count, key))
        case .int16: return .int16(try integers(count, key))
        case .uint32: return .uint32(try integers(count, key))
        case .int32: return .int32(try integers(count, key))
        case .uint64: return .uint64(try integers(count, key))
        case .int64: return .int64(try integers(count, key))
        case .float32: return .float32(try integers(count, key).map { Float(bitPattern: $0) })
        case .float64: return .float64(try integers(count, key).map { Double(bitPattern: $0) })
        case .bool: return .bool(try elements(count) { try $0.ggufBool(key) })
        case .string: return .string(try elements(count) { try $0.string("element of array '\(key)'") })
        case .array: return .array(try elements(count) { try $0.ggufArray(key: key, depth: depth + 1) })
        }
    }

    /// `count` elements read one by one. Capacity grows with the bytes actually read rather than being
    /// reserved up front from a count the file merely claims.
    private mutating func elements<T>(_ count: Int, _ element: (inout BinaryReader) throws -> T) rethrows -> [T] {
        var out: [T] = []
        out.reserveCapacity(Swift.min(count, 4096))
        for _ in 0..<count { out.append(try element(&self)) }
        return out
    }

    private mutating func integers<T: FixedWidthInteger>(_ count: Int, _ key: String) throws -> [T] {
        let size = MemoryLayout<T>.size
        let raw = try bytes(count * size, "elements of array '\(key)'")  // count ≤ remaining / size: no overflow
        return (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
    }

    /// One tensor description: name, dimensions (innermost first), type, offset.
    fileprivate mutating func ggufTensorInfo(index: Int) throws -> GGUFTensorInfo {
        let name = try string("name of tensor \(index)")
        let rank = try read(UInt32.self, "dimension count of tensor '\(name)'")
        guard (1...4).contains(rank) else {
            throw error("tensor '\(name)' has \(rank) dimensions (ggml allows 1 to 4)")
        }
        var dims: [Int] = []  // innermost first
        for _ in 0..<rank {
            let raw = try read(UInt64.self, "dimensions of tensor '\(name)'")
            guard let d = Int(exactly: raw), d > 0 else {
                throw error("tensor '\(name)' has dimension \(raw), which must be positive and fit in Int")
            }
            dims.append(d)
        }
        let type = GGMLType(rawValue: try read(UInt32.self, "type of tensor '\(name)'"))
        let offset = try count("data offset of tensor '\(name)'")
        guard let elements = checkedProduct(dims) else {
            throw error("tensor '\(name)' dimensions \(dims) overflow the element count")
        }
        var byteCount: Int?
        if let layout = type.layout {
            guard dims[0] % layout.elements == 0 else {
                throw error("tensor '\(name)' innermost dimension \(dims[0]) is not a multiple of the \(type) block size \(layout.elements)")
            }
            guard let size = checkedProduct(elements / layout.elements, layout.bytes) else {
                throw error("tensor '\(name)' byte size overflows (\(elements) elements of \(type))")
            }
            byteCount = size
        }
        return GGUFTensorInfo(name: name, shape: dims.reversed(), type: type, offset: offset, byteCount: byteCount)
    }
}
