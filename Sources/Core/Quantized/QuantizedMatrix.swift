import Foundation

/// A [rows, columns] weight matrix kept in its storage format (GGUF blocks, usually memory-mapped), for
/// inference: `QuantizedMatMul` multiplies activations by its transpose without dequantizing it.
public final class QuantizedMatrix: @unchecked Sendable {
    public let format: QuantFormat
    public let rows: Int
    public let columns: Int
    /// Bytes from one row to the next.
    public let rowBytes: Int
    public let base: UnsafeRawPointer
    /// Keeps the bytes alive: the mapped file, or the allocation this matrix owns.
    private let owner: AnyObject?
    private let owned: Bool
    /// Converts `blocks` consecutive blocks at a pointer into floats (set by the loader, which knows the
    /// dequantizers); many-row products dequantize tiles of rows with it and multiply them with OpenBLAS.
    public var dequantize: ((_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) -> Void)?
    /// The weights rounded to bfloat16, row after row, made at the first bf16 product (2 bytes per weight):
    /// converting them once beats dequantizing and rounding every tile at every call.
    private var bfloat16: UnsafeMutablePointer<UInt16>?
    private let bfloat16Lock = NSLock()

    /// A view of bytes that `owner` keeps alive (rows × columns values of `format`, row after row).
    public init(format: QuantFormat, rows: Int, columns: Int, bytes: UnsafeRawPointer, owner: AnyObject?) {
        check(columns % format.blockElements == 0,
              "QuantizedMatrix: \(columns) columns are not whole \(format) blocks of \(format.blockElements)")
        self.format = format
        self.rows = rows
        self.columns = columns
        rowBytes = columns / format.blockElements * format.blockBytes
        base = bytes
        self.owner = owner
        owned = false
    }

    /// A copy of `rows` × `columns` values of `format` taken row by row from `row(i)` (for rows that must be
    /// reordered, such as the rotary rows of llama.cpp's q and k).
    public init(format: QuantFormat, rows: Int, columns: Int, copyingRows row: (Int) -> UnsafeRawPointer) {
        self.format = format
        self.rows = rows
        self.columns = columns
        rowBytes = columns / format.blockElements * format.blockBytes
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(1, rows * rowBytes), alignment: 64)
        for i in 0..<rows { (memory + i * rowBytes).copyMemory(from: row(i), byteCount: rowBytes) }
        base = UnsafeRawPointer(memory)
        owner = nil
        owned = true
    }

    /// A copy of `other` with rows taken in the order `row(i)` gives.
    public convenience init(reordering other: QuantizedMatrix, row: (Int) -> Int) {
        self.init(format: other.format, rows: other.rows, columns: other.columns) { other.row(row($0)) }
        dequantize = other.dequantize
    }

    deinit {
        if owned { UnsafeMutableRawPointer(mutating: base).deallocate() }
        bfloat16?.deallocate()
    }

    /// The weights as bfloat16 rows (`columns` values each), converted on all threads at the first call;
    /// nil where no dequantizer is set.
    public func bfloat16Rows() -> UnsafePointer<UInt16>? {
        bfloat16Lock.lock()
        defer { bfloat16Lock.unlock() }
        if let bfloat16 { return UnsafePointer(bfloat16) }
        guard let dequantize else { return nil }
        let rounded = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, rows * columns))
        let chunkRows = 64, blocksPerRow = columns / format.blockElements
        Parallel.forEachChunk((rows + chunkRows - 1) / chunkRows) { c in
            let lo = c * chunkRows, n = min(chunkRows, rows - lo)
            let floats = UnsafeMutablePointer<Float>.allocate(capacity: n * columns)
            defer { floats.deallocate() }
            dequantize(row(lo), floats, n * blocksPerRow)
            BFloat16Kernels.round(floats, count: n * columns, into: rounded + lo * columns)
        }
        bfloat16 = rounded
        return UnsafePointer(rounded)
    }

    /// The bytes of row `i`.
    public func row(_ i: Int) -> UnsafeRawPointer { base + i * rowBytes }

    public var byteCount: Int { rows * rowBytes }
}
