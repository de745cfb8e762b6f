import Core

/// Builds a GGUF version 3 file: metadata in the order set, then tensors stored as F32, F16 or a `Quantizer` type.
///
/// Shapes are given row-major and written innermost first, as the format requires. Misuse (a duplicate
/// tensor name, an unsupported type) stops with a message; only I/O problems throw.
public struct GGUFWriter {
    private var metadata: [(key: String, value: GGUFValue)] = []
    private var tensors: [(name: String, tensor: Tensor, type: GGMLType)] = []

    public static let writableTypes: [GGMLType] = [.f32, .f16] + Quantizer.types

    /// A writer whose data section and tensors are aligned to `alignment` bytes, recorded as
    /// `general.alignment` when it is not GGUF's default of 32.
    public init(alignment: Int = 32) {
        if alignment != 32 { set("general.alignment", .uint32(UInt32(clamping: alignment))) }
    }

    /// Alignment of the data section and of each tensor: `general.alignment`, or 32.
    public var alignment: Int {
        metadata.first { $0.key == "general.alignment" }?.value.intValue ?? 32
    }

    /// Sets metadata `key`, replacing any earlier value for it. Metadata is written in the order first set.
    /// `general.alignment` must be a uint32 power of two (ggml reads it as one) and takes effect.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if key == "general.alignment" {
            let a: UInt32 = if case .uint32(let a) = value { a } else { 0 }
            check(a > 0 && a & (a - 1) == 0 && a <= 1 << 20,
                  "GGUFWriter: general.alignment must be a uint32 power of two up to 1 MiB, got \(value)")
        }
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key, value))
        }
    }

    /// Adds a tensor, stored as `type` (F32, F16, or a `Quantizer` type). Its values are read when the file is written.
    public mutating func add(_ name: String, _ tensor: Tensor, as type: GGMLType = .f32) {
        check(!tensors.contains { $0.name == name }, "GGUFWriter: duplicate tensor '\(name)'")
        check(name.utf8.count < 64, "GGUFWriter: tensor name '\(name)' is longer than ggml's 63 bytes")
        check(Self.writableTypes.contains(type), "GGUFWriter: cannot write type \(type) (tensor '\(name)')")
        check((1...4).contains(tensor.rank) && tensor.shape.allSatisfy { $0 > 0 },
              "GGUFWriter: tensor '\(name)' has shape \(tensor.shape); GGUF needs 1 to 4 positive dimensions")
        if let block = type.layout?.elements {
            check(tensor.shape.last! % block == 0,
                  "GGUFWriter: tensor '\(name)' innermost dimension \(tensor.shape.last!) is not a multiple of the \(type) block size \(block)")
        }
        tensors.append((name, tensor, type))
    }

    /// Writes the file atomically (a temporary file renamed into place).
    public func write(to path: String) throws {
        let alignment = self.alignment
        try writeAtomically(to: path) { out in
            try out.append(UInt32(0x4655_4747))  // "GGUF"
            try out.append(UInt32(3))
            try out.append(UInt64(tensors.count))
            try out.append(UInt64(metadata.count))
            for (key, value) in metadata {
                try out.append(key)
                try out.append(value.type.rawValue)
                try out.appendPayload(of: value)
            }
            var offset = 0
            for t in tensors {
                try out.append(t.name)
                try out.append(UInt32(t.tensor.rank))
                for d in t.tensor.shape.reversed() { try out.append(UInt64(d)) }
                try out.append(t.type.rawValue)
                try out.append(UInt64(offset))
                offset += Self.paddedSize(of: t.tensor, as: t.type, alignment: alignment)
            }
            try out.pad(toMultipleOf: alignment)
            for t in tensors {
                switch t.type {
                case .f32: try out.append(t.tensor, as: .f32)
                case .f16: try out.append(t.tensor, as: .f16)
                default: try out.appendQuantized(t.tensor, as: t.type, name: t.name)
                }
                try out.pad(toMultipleOf: alignment)
            }
        }
    }

    private static func paddedSize(of tensor: Tensor, as type: GGMLType, alignment: Int) -> Int {
        let layout = type.layout!
        let size = tensor.count / layout.elements * layout.bytes
        return (size + alignment - 1) / alignment * alignment
    }
}

extension ByteSink {
    /// A value without its type code.
    fileprivate mutating func appendPayload(of value: GGUFValue) throws {
        switch value {
        case .uint8(let v): try append(v)
        case .int8(let v): try append(v)
        case .uint16(let v): try append(v)
        case .int16(let v): try append(v)
        case .uint32(let v): try append(v)
        case .int32(let v): try append(v)
        case .uint64(let v): try append(v)
        case .int64(let v): try append(v)
        case .float32(let v): try append(v.bitPattern)
        case .float64(let v): try append(v.bitPattern)
        case .bool(let v): try append(UInt8(v ? 1 : 0))
        case .string(let v): try append(v)
        case .array(let a): try append(a)
        }
    }

    /// An array: element type, count, elements. Nested arrays carry their own element types.
    fileprivate mutating func append(_ array: GGUFArray) throws {
        try append(array.elementType.rawValue)
        try append(UInt64(array.count))
        switch array {
        case .uint8(let a): for v in a { try append(v) }
        case .int8(let a): for v in a { try append(v) }
        case .uint16(let a): for v in a { try append(v) }
        case .int16(let a): for v in a { try append(v) }
        case .uint32(let a): for v in a { try append(v) }
        case .int32(let a): for v in a { try append(v) }
        case .uint64(let a): for v in a { try append(v) }
        case .int64(let a): for v in a { try append(v) }
        case .float32(let a): for v in a { try append(v.bitPattern) }
        case .float64(let a): for v in a { try append(v.bitPattern) }
        case .bool(let a): for v in a { try append(UInt8(v ? 1 : 0)) }
        case .string(let a): for v in a { try append(v) }
        case .array(let a): for v in a { try append(v) }
        }
    }

    /// A tensor in a quantized type (`Quantizer`); every value must be finite.
    fileprivate mutating func appendQuantized(_ tensor: Tensor, as type: GGMLType, name: String) throws {
        try withContiguousValues(tensor) { x in
            check(x.allSatisfy(\.isFinite), "GGUFWriter: tensor '\(name)' holds a value that \(type) cannot store")
            try Quantizer.quantize(x, as: type).withUnsafeBytes { try append($0) }
        }
    }
}
