import Foundation
import CGEMM

/// Which GEMM kernels run: remask's own (CGEMM: AVX-512, AVX2+FMA or NEON, chosen here from the CPU's flags at
/// run time, so one binary serves every x86-64-v3/v4 and arm64 machine), or OpenBLAS where none applies.
/// `REMASK_GEMM=avx512|avx2|neon|openblas` forces a family (one the CPU lacks falls back to the best it has);
/// tests set `active` directly to run the AVX2 path on an AVX-512 machine.
public enum GEMMKernels {
    public enum Family: String, Sendable, CaseIterable {
        case avx512, avx2, neon, openblas

        var code: Int32 {
            switch self {
            case .avx512: Int32(RG_AVX512)
            case .avx2: Int32(RG_AVX2)
            case .neon: Int32(RG_NEON)
            case .openblas: Int32(RG_NONE)
            }
        }

        /// Whether this CPU runs the family (OpenBLAS runs everywhere).
        public var isSupported: Bool { self == .openblas || rg_cpu_supports(code) != 0 }
    }

    /// The best family this CPU runs.
    public static let best: Family = [.avx512, .avx2, .neon].first { $0.isSupported } ?? .openblas

    /// The family every GEMM uses: `REMASK_GEMM` when set to one this CPU runs, else `best`. Set it only while no
    /// product runs (start-up, tests).
    nonisolated(unsafe) public static var active: Family = {
        if let name = ProcessInfo.processInfo.environment["REMASK_GEMM"], let family = Family(rawValue: name.lowercased()),
           family.isSupported { return family }
        return best
    }()

    /// Whether bf16 products use AVX512-BF16's dot-product instruction (else the Float32 kernels on rounded
    /// operands: the same bf16 arithmetic, at Float32 speed). Tests turn it off to compare the two.
    nonisolated(unsafe) public static var useBF16Dot: Bool = rg_cpu_has_bf16_dot() != 0

    /// Whether this CPU has AVX512-BF16.
    public static var hasBF16Dot: Bool { rg_cpu_has_bf16_dot() != 0 }

    /// Whether bf16 products run faster than Float32 ones here: the AVX-512 family with its bf16 dot product.
    public static var hasFastBF16: Bool { active == .avx512 && useBF16Dot }

    /// The register tile of the active family: rows and columns of C per micro-kernel call.
    static var tile: (rows: Int, cols: Int) { (Int(rg_tile_rows(active.code)), Int(rg_tile_cols(active.code))) }

    /// GFLOP/s of one core's micro-kernel on operands in L1: the multiply-add peak this code reaches (nil for
    /// OpenBLAS, or bf16 where the CPU has no bf16 dot product).
    public static func kernelPeakGFLOPS(bf16: Bool, seconds: Double = 0.2) -> Double? {
        let g = rg_kernel_peak_gflops(active.code, bf16 ? 1 : 0, seconds)
        return g > 0 ? g : nil
    }

    /// One line for `remask info` and `remask bench`.
    public static var summary: String {
        let bf16 = active == .avx512 && useBF16Dot ? "AVX512-BF16 dot products" : "Float32 kernels on rounded operands"
        return active == .openblas ? "OpenBLAS (\(BLASKernels.core)); bf16: rounded operands"
            : "remask \(active.rawValue) (tile \(tile.rows)×\(tile.cols)); bf16: \(bf16)"
    }
}
