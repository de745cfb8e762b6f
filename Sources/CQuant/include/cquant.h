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

/// A spin-wait hint (x86 pause, arm64 yield) for threads waiting on an atomic.
static inline void cq_spin_pause(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
