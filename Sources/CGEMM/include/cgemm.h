// remask's own GEMM: packed panels and register-blocked micro-kernels for AVX-512, AVX2+FMA and NEON, chosen at
// run time from the CPU's flags (Core/CPU/GEMMKernels), with bfloat16 operands summed in Float32 where asked.
// Swift cannot compile one function for AVX-512 and its neighbour for AVX2 in one portable binary; C's per-function
// target attributes can. OpenBLAS is the fallback (and the reference in tests) where no kernel here applies.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// The kernel families. A family runs only where rg_cpu_supports says the CPU has its instructions.
enum { RG_NONE = 0, RG_AVX2 = 1, RG_AVX512 = 2, RG_NEON = 3 };

/// 1 when this CPU runs the family's kernels (AVX2: AVX2+FMA; AVX512: F+BW+VL+DQ; NEON: arm64).
int rg_cpu_supports(int isa);
/// 1 when this CPU has AVX512-BF16's dot-product instruction (vdpbf16ps), which bf16 products then use.
int rg_cpu_has_bf16_dot(void);

/// C = alpha · op(A) · op(B) + beta · C, row-major; op(A) is m×k (stored k×m, lda apart, when trans_a), op(B)
/// is k×n (stored n×k when trans_b). beta 0 never reads C. bf16 ≠ 0 rounds both operands to bfloat16 (nearest
/// even) and sums their products in Float32: with vdpbf16ps where `bf16_dot` and the CPU has it, else with the
/// family's Float32 kernel on the rounded values. Single-threaded: callers split C among threads; each element's
/// arithmetic does not depend on the split. Returns 0, or −1 when `isa` cannot run here (nothing is written).
int rg_gemm(int isa, int bf16, int bf16_dot, int trans_a, int trans_b, int m, int n, int k, float alpha,
            const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

/// The register tile (rows × columns of C per micro-kernel call) of a family, for callers that split C.
int rg_tile_rows(int isa);
int rg_tile_cols(int isa);

/// GFLOP/s of the family's micro-kernel on panels that stay in L1 (the core's multiply-add peak as reached by
/// this code), over about `seconds`.
double rg_kernel_peak_gflops(int isa, int bf16_dot, double seconds);
