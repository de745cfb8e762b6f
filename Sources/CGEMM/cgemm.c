#include "cgemm.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Goto/BLIS structure: for each NC-column block of C and k slice of the product, op(B)'s slice is packed into
// NR-wide slivers (kept in L2); then op(A) is packed MC_SLIVERS MR-row slivers at a time, and for each A sliver (in
// L1) the micro-kernel runs across the B slivers, holding an MR×NR tile of C in registers for the whole slice.
// Operands are packed zero-padded, so edge tiles run the same arithmetic and only their stores are masked.
// bf16 slivers hold pairs of consecutive k values (two bfloat16 in 32 bits), as vdpbf16ps reads them.
// Each element of C is summed over k in the same order whatever the family's tile, so the AVX2 and AVX-512
// Float32 results are identical, and however callers split C.

#define KC 384            // most k values (Float32) or k pairs (bf16) per slice; k is cut into equal slices
#define PANEL (128 * 1024)  // 32-bit words of a packed B block (512 KB, half a typical L2): NC = PANEL / slice depth
#define MC_SLIVERS 8  // A slivers packed together: one read of 8 · MR contiguous values per k when A is stored transposed
#define MR_MAX 8
#define NR_MAX 32

typedef void (*micro_kernel)(int kc, const void *ap, const void *bp, float *c, size_t ldc, int mr, int nr,
                             float alpha, float beta);
/// Packs a whole sliver (mr = MR, or nr = NR) with vector instructions; returns 0 (packing nothing) for cases it
/// leaves to the portable packers.
typedef int (*fast_packer)(int trans, const float *x, size_t ld, int first, int p0, int kc, void *dst);
/// Packs `slivers` whole bf16 A slivers (`stride` words apart) of an A stored transposed (rows along m).
typedef void (*pair_block_packer)(const float *a, size_t lda, int i0, int slivers, int p0, int kc, uint32_t *dst,
                                  size_t stride);

// ------------------------------------------------------------------------------------------- packing (portable)

/// bfloat16 nearest-even rounding, quiet NaNs kept NaN.
static inline uint32_t bf16_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (u >> 16) | 0x40u;
    u += 0x7FFFu + ((u >> 16) & 1u);
    return u >> 16;
}

static inline float bf16_round(float f) {
    uint32_t u = bf16_bits(f) << 16;
    float r;
    memcpy(&r, &u, 4);
    return r;
}

// The portable packers see either operand as `rows` × k: op(A) is, with element (i, p); so is op(B)ᵀ, with element
// (j, p). `k_major` says how that view is stored: element (r, p) at x[p · ld + r] (k the slow index: op(A) when
// trans_a, op(B)ᵀ when not trans_b), else at x[r · ld + p].

/// Rows r0 ..< r0+count, columns p0 ..< p0+kc as dst[p · width + r], rows past `count` zero (Float32, rounded to
/// bf16 when `round`): an A sliver (width MR) or a B sliver (width NR).
static void pack_f32(int k_major, const float *x, size_t ld, int r0, int count, int p0, int kc, int width, int round,
                     float *dst) {
    if (count < width) memset(dst, 0, sizeof(float) * (size_t)width * kc);
    if (k_major) {
        for (int p = 0; p < kc; p++) {
            const float *src = x + (size_t)(p0 + p) * ld + r0;
            if (!round) memcpy(dst + p * width, src, sizeof(float) * count);
            else for (int r = 0; r < count; r++) dst[p * width + r] = bf16_round(src[r]);
        }
    } else {
        for (int r = 0; r < count; r++) {
            const float *src = x + (size_t)(r0 + r) * ld + p0;
            for (int p = 0; p < kc; p++) dst[p * width + r] = round ? bf16_round(src[p]) : src[p];
        }
    }
}

/// `slivers` whole Float32 slivers of an A stored transposed (rows along m), `stride` floats apart: per k one
/// contiguous read across the slivers (one sliver at a time would touch kc pages per sliver).
static void pack_a_block_f32(const float *a, size_t lda, int i0, int slivers, int p0, int kc, int MR, float *dst,
                             size_t stride) {
    for (int p = 0; p < kc; p++) {
        const float *src = a + (size_t)(p0 + p) * lda + i0;
        for (int s = 0; s < slivers; s++) memcpy(dst + s * stride + (size_t)p * MR, src + s * MR, sizeof(float) * MR);
    }
}

/// As pack_f32 for bf16 pairs: dst[u · width + r] holds (r, p0+2u) in its low half and (r, p0+2u+1) in its high
/// half (zero past the slice).
static void pack_pairs(int k_major, const float *x, size_t ld, int r0, int count, int p0, int kc, int width,
                       uint32_t *dst) {
    int units = (kc + 1) / 2;
    if (count < width) memset(dst, 0, sizeof(uint32_t) * (size_t)width * units);
    for (int u = 0; u < units; u++) {
        int has1 = 2 * u + 1 < kc;
        if (k_major) {
            const float *k0 = x + (size_t)(p0 + 2 * u) * ld + r0, *k1 = k0 + ld;
            for (int r = 0; r < count; r++) dst[u * width + r] = bf16_bits(k0[r]) | ((has1 ? bf16_bits(k1[r]) : 0) << 16);
        } else {
            for (int r = 0; r < count; r++) {
                const float *pair = x + (size_t)(r0 + r) * ld + p0 + 2 * u;
                dst[u * width + r] = bf16_bits(pair[0]) | ((has1 ? bf16_bits(pair[1]) : 0) << 16);
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------ x86-64 kernels

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))
#define AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma")))

static int cpu_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int cpu_avx512(void) {
    __builtin_cpu_init();
    return cpu_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

int rg_cpu_has_bf16_dot(void) { return cpu_avx512() && __builtin_cpu_supports("avx512bf16"); }

#if defined(RG_REQUIRE_AVX2)
#include <stdio.h>
#include <unistd.h>
/// The Swift code of a release build is compiled for x86-64-v3 (Package.swift); on an older CPU its first vector
/// instruction would kill the process with SIGILL. This runs before any Swift code and says why instead.
__attribute__((constructor)) static void rg_require_avx2(void) {
    __builtin_cpu_init();
    if (cpu_avx2() && __builtin_cpu_supports("f16c")) return;
    static const char msg[] = "remask: this build needs an x86-64-v3 CPU (AVX2, FMA, F16C), which this one is not; "
                              "rebuild with REMASK_TARGET_CPU=none swift build -c release\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(1);
}
#endif

/// Stores an 8×32 tile: c = alpha · acc + beta · c for the first mr rows and nr columns.
#define STORE_512(acc)                                                                                         \
    do {                                                                                                       \
        __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);                                       \
        __mmask16 m1 = nr >= 32 ? 0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;                   \
        __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);                                          \
        for (int i = 0; i < 8; i++) {                                                                          \
            if (i >= mr) break;                                                                                \
            float *ci = c + (size_t)i * ldc;                                                                   \
            __m512 r0 = _mm512_mul_ps(va, acc[i][0]), r1 = _mm512_mul_ps(va, acc[i][1]);                       \
            if (beta != 0) {                                                                                   \
                r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, ci), r0);                                   \
                r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, ci + 16), r1);                              \
            }                                                                                                  \
            _mm512_mask_storeu_ps(ci, m0, r0);                                                                 \
            _mm512_mask_storeu_ps(ci + 16, m1, r1);                                                            \
        }                                                                                                      \
    } while (0)

/// 8 rows × 32 columns: 16 accumulators; per k, two B vectors and eight broadcasts of A.
static AVX512 void kernel_avx512(int kc, const void *apv, const void *bpv, float *c, size_t ldc, int mr, int nr,
                                 float alpha, float beta) {
    const float *ap = apv, *bp = bpv;
    __m512 acc[8][2];
    for (int i = 0; i < 8; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
        _mm_prefetch((const char *)(bp + 256), _MM_HINT_T0);
        for (int i = 0; i < 8; i++) {
            __m512 av = _mm512_set1_ps(ap[i]);
            acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
        }
        ap += 8;
        bp += 32;
    }
    STORE_512(acc);
}

/// The bf16 tile: per k pair, two B vectors of 16 pairs and eight broadcast A pairs, one vdpbf16ps each.
static AVX512BF16 void kernel_avx512_bf16(int units, const void *apv, const void *bpv, float *c, size_t ldc, int mr,
                                          int nr, float alpha, float beta) {
    const uint32_t *ap = apv, *bp = bpv;
    __m512 acc[8][2];
    for (int i = 0; i < 8; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int u = 0; u < units; u++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512((const void *)bp), b1 = (__m512bh)_mm512_load_si512((const void *)(bp + 16));
        _mm_prefetch((const char *)(bp + 256), _MM_HINT_T0);
        for (int i = 0; i < 8; i++) {
            __m512bh av = (__m512bh)_mm512_set1_epi32((int)ap[i]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], av, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], av, b1);
        }
        ap += 8;
        bp += 32;
    }
    STORE_512(acc);
}

/// 6 rows × 16 columns: 12 accumulators (Haswell-class registers: 16 of 256 bits).
static AVX2 void kernel_avx2(int kc, const void *apv, const void *bpv, float *c, size_t ldc, int mr, int nr,
                             float alpha, float beta) {
    static const int32_t ones[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    const float *ap = apv, *bp = bpv;
    __m256 acc[6][2];
    for (int i = 0; i < 6; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (int p = 0; p < kc; p++) {
        __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
        for (int i = 0; i < 6; i++) {
            __m256 av = _mm256_broadcast_ss(ap + i);
            acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
        }
        ap += 6;
        bp += 16;
    }
    int n0 = nr >= 8 ? 8 : nr, n1 = nr >= 16 ? 8 : nr > 8 ? nr - 8 : 0;
    __m256i m0 = _mm256_loadu_si256((const __m256i *)(ones + 8 - n0));
    __m256i m1 = _mm256_loadu_si256((const __m256i *)(ones + 8 - n1));
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    // vmaskmovps is slow on some CPUs (microcoded stores on AMD): whole rows use plain loads and stores.
    for (int i = 0; i < 6; i++) {
        if (i >= mr) break;
        float *ci = c + (size_t)i * ldc;
        __m256 r0 = _mm256_mul_ps(va, acc[i][0]), r1 = _mm256_mul_ps(va, acc[i][1]);
        if (nr == 16) {
            if (beta != 0) {
                r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), r0);
                r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), r1);
            }
            _mm256_storeu_ps(ci, r0);
            _mm256_storeu_ps(ci + 8, r1);
            continue;
        }
        if (beta != 0) {
            r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci, m0), r0);
            r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci + 8, m1), r1);
        }
        _mm256_maskstore_ps(ci, m0, r0);
        _mm256_maskstore_ps(ci + 8, m1, r1);
    }
}

// Vector packers. Each handles whole slivers (the driver gives edge slivers to the portable packers) and leaves
// the k tail to the portable packers too.

/// Columns q of an 8×8 block of 32-bit elements: r[q] becomes what was column q.
static inline AVX2 void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20), r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20), r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31), r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31), r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/// dst[q · ds + i] = src[i · ss + q] for i, q < 8.
static inline AVX2 void transpose8_copy(const float *src, size_t ss, float *dst, size_t ds) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + (size_t)i * ss);
    transpose8(r);
    for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (size_t)q * ds, r[q]);
}

/// `groups` × 8 rows of x (along k, ld apart, from `first`) into a sliver dst[p · 8·groups + row].
static AVX2 void pack_rows_f32(const float *x, size_t ld, int first, int groups, int p0, int kc, float *dst) {
    const int width = 8 * groups;
    int p = 0;
    for (; p + 8 <= kc; p += 8)
        for (int g = 0; g < groups; g++)
            transpose8_copy(x + (size_t)(first + 8 * g) * ld + p0 + p, ld, dst + (size_t)p * width + 8 * g, width);
    for (; p < kc; p++)
        for (int r = 0; r < width; r++) dst[(size_t)p * width + r] = x[(size_t)(first + r) * ld + p0 + p];
}

static AVX2 int pack_a8_f32(int trans_a, const float *a, size_t lda, int i0, int p0, int kc, void *dst) {
    if (trans_a) return 0;
    pack_rows_f32(a, lda, i0, 1, p0, kc, dst);
    return 1;
}

static AVX2 int pack_b32_f32(int trans_b, const float *b, size_t ldb, int j0, int p0, int kc, void *dst) {
    if (!trans_b) return 0;
    pack_rows_f32(b, ldb, j0, 4, p0, kc, dst);
    return 1;
}

static AVX2 int pack_b16_f32(int trans_b, const float *b, size_t ldb, int j0, int p0, int kc, void *dst) {
    if (!trans_b) return 0;
    pack_rows_f32(b, ldb, j0, 2, p0, kc, dst);
    return 1;
}

/// 16 floats rounded to bfloat16 (nearest even): 8 pairs in 256 bits.
static inline AVX512BF16 __m256 pairs16(const float *x) {
    return _mm256_castsi256_ps((__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(x)));
}

/// `groups` × 8 rows of x along k as pairs: dst[u · 8·groups + row] = (x[row][2u], x[row][2u+1]).
static AVX512BF16 int pack_rows_pairs(const float *x, size_t ld, int first, int groups, int p0, int kc, uint32_t *dst) {
    const int width = 8 * groups;
    int p = 0;
    for (; p + 16 <= kc; p += 16) {
        for (int g = 0; g < groups; g++) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = pairs16(x + (size_t)(first + 8 * g + i) * ld + p0 + p);
            transpose8(r);
            for (int q = 0; q < 8; q++) _mm256_storeu_ps((float *)(dst + (size_t)(p / 2 + q) * width + 8 * g), r[q]);
        }
    }
    return p;
}

/// Rows 2u and 2u+1 of x (along m or n, `width` values from `first`) interleaved as pairs, width 8 or 32, for
/// `slivers` slivers side by side in x (`stride` words apart in dst).
static AVX512BF16 void pack_cols_pairs(const float *x, size_t ld, int first, int width, int slivers, size_t stride, int p0,
                                       int kc, uint32_t *dst) {
    const __m256i idx8 = _mm256_setr_epi16(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
    const __m512i idx16 = _mm512_setr_epi32(0x00100000, 0x00110001, 0x00120002, 0x00130003, 0x00140004, 0x00150005,
                                            0x00160006, 0x00170007, 0x00180008, 0x00190009, 0x001A000A, 0x001B000B,
                                            0x001C000C, 0x001D000D, 0x001E000E, 0x001F000F);
    int units = (kc + 1) / 2;
    for (int u = 0; u < units; u++) {
        const float *r0 = x + (size_t)(p0 + 2 * u) * ld + first, *r1 = r0 + ld;
        int has1 = 2 * u + 1 < kc;
        if (width == 8) {
            for (int s = 0; s < slivers; s++) {
                __m512 both = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(r0 + 8 * s)),
                                                 has1 ? _mm256_loadu_ps(r1 + 8 * s) : _mm256_setzero_ps(), 1);
                __m256i bf = (__m256i)_mm512_cvtneps_pbh(both);
                _mm256_storeu_si256((__m256i *)(dst + s * stride + (size_t)u * 8), _mm256_permutexvar_epi16(idx8, bf));
            }
        } else {
            for (int h = 0; h < width; h += 16) {
                __m256i lo = (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(r0 + h));
                __m256i hi = has1 ? (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(r1 + h)) : _mm256_setzero_si256();
                __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
                _mm512_storeu_si512((void *)(dst + (size_t)u * width + h), _mm512_permutexvar_epi16(idx16, both));
            }
        }
    }
}

static AVX512BF16 void pack_a8_pairs_block(const float *a, size_t lda, int i0, int slivers, int p0, int kc, uint32_t *dst,
                                            size_t stride) {
    pack_cols_pairs(a, lda, i0, 8, slivers, stride, p0, kc, dst);
}

/// A stored transposed goes through pack_a8_pairs_block (a whole block of slivers at a time).
static AVX512BF16 int pack_a8_pairs(int trans_a, const float *a, size_t lda, int i0, int p0, int kc, void *dst) {
    if (trans_a) return 0;
    int p = pack_rows_pairs(a, lda, i0, 1, p0, kc, dst);
    if (p < kc) pack_pairs(0, a, lda, i0, 8, p0 + p, kc - p, 8, (uint32_t *)dst + (size_t)(p / 2) * 8);
    return 1;
}

static AVX512BF16 int pack_b32_pairs(int trans_b, const float *b, size_t ldb, int j0, int p0, int kc, void *dst) {
    if (trans_b) {
        int p = pack_rows_pairs(b, ldb, j0, 4, p0, kc, dst);
        if (p < kc) pack_pairs(0, b, ldb, j0, 32, p0 + p, kc - p, 32, (uint32_t *)dst + (size_t)(p / 2) * 32);
    } else {
        pack_cols_pairs(b, ldb, j0, 32, 1, 0, p0, kc, dst);
    }
    return 1;
}

int rg_cpu_supports(int isa) {
    switch (isa) {
    case RG_AVX2: return cpu_avx2();
    case RG_AVX512: return cpu_avx512();
    default: return 0;
    }
}

// ------------------------------------------------------------------------------------------------- arm64 kernel

#elif defined(__aarch64__)
#include <arm_neon.h>

int rg_cpu_has_bf16_dot(void) { return 0; }
int rg_cpu_supports(int isa) { return isa == RG_NEON; }

/// 8 rows × 8 columns: 16 accumulators of four lanes; A's eight values per k as two vectors, used lane by lane.
static void kernel_neon(int kc, const void *apv, const void *bpv, float *c, size_t ldc, int mr, int nr, float alpha,
                        float beta) {
    const float *ap = apv, *bp = bpv;
    float32x4_t acc[8][2];
    for (int i = 0; i < 8; i++) acc[i][0] = acc[i][1] = vdupq_n_f32(0);
    for (int p = 0; p < kc; p++) {
        float32x4_t b0 = vld1q_f32(bp), b1 = vld1q_f32(bp + 4);
        float32x4_t a0 = vld1q_f32(ap), a1 = vld1q_f32(ap + 4);
#define ROW(i, av, lane)                                          \
    acc[i][0] = vfmaq_laneq_f32(acc[i][0], b0, av, lane);         \
    acc[i][1] = vfmaq_laneq_f32(acc[i][1], b1, av, lane);
        ROW(0, a0, 0) ROW(1, a0, 1) ROW(2, a0, 2) ROW(3, a0, 3)
        ROW(4, a1, 0) ROW(5, a1, 1) ROW(6, a1, 2) ROW(7, a1, 3)
#undef ROW
        ap += 8;
        bp += 8;
    }
    for (int i = 0; i < mr; i++) {
        float t[8];
        vst1q_f32(t, vmulq_n_f32(acc[i][0], alpha));
        vst1q_f32(t + 4, vmulq_n_f32(acc[i][1], alpha));
        float *ci = c + (size_t)i * ldc;
        for (int j = 0; j < nr; j++) ci[j] = beta != 0 ? t[j] + beta * ci[j] : t[j];
    }
}

#else
int rg_cpu_has_bf16_dot(void) { return 0; }
int rg_cpu_supports(int isa) { return 0; }
#endif

// ------------------------------------------------------------------------------------------------------- driver

typedef struct {
    int mr, nr;
    micro_kernel f32;
    micro_kernel bf16;             // NULL: bf16 runs the Float32 kernel on rounded operands
    fast_packer pack_a, pack_b;    // Float32 slivers (NULL: portable packers only)
    fast_packer pack_a2, pack_b2;  // bf16 pair slivers, with `bf16`
    pair_block_packer pack_a2_t;   // bf16 pair slivers of a transposed A, with `bf16`
} family;

static int family_of(int isa, family *f) {
#if defined(__x86_64__)
    if (isa == RG_AVX512 && cpu_avx512()) {
        *f = (family){8, 32, kernel_avx512, NULL, pack_a8_f32, pack_b32_f32, NULL, NULL, NULL};
        return 1;
    }
    if (isa == RG_AVX2 && cpu_avx2()) {
        *f = (family){6, 16, kernel_avx2, NULL, NULL, pack_b16_f32, NULL, NULL, NULL};
        return 1;
    }
#elif defined(__aarch64__)
    if (isa == RG_NEON) {
        *f = (family){8, 8, kernel_neon, NULL, NULL, NULL, NULL, NULL, NULL};
        return 1;
    }
#endif
    return 0;
}

int rg_tile_rows(int isa) {
    family f;
    return family_of(isa, &f) ? f.mr : 1;
}

int rg_tile_cols(int isa) {
    family f;
    return family_of(isa, &f) ? f.nr : 1;
}

/// Per-thread packing buffers, made at a thread's first product and kept (remask's workers live for the process).
static _Thread_local float *tl_b, *tl_a;

static int buffers(void) {
    if (tl_b) return 1;
    void *b = NULL, *a = NULL;
    if (posix_memalign(&b, 64, sizeof(float) * (size_t)PANEL) != 0) return 0;
    if (posix_memalign(&a, 64, sizeof(float) * (size_t)KC * MC_SLIVERS * MR_MAX) != 0) {
        free(b);
        return 0;
    }
    tl_b = b;
    tl_a = a;
    return 1;
}

int rg_gemm(int isa, int bf16, int bf16_dot, int trans_a, int trans_b, int m, int n, int k, float alpha,
            const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    family f;
    if (!family_of(isa, &f) || !buffers()) return -1;
    if (m <= 0 || n <= 0) return 0;
#if defined(__x86_64__)
    if (bf16 && bf16_dot && isa == RG_AVX512 && rg_cpu_has_bf16_dot()) {
        f.bf16 = kernel_avx512_bf16;
        f.pack_a2 = pack_a8_pairs;
        f.pack_b2 = pack_b32_pairs;
        f.pack_a2_t = pack_a8_pairs_block;
    }
#endif
    if (k <= 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = beta == 0 ? 0 : beta * c[(size_t)i * ldc + j];
        return 0;
    }
    const int MR = f.mr, NR = f.nr, MC = MC_SLIVERS * f.mr;
    const int pairs = bf16 && f.bf16;  // slices hold k pairs
    // Equal slices of at most KC units: a ragged last slice would pay the C tile's loads and stores for little work.
    const int per_unit = pairs ? 2 : 1, total_units = (k + per_unit - 1) / per_unit;
    const int slices = (total_units + KC - 1) / KC;
    const int slice = (total_units + slices - 1) / slices * per_unit;
    const int NC = PANEL / ((slice / per_unit + 7) / 8 * 8) / NR * NR;
    micro_kernel kernel = pairs ? f.bf16 : f.f32;
    fast_packer fast_a = pairs ? f.pack_a2 : bf16 ? NULL : f.pack_a;
    fast_packer fast_b = pairs ? f.pack_b2 : bf16 ? NULL : f.pack_b;
    for (int jc = 0; jc < n; jc += NC) {
        int nc = n - jc < NC ? n - jc : NC;
        for (int pc = 0; pc < k; pc += slice) {
            int kc = k - pc < slice ? k - pc : slice;
            int units = pairs ? (kc + 1) / 2 : kc;
            float slice_beta = pc == 0 ? beta : 1;
            for (int jr = 0; jr < nc; jr += NR) {
                int nr = nc - jr < NR ? nc - jr : NR;
                void *dst = tl_b + (size_t)jr * units;
                if (nr == NR && fast_b && fast_b(trans_b, b, ldb, jc + jr, pc, kc, dst)) continue;
                if (pairs) pack_pairs(!trans_b, b, ldb, jc + jr, nr, pc, kc, NR, dst);
                else pack_f32(!trans_b, b, ldb, jc + jr, nr, pc, kc, NR, bf16, dst);
            }
            for (int ic = 0; ic < m; ic += MC) {
                int mc = m - ic < MC ? m - ic : MC;
                const size_t sliver = (size_t)MR * units;  // elements of one packed A sliver
                int done = 0;                              // slivers packed as a block
                if (trans_a && !bf16) {
                    done = mc / MR;
                    pack_a_block_f32(a, lda, ic, done, pc, kc, MR, tl_a, sliver);
                } else if (trans_a && pairs && f.pack_a2_t) {
                    done = mc / MR;
                    f.pack_a2_t(a, lda, ic, done, pc, kc, (uint32_t *)tl_a, sliver);
                }
                for (int s = done; s * MR < mc; s++) {
                    int i0 = ic + s * MR, mr = m - i0 < MR ? m - i0 : MR;
                    void *dst = tl_a + s * sliver;
                    if (mr == MR && fast_a && fast_a(trans_a, a, lda, i0, pc, kc, dst)) continue;
                    if (pairs) pack_pairs(trans_a, a, lda, i0, mr, pc, kc, MR, dst);
                    else pack_f32(trans_a, a, lda, i0, mr, pc, kc, MR, bf16, dst);
                }
                for (int ir = 0; ir < mc; ir += MR) {
                    int mr = mc - ir < MR ? mc - ir : MR;
                    const float *ap = tl_a + (size_t)(ir / MR) * sliver;
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = nc - jr < NR ? nc - jr : NR;
                        kernel(units, ap, tl_b + (size_t)jr * units, c + (size_t)(ic + ir) * ldc + jc + jr, ldc, mr, nr,
                               alpha, slice_beta);
                    }
                }
            }
        }
    }
    return 0;
}

double rg_kernel_peak_gflops(int isa, int bf16_dot, double seconds) {
    family f;
    if (!family_of(isa, &f) || !buffers()) return 0;
#if defined(__x86_64__)
    if (bf16_dot && isa == RG_AVX512 && rg_cpu_has_bf16_dot()) f.bf16 = kernel_avx512_bf16;
#endif
    if (bf16_dot && !f.bf16) return 0;
    micro_kernel kernel = bf16_dot ? f.bf16 : f.f32;
    // One 64-deep sliver of A against four B slivers, all in L1; C a small tile.
    const int units = 64;
    memset(tl_a, 0, sizeof(float) * (size_t)units * f.mr);
    memset(tl_b, 0, sizeof(float) * (size_t)units * f.nr * 4);
    float tile[MR_MAX * NR_MAX];
    double flops_per_call = 2.0 * f.mr * f.nr * units * (bf16_dot ? 2 : 1);
    struct timespec t0, t1;
    long calls = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double elapsed = 0;
    while (elapsed < seconds) {
        for (int r = 0; r < 1000; r++)
            kernel(units, tl_a, tl_b + (size_t)(r & 3) * units * f.nr, tile, NR_MAX, f.mr, f.nr, 1, 0);
        calls += 1000;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        elapsed = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    }
    return flops_per_call * calls / elapsed / 1e9;
}
