import CQuant
import COpenBLAS

/// y = x Wᵀ for weights kept in their storage format: the activations are quantized once per call (16-bit
/// blocks for quantized weights), then worker threads split the weight rows between them, so each weight
/// byte is read once per call however many activation rows there are.
public enum QuantizedMatMul {
    /// Whether CQuant's AVX2 kernels run; false runs the portable Swift kernels (the only ones off x86-64).
    nonisolated(unsafe) public static var useCKernels: Bool = cq_has_avx2() != 0

    /// Whether CQuant decodes one activation row with its AVX-512 loops (default: where the CPU has AVX-512).
    public static var useAVX512: Bool {
        get { cq_avx512_enabled() != 0 }
        set { cq_set_avx512(newValue ? 1 : 0) }
    }

    /// Whether this CPU has the AVX-512 loops at all.
    public static var hasAVX512: Bool { cq_has_avx512() != 0 }

    /// Multiplies `count` rows of `x` (each `columns` floats, `xStride` apart) by every matrix in `weights`
    /// (all with `columns` columns), writing matrix j's outputs at columns `offset_j ..< offset_j + rows_j` of
    /// `out` (rows `outStride` apart), where offsets follow the order of `weights`. Several matrices in one call
    /// (q, k and v; gate and up) share the quantized activations and one parallel region. `precision` sets
    /// the arithmetic of the products with many rows (from `blasRows` on).
    public static func multiply(_ x: UnsafePointer<Float>, count: Int, columns: Int, xStride: Int,
                                by weights: [QuantizedMatrix], into out: UnsafeMutablePointer<Float>, outStride: Int,
                                scratch: QuantizedScratch, precision: Precision = .fp32) {
        guard count > 0, !weights.isEmpty else { return }
        var offsets: [Int] = []
        var total = 0
        for w in weights {
            check(w.columns == columns, "QuantizedMatMul: a [\(w.rows), \(w.columns)] matrix cannot take rows of \(columns)")
            offsets.append(total)
            total += w.rows
        }
        check(total <= outStride, "QuantizedMatMul: \(total) outputs do not fit rows of \(outStride)")
        if count >= blasRows, weights.allSatisfy({ $0.dequantize != nil }) {
            if precision == .bf16 && columns % 2 == 0 {
                let panel = scratch.panel(words: BFloat16Kernels.panelWords(rows: count, n: columns))
                Parallel.forEachChunk((count + 15) / 16) { k in  // the panel's groups of 16 rows, side by side
                    BFloat16Kernels.pack(x + 16 * k * xStride, stride: xStride, count: min(16, count - 16 * k), n: columns,
                                         into: panel + k * BFloat16Kernels.panelWords(rows: 16, n: columns))
                }
                for w in weights { _ = w.bfloat16Rows() }  // made here, before the parallel region, at the first call
                forEachTileRange(total: total, tileRows: bfloat16TileRows) { range in
                    forEachPart(of: range, weights, offsets) { w, rows, at in
                        BFloat16Kernels.multiply(w.bfloat16Rows()! + rows.lowerBound * columns, wStride: columns, rows: rows.count, n: columns,
                                                 panel: panel, count: count, into: out + at, outStride: outStride)
                    }
                }
            } else {
                forEachTile(of: weights, offsets: offsets, total: total, columns: columns) { range, tile in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(count), blasint(range.count), blasint(columns), 1,
                                x, blasint(xStride), tile, blasint(columns), 0, out + range.lowerBound, blasint(outStride))
                }
            }
            return
        }
        // Quantize the activations once for each format the matrices need.
        var activations: [ActivationFormat: UnsafeRawPointer] = [:]
        for format in Set(weights.map(\.format.activation)) {
            let buffer = scratch.buffer(format, bytes: count * format.rowBytes(columns))
            if format == .float && xStride == columns {
                activations[format] = UnsafeRawPointer(x)
                continue
            }
            ActivationQuantizer.rows(x, count: count, n: columns, stride: xStride, format: format, into: buffer)
            activations[format] = UnsafeRawPointer(buffer)
        }
        // Each output row is independent, so the rows go out in several pieces per thread, claimed as threads
        // free up: a thread that starts late or runs slower takes fewer.
        let pieces = max(1, min(Parallel.threads * 4, total * count * columns / 65536))
        Parallel.forEachChunk(pieces) { c in
            forEachPart(of: Parallel.chunkRange(c, of: pieces, count: total), weights, offsets) { w, rows, at in
                run(w, rows: rows, x: activations[w.format.activation]!, count: count, out: out + at, outStride: outStride)
            }
        }
    }

    /// The rows of `range` (counted across the matrices side by side, matrix j's from `offsets[j]`) that each
    /// matrix holds: `body(matrix, its rows, where they start in the side-by-side count)`.
    private static func forEachPart(of range: Range<Int>, _ weights: [QuantizedMatrix], _ offsets: [Int],
                                    _ body: (QuantizedMatrix, Range<Int>, Int) -> Void) {
        for (j, w) in weights.enumerated() {
            let lo = max(range.lowerBound, offsets[j]), hi = min(range.upperBound, offsets[j] + w.rows)
            if lo < hi { body(w, (lo - offsets[j])..<(hi - offsets[j]), lo) }
        }
    }

    /// From this many activation rows on, tiles of weight rows are dequantized and multiplied with OpenBLAS:
    /// converting a weight costs less than the many multiplications it then takes part in, and OpenBLAS's
    /// float kernels outrun the integer ones once each weight meets this many activations.
    nonisolated(unsafe) public static var blasRows = 12

    /// Weight rows per dequantized tile, at most: tiles stay in L2 (256 rows of the down projection's 1536
    /// columns are 1.5 MB), and fewer, larger tiles cost OpenBLAS fewer repacks of the activations. On the
    /// GSM8K eval (batch 64), 128 rows took 13% longer and 512 rows 9% longer.
    static let tileRows = 256

    /// Weight rows per tile of a bf16 product: the kernel reads a tile's rows once per 64 activation rows,
    /// so a tile stays small enough to remain in L2 beside the activations.
    static let bfloat16TileRows = 48

    /// The matrices' rows, taken together (outputs are side by side in `out`), go out in tiles
    /// (`forEachTileRange`); a tile may span two matrices. Each tile is dequantized to Float32 rows, then
    /// `body(its rows in the side-by-side count, the rows)`.
    private static func forEachTile(of weights: [QuantizedMatrix], offsets: [Int], total: Int, columns: Int,
                                    _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let tiles = tileCount(total, tileRows: tileRows), largest = (total + tiles - 1) / tiles
        forEachTileRange(total: total, tileRows: tileRows) { range in
            let buffer = Storage(uninitializedCount: largest * columns)
            forEachPart(of: range, weights, offsets) { w, rows, at in
                w.dequantize!(w.row(rows.lowerBound), buffer.pointer + (at - range.lowerBound) * columns,
                              rows.count * columns / w.format.blockElements)
            }
            body(range, buffer.pointer)
        }
    }

    /// Equal tiles of at most `tileRows` rows, a multiple of the thread count, so that no thread waits on a short last tile.
    private static func tileCount(_ total: Int, tileRows: Int) -> Int {
        let threads = Parallel.threads
        return ((total + tileRows - 1) / tileRows + threads - 1) / threads * threads
    }

    /// `body(tile)` for the tiles of `0..<total`, on all threads.
    private static func forEachTileRange(total: Int, tileRows: Int, _ body: (Range<Int>) -> Void) {
        let tiles = tileCount(total, tileRows: tileRows)
        Parallel.forEachChunk(tiles) { t in
            let range = Parallel.chunkRange(t, of: tiles, count: total)
            if !range.isEmpty { body(range) }
        }
    }

    /// Rows `rows` of `w` against `count` prepared activation rows; out[a · outStride + r − rows.lowerBound].
    static func run(_ w: QuantizedMatrix, rows: Range<Int>, x: UnsafeRawPointer, count: Int,
                    out: UnsafeMutablePointer<Float>, outStride: Int) {
        let base = w.row(rows.lowerBound).assumingMemoryBound(to: UInt8.self)
        let n = w.columns, r = Int32(rows.count), nx = Int32(count)
        guard useCKernels && n % 8 == 0 else {
            QuantizedKernels.kernel(w.format)(UnsafeRawPointer(base), w.rowBytes, rows.count, n, x, count, out, outStride)
            return
        }
        let q = x.assumingMemoryBound(to: cq_block_q16.self), f = x.assumingMemoryBound(to: Float.self)
        switch w.format {
        case .q4_0: cq_gemm_q4_0(base, w.rowBytes, r, Int32(n), q, nx, out, outStride)
        case .q4_1: cq_gemm_q4_1(base, w.rowBytes, r, Int32(n), q, nx, out, outStride)
        case .q5_0: cq_gemm_q5_0(base, w.rowBytes, r, Int32(n), q, nx, out, outStride)
        case .q8_0: cq_gemm_q8_0(base, w.rowBytes, r, Int32(n), q, nx, out, outStride)
        case .q4_K: cq_gemm_q4_K(base, w.rowBytes, r, Int32(n), q, nx, out, outStride)
        case .q6_K: cq_gemm_q6_K(base, w.rowBytes, r, Int32(n), q, nx, out, outStride)
        case .f16: cq_gemm_f16(base, w.rowBytes, r, Int32(n), f, nx, out, outStride)
        case .bf16: cq_gemm_bf16(base, w.rowBytes, r, Int32(n), f, nx, out, outStride)
        case .f32: cq_gemm_f32(base, w.rowBytes, r, Int32(n), f, nx, out, outStride)
        }
    }
}

/// Buffers for quantized activations, kept between calls so the decode loop allocates nothing. One per
/// caller thread (a model's forward pass owns one).
public final class QuantizedScratch: @unchecked Sendable {
    private var buffers: [ActivationFormat: (pointer: UnsafeMutableRawPointer, bytes: Int)] = [:]
    private var panelBuffer: (pointer: UnsafeMutablePointer<UInt32>?, count: Int) = (nil, 0)

    public init() {}

    deinit {
        for b in buffers.values { b.pointer.deallocate() }
        panelBuffer.pointer?.deallocate()
    }

    /// The bf16 activation panel (`BFloat16Kernels.pack`), at least `words` long.
    func panel(words: Int) -> UnsafeMutablePointer<UInt32> {
        if panelBuffer.count < words {
            panelBuffer.pointer?.deallocate()
            panelBuffer = (UnsafeMutablePointer<UInt32>.allocate(capacity: max(words, 1024)), max(words, 1024))
        }
        return panelBuffer.pointer!
    }

    func buffer(_ format: ActivationFormat, bytes: Int) -> UnsafeMutableRawPointer {
        if let b = buffers[format], b.bytes >= bytes { return b.pointer }
        buffers[format]?.pointer.deallocate()
        let size = max(bytes, 4096)
        let p = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        buffers[format] = (p, size)
        return p
    }
}
