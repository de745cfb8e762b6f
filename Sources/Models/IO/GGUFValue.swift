import Core

/// One GGUF metadata value: the 13 value types of the format.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array(GGUFArray)

    /// The format's name for the type, for error messages.
    public var typeName: String {
        if case .array(let a) = self { return "array of \(a.elementType)" }
        return "\(type)"
    }

    var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The value as an `Int` when it is an integer that fits.
    var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }
}

/// A GGUF array value. Elements share one type, so arrays are stored typed: a 49,152-entry token-type
/// array costs 4 bytes an entry, not the size of a `GGUFValue`, and an empty array keeps its element type
/// for writing back. Arrays of arrays hold arrays whose element types may differ.
public enum GGUFArray: Sendable, Equatable {
    case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
    case uint64([UInt64]), int64([Int64]), float32([Float]), float64([Double]), bool([Bool]), string([String])
    case array([GGUFArray])

    public var count: Int {
        switch self {
        case .uint8(let a): a.count
        case .int8(let a): a.count
        case .uint16(let a): a.count
        case .int16(let a): a.count
        case .uint32(let a): a.count
        case .int32(let a): a.count
        case .uint64(let a): a.count
        case .int64(let a): a.count
        case .float32(let a): a.count
        case .float64(let a): a.count
        case .bool(let a): a.count
        case .string(let a): a.count
        case .array(let a): a.count
        }
    }

    var elementType: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The elements as `Int`s when they are integers that all fit.
    var intValues: [Int]? {
        switch self {
        case .uint8(let a): a.map { Int($0) }
        case .int8(let a): a.map { Int($0) }
        case .uint16(let a): a.map { Int($0) }
        case .int16(let a): a.map { Int($0) }
        case .uint32(let a): a.map { Int($0) }
        case .int32(let a): a.map { Int($0) }
        case .int64(let a): a.map { Int($0) }
        case .uint64(let a):
            a.allSatisfy { $0 <= UInt64(Int.max) } ? a.map { Int($0) } : nil
        default: nil
        }
    }
}

/// The value type codes of the GGUF format.
enum GGUFValueType: UInt32 {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

    /// Bytes one value takes in the file at least (a string at least its u64 length; an array its u32 type
    /// and u64 count). Counts read from the file are checked against this before anything is allocated.
    var minimumSize: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}

/// The key–value metadata of a GGUF file, with typed accessors that name the key in their errors.
public struct GGUFMetadata: Sendable {
    /// Every key and value.
    public let values: [String: GGUFValue]
    let path: String

    public subscript(key: String) -> GGUFValue? { values[key] }

    private func value(_ key: String) throws -> GGUFValue {
        guard let v = values[key] else { throw FileError(path: path, "missing metadata key '\(key)'") }
        return v
    }

    private func mistyped(_ key: String, _ v: GGUFValue, expected: String) -> FileError {
        FileError(path: path, "metadata key '\(key)' is \(v.typeName), expected \(expected)")
    }

    /// An integer value of any integer type.
    public func int(_ key: String) throws -> Int {
        let v = try value(key)
        guard let i = v.intValue else { throw mistyped(key, v, expected: "an integer that fits in Int") }
        return i
    }

    /// A float32 or float64 value.
    public func float(_ key: String) throws -> Float {
        let v = try value(key)
        switch v {
        case .float32(let f): return f
        case .float64(let d): return Float(d)
        default: throw mistyped(key, v, expected: "a float")
        }
    }

    public func bool(_ key: String) throws -> Bool {
        let v = try value(key)
        guard case .bool(let b) = v else { throw mistyped(key, v, expected: "bool") }
        return b
    }

    public func string(_ key: String) throws -> String {
        let v = try value(key)
        guard case .string(let s) = v else { throw mistyped(key, v, expected: "string") }
        return s
    }

    public func stringArray(_ key: String) throws -> [String] {
        let v = try value(key)
        guard case .array(.string(let a)) = v else { throw mistyped(key, v, expected: "array of string") }
        return a
    }

    /// An array of any integer type.
    public func intArray(_ key: String) throws -> [Int] {
        let v = try value(key)
        guard case .array(let a) = v, let ints = a.intValues else {
            throw mistyped(key, v, expected: "an array of integers that fit in Int")
        }
        return ints
    }

    /// An array of float32 or float64.
    public func floatArray(_ key: String) throws -> [Float] {
        let v = try value(key)
        switch v {
        case .array(.float32(let a)): return a
        case .array(.float64(let a)): return a.map { Float($0) }
        default: throw mistyped(key, v, expected: "an array of floats")
        }
    }
}
