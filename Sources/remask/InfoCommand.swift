import ArgumentParser
import Core
import MessagePassing
import Foundation

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the compute set-up: worker threads, the GEMM kernels (remask's own, chosen from the CPU) and OpenBLAS's, the quantized and bf16 kernels in use, and whether Open MPI is there for mpirun.",
        discussion: """
            OpenBLAS releases older than the CPU fall back to generic kernels (about 5× slower GEMMs); remask then \
            restarts itself with OPENBLAS_CORETYPE set to the best family the CPU supports \
            (REMASK_KEEP_BLAS_CORE=1 keeps OpenBLAS's choice). --shell prints that setting for other programs \
            that load OpenBLAS, such as the test runner: eval "$(remask info --shell)".
            """)

    @Flag(help: "Print `export OPENBLAS_CORETYPE=…` when a kernel family is forced (by remask or the environment), and nothing else.")
    var shell = false

    func run() {
        let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        if shell {
            if let forced { print("export OPENBLAS_CORETYPE='\(forced.replacingOccurrences(of: "'", with: "'\\''"))'") }
            return
        }
        print("worker threads    \(Parallel.threads)")
        print("GEMM kernels      \(GEMMKernels.summary)")
        print("OpenBLAS kernels  \(BLASKernels.core)" + (forced.map { " (OPENBLAS_CORETYPE=\($0))" } ?? "")
              + (GEMMKernels.active == .openblas ? "" : " (fallback: products with fewer than 16 rows or columns)"))
        let quantized = !QuantizedMatMul.useCKernels ? "portable Swift" : QuantizedMatMul.useAVX512 ? "CQuant AVX-512 (decoding), AVX2" : "CQuant AVX2"
        print("quantized kernels \(quantized)")
        print("bf16 kernels      " + (BFloat16Kernels.useCKernels ? "CQuant AVX512-BF16" : "portable Swift (slower than fp32; this CPU has no AVX512-BF16)"))
        print("MPI               " + MPILaunch.libraryStatus)
    }
}
