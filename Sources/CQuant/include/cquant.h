// Micro-kernels for quantized matrix products with instructions Swift's SIMD types cannot express (AVX2's
// vpmaddwd on widened nibbles, F16C's vcvtph2ps). Core/Quantized has a Swift fallback for each; tests check both agree.
//
// Weights are ggml blocks as GGUF stores them (row-major, each row a whole number of blocks). Activations
// are quantized on the fly into the block type below (remask's own layout, not ggml's).
// Every kernel computes out[a * out_stride + r] = dot(weight row r, activation row a) for r < rows, a < nx.
#pragma once
#include <stdint.h>
#include <stddef.h>

/// 32 activations: x ≈ d · qs, with 16-bit codes (8-bit ones moved log-probs by up to 0.5 on SmolLM2; 16-bit
/// ones keep the products within float rounding of the Float32 path); s[h] = d · Σ qs over half h (16 values).
typedef struct { float d; float s[2]; int16_t qs[32]; } cq_block_q16;

/// 1 when this CPU runs the AVX2+FMA+F16C kernels below (checked at run time; 0 on other architectures,
/// where the kernels must not be called).
int cq_has_avx2(void);

/// 1 when this CPU also runs the AVX-512 (F, BW, VL) decoding loops, which the kernels below then take for a
/// single activation row.
int cq_has_avx512(void);
/// Whether the kernels take the AVX-512 loops (default: where the CPU has them); turning them on where the
/// CPU lacks them does nothing.
int cq_avx512_enabled(void);
void cq_set_avx512(int on);

/// Weight rows of n values (a multiple of the block size), `row_bytes` apart; activation row a starts at x + a · n / 32.
void cq_gemm_q4_0(const uint8_t *w, size_t row_bytes, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t out_stride);
void cq_gemm_q4_1(const uint8_t *w, size_t row_bytes, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t out_stride);
void cq_gemm_q5_0(const uint8_t *w, size_t row_bytes, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t out_stride);
void cq_gemm_q8_0(const uint8_t *w, size_t row_bytes, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t out_stride);
void cq_gemm_q4_K(const uint8_t *w, size_t row_bytes, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t out_stride);
void cq_gemm_q6_K(const uint8_t *w, size_t row_bytes, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t out_stride);

/// Unquantized weights (n values per row, a multiple of 8, row_bytes apart) against Float32 activations (n apart).
void cq_gemm_f16(const uint8_t *w, size_t row_bytes, int rows, int n, const float *x, int nx, float *out, size_t out_stride);
void cq_gemm_bf16(const uint8_t *w, size_t row_bytes, int rows, int n, const float *x, int nx, float *out, size_t out_stride);
void cq_gemm_f32(const uint8_t *w, size_t row_bytes, int rows, int n, const float *x, int nx, float *out, size_t out_stride);

/// 1 when this CPU has AVX512-BF16's dot-product instruction (vdpbf16ps), which the bf16 kernels below need.
int cq_has_avx512bf16(void);

/// bf16 products (`--precision bf16`): operands rounded to bfloat16 (nearest even), products summed in
/// Float32 by vdpbf16ps, two bf16 pairs per 32-bit lane. Core/Quantized/BFloat16Kernels is the Swift version.
///
/// Rounds `count` floats to bfloat16.
void cq_bf16_round(const float *x, size_t count, uint16_t *y);
/// Activation rows as a panel: groups of 16 rows, and within a group, for each pair of columns (k, k + 1),
/// the 16 rows' pairs side by side: panel[(g · n/2 + p) · 16 + lane] holds row 16g + lane's columns 2p, 2p + 1
/// (zeros past row nx). n even; rows x_stride floats apart.
void cq_bf16_panel(const float *x, size_t x_stride, int nx, int n, uint32_t *panel);
/// out[a · out_stride + r] = Σ_k x[a][k] · w[r][k] for r < rows, a < nx: bf16 weight rows (n values,
/// w_stride values apart) against an activation panel of nx rows.
void cq_gemm_bf16_panel(const uint16_t *w, size_t w_stride, int rows, int n, const uint32_t *panel, int nx, float *out,
                        size_t out_stride);

/// A spin-wait hint (x86 pause, arm64 yield) for threads waiting on an atomic.
static inline void cq_spin_pause(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
