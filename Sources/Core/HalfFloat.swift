// Conversions between Float32 and the 16-bit float formats of model files (IEEE binary16, bfloat16).

@inline(__always)
public func halfToFloat(_ bits: UInt16) -> Float {
    Float(Float16(bitPattern: bits))
}

/// The little-endian binary16 at `offset` bytes past `p`, as Float32.
@inline(__always)
public func loadHalf(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
}

/// Round to nearest even, like `Float16(x)`.
@inline(__always)
public func floatToHalf(_ x: Float) -> UInt16 {
    Float16(x).bitPattern
}

/// bfloat16 is the top half of a Float32.
@inline(__always)
public func bfloat16ToFloat(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

/// Round to nearest even; NaN stays a (quiet) NaN instead of rounding into infinity.
@inline(__always)
public func floatToBFloat16(_ x: Float) -> UInt16 {
    if x.isNaN { return 0x7FC0 }
    let bits = x.bitPattern
    return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
}
