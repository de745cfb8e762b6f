#if canImport(Glibc)
import Glibc
#endif
import Foundation
import COpenBLAS

/// Which GEMM kernels OpenBLAS runs, and the repair for CPUs newer than the OpenBLAS release.
///
/// OpenBLAS (DYNAMIC_ARCH builds, as Debian's) picks its kernels once, when the library loads, from the CPU
/// model number. A release older than the CPU does not know the model and falls back to the generic
/// `Prescott` kernels: Debian 12's 0.3.21 on an Emerald Rapids Xeon ran GEMMs at ~35 GFLOP/s instead of
/// ~190. `OPENBLAS_CORETYPE` forces a kernel family, but OpenBLAS reads it only at load, before any of our
/// code runs, so the repair is to start the process again with the variable set.
public enum BLASKernels {
    /// The kernel family OpenBLAS chose in this process (e.g. "Haswell", "SkylakeX", "Zen", "Prescott").
    public static var core: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name).trimmingCharacters(in: .whitespaces)
    }

    /// The kernel family to force when OpenBLAS fell back to its generic kernels on a CPU whose vector
    /// units can run better ones; nil when OpenBLAS's own choice stands (or `OPENBLAS_CORETYPE` is set).
    public static var suggestedCoreType: String? {
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil { return nil }
        guard core.lowercased() == "prescott" else { return nil }
        return coreType(cpuFlags: hostCPUFlags())
    }

    /// The best OpenBLAS 0.3.21+ kernel family for x86-64 CPU feature flags (as in /proc/cpuinfo), or nil
    /// when the generic kernels are all the flags allow.
    static func coreType(cpuFlags flags: Set<String>) -> String? {
        let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        if avx512 && flags.contains("avx512_bf16") { return "Cooperlake" }
        if avx512 { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The feature flags of the first CPU in /proc/cpuinfo (empty where there is none).
    static func hostCPUFlags() -> Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Starts this program again with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to generic kernels
    /// (see the type's comment); returns (doing nothing) otherwise, or if the restart fails. Call first
    /// thing in `main`, before any output or thread. `REMASK_KEEP_BLAS_CORE=1` keeps OpenBLAS's choice.
    public static func restartWithBetterKernelsIfNeeded() {
        #if os(Linux)
        guard ProcessInfo.processInfo.environment["REMASK_KEEP_BLAS_CORE"] == nil,
              let coreType = suggestedCoreType else { return }
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")  // exec failed: carry on with the generic kernels
        #endif
    }
}
