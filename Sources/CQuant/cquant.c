#include "cquant.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))

int cq_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

static inline AVX2 float half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

static inline AVX2 float hsum(__m256 v) {
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

/// Σ w·x over 32 pairs as 8 int32 lanes: w as two halves of 16 int16 (weights 0–15, 16–31), x a block's codes.
static inline AVX2 __m256i dot32(__m256i w_lo, __m256i w_hi, const int16_t *x) {
    return _mm256_add_epi32(_mm256_madd_epi16(w_lo, _mm256_loadu_si256((const __m256i *)x)),
                            _mm256_madd_epi16(w_hi, _mm256_loadu_si256((const __m256i *)(x + 16))));
}

/// The 16 low and 16 high nibbles of 16 bytes, widened to int16 (ggml's block order: low nibbles first).
static inline AVX2 void nibbles16(const uint8_t *p, __m256i *lo, __m256i *hi) {
    const __m128i m4 = _mm_set1_epi8(0x0F);
    __m128i t = _mm_loadu_si128((const __m128i *)p);
    *lo = _mm256_cvtepu8_epi16(_mm_and_si128(t, m4));
    *hi = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(t, 4), m4));
}

/// Block decoders: the 32 weights of a block as two halves of 16 int16, its scale d and its minimum m
/// (0 for the formats without one).
static inline AVX2 void decode_q4_0(const uint8_t *blk, __m256i *lo, __m256i *hi, float *d, float *m) {
    *d = half(blk);
    *m = 0;
    nibbles16(blk + 2, lo, hi);
    *lo = _mm256_sub_epi16(*lo, _mm256_set1_epi16(8));
    *hi = _mm256_sub_epi16(*hi, _mm256_set1_epi16(8));
}

static inline AVX2 void decode_q4_1(const uint8_t *blk, __m256i *lo, __m256i *hi, float *d, float *m) {
    *d = half(blk);
    *m = half(blk + 2);
    nibbles16(blk + 4, lo, hi);
}

/// Q5_0: the low nibbles as Q4_0, the fifth bit of weight j in bit j of qh; weight = d · (q − 16).
static inline AVX2 void decode_q5_0(const uint8_t *blk, __m256i *lo, __m256i *hi, float *d, float *m) {
    const __m256i bits = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, -32768);
    uint32_t qh;
    memcpy(&qh, blk + 2, 4);
    *d = half(blk);
    *m = 0;
    nibbles16(blk + 6, lo, hi);
    // Lanes whose bit is clear lose 16; lanes whose bit is set keep q (= nibble + 16 − 16).
    __m256i set_lo = _mm256_cmpeq_epi16(_mm256_and_si256(_mm256_set1_epi16((short)(qh & 0xFFFF)), bits), bits);
    __m256i set_hi = _mm256_cmpeq_epi16(_mm256_and_si256(_mm256_set1_epi16((short)(qh >> 16)), bits), bits);
    *lo = _mm256_add_epi16(*lo, _mm256_andnot_si256(set_lo, _mm256_set1_epi16(-16)));
    *hi = _mm256_add_epi16(*hi, _mm256_andnot_si256(set_hi, _mm256_set1_epi16(-16)));
}

static inline AVX2 void decode_q8_0(const uint8_t *blk, __m256i *lo, __m256i *hi, float *d, float *m) {
    *d = half(blk);
    *m = 0;
    __m256i q = _mm256_loadu_si256((const __m256i *)(blk + 2));
    *lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(q));
    *hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(q, 1));
}

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

int cq_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

static int use_avx512 = -1;  // -1: decide at the first call

int cq_avx512_enabled(void) {
    if (use_avx512 < 0) use_avx512 = cq_has_avx512();
    return use_avx512;
}

void cq_set_avx512(int on) { use_avx512 = on && cq_has_avx512(); }

/// The 32 weights of a 4-bit block as 32 int16 in one register: low nibbles (weights 0–15), then high ones.
/// The 16 bytes are loaded into both halves of a 256-bit register (a plain load), widened, and each half shifted
/// by its own count: three vector operations.
static inline AVX512 __m512i nibbles32(const uint8_t *p) {
    const __m512i shifts = _mm512_set_epi64(0x0004000400040004LL, 0x0004000400040004LL, 0x0004000400040004LL,
                                            0x0004000400040004LL, 0, 0, 0, 0);
    __m512i b = _mm512_cvtepu8_epi16(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p)));
    return _mm512_and_si512(_mm512_srlv_epi16(b, shifts), _mm512_set1_epi16(0x0F));
}

static inline AVX512 __m512i wide_q4_0(const uint8_t *blk) { return _mm512_sub_epi16(nibbles32(blk + 2), _mm512_set1_epi16(8)); }
static inline AVX512 __m512i wide_q4_1(const uint8_t *blk) { return nibbles32(blk + 4); }
static inline AVX512 __m512i wide_q5_0(const uint8_t *blk) {
    uint32_t qh;
    memcpy(&qh, blk + 2, 4);
    __m512i q = nibbles32(blk + 6);
    return _mm512_mask_sub_epi16(q, (__mmask32)~qh, q, _mm512_set1_epi16(16));  // q − 16 where the fifth bit is clear
}
static inline AVX512 __m512i wide_q8_0(const uint8_t *blk) { return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(blk + 2))); }

/// How far ahead of the block being read the decoding loops prefetch. Decoding streams weights from L3 or
/// memory once per token; without the hint the loop waits on every load (measured on SmolLM2's Q4_1 rows:
/// 9 GB/s without, 14 GB/s with 2 KB ahead on two cores).
#define PREFETCH_BYTES 2048

/// One activation row against weight rows four at a time, a whole block per 512-bit multiply-add, prefetching
/// ahead of the four row streams. Returns the rows done (a multiple of four); the caller finishes the rest.
/// The sums equal the AVX2 kernel's up to float rounding.
#define GEMV_512(name, block_bytes, wide, has_min)                                                              \
    static AVX512 int name(const uint8_t *w, size_t row_bytes, int rows, int n, const cq_block_q16 *x, float *out) { \
        const int blocks = n / 32;                                                                              \
        int r = 0;                                                                                              \
        for (; r + 4 <= rows; r += 4) {                                                                         \
            const uint8_t *row = w + r * row_bytes;                                                             \
            __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()}; \
            float mins[4] = {0, 0, 0, 0};                                                                       \
            for (int b = 0; b < blocks; b++) {                                                                  \
                const cq_block_q16 *y = x + b;                                                                  \
                __m512i yq = _mm512_loadu_si512((const void *)y->qs);                                           \
                float s = y->s[0] + y->s[1];                                                                    \
                for (int k = 0; k < 4; k++) {                                                                   \
                    const uint8_t *blk = row + k * row_bytes + (block_bytes) * b;                               \
                    _mm_prefetch((const char *)blk + PREFETCH_BYTES, _MM_HINT_T0);                              \
                    __m512 p = _mm512_cvtepi32_ps(_mm512_madd_epi16(wide(blk), yq));                            \
                    acc[k] = _mm512_fmadd_ps(_mm512_set1_ps(half(blk) * y->d), p, acc[k]);                      \
                    if (has_min) mins[k] += half(blk + 2) * s;                                                  \
                }                                                                                               \
            }                                                                                                   \
            for (int k = 0; k < 4; k++) out[r + k] = _mm512_reduce_add_ps(acc[k]) + mins[k];                   \
        }                                                                                                       \
        return r;                                                                                               \
    }

GEMV_512(gemv512_q4_0, 18, wide_q4_0, 0)
GEMV_512(gemv512_q4_1, 20, wide_q4_1, 1)
GEMV_512(gemv512_q5_0, 22, wide_q5_0, 0)
GEMV_512(gemv512_q8_0, 34, wide_q8_0, 0)

/// Up to four activation rows share each decoded weight block.
#define TILE 4

/// The loops every 32-weight format shares. One activation row (decoding) takes two weight rows at a time,
/// which share the activation loads and keep two independent accumulators in flight; more activation rows
/// take tiles of up to four, which share each decoded weight block.
#define GEMM_32(name, block_bytes, decode, has_min, gemv512)                                                       \
    AVX2 void name(const uint8_t *w, size_t row_bytes, int rows, int n, const cq_block_q16 *x, int nx, float *out, \
                   size_t out_stride) {                                                                           \
        const int blocks = n / 32;                                                                                \
        int r0 = 0;                                                                                               \
        if (nx == 1 && cq_avx512_enabled()) r0 = gemv512(w, row_bytes, rows, n, x, out);                          \
        if (nx == 1) {                                                                                            \
            for (; r0 + 2 <= rows; r0 += 2) {                                                                     \
                const uint8_t *row0 = w + r0 * row_bytes, *row1 = row0 + row_bytes;                               \
                __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                                    \
                float mins0 = 0, mins1 = 0;                                                                       \
                for (int b = 0; b < blocks; b++) {                                                                \
                    __m256i lo0, hi0, lo1, hi1;                                                                   \
                    float d0, m0, d1, m1;                                                                         \
                    _mm_prefetch((const char *)row0 + (block_bytes) * b + PREFETCH_BYTES, _MM_HINT_T0);           \
                    _mm_prefetch((const char *)row1 + (block_bytes) * b + PREFETCH_BYTES, _MM_HINT_T0);           \
                    decode(row0 + (block_bytes) * b, &lo0, &hi0, &d0, &m0);                                       \
                    decode(row1 + (block_bytes) * b, &lo1, &hi1, &d1, &m1);                                       \
                    const cq_block_q16 *y = x + b;                                                                \
                    __m256i ylo = _mm256_loadu_si256((const __m256i *)y->qs);                                     \
                    __m256i yhi = _mm256_loadu_si256((const __m256i *)(y->qs + 16));                              \
                    __m256i p0 = _mm256_add_epi32(_mm256_madd_epi16(lo0, ylo), _mm256_madd_epi16(hi0, yhi));      \
                    __m256i p1 = _mm256_add_epi32(_mm256_madd_epi16(lo1, ylo), _mm256_madd_epi16(hi1, yhi));      \
                    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d0 * y->d), _mm256_cvtepi32_ps(p0), acc0);              \
                    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d1 * y->d), _mm256_cvtepi32_ps(p1), acc1);              \
                    if (has_min) {                                                                                \
                        float s = y->s[0] + y->s[1];                                                              \
                        mins0 += m0 * s;                                                                          \
                        mins1 += m1 * s;                                                                          \
                    }                                                                                             \
                }                                                                                                 \
                out[r0] = hsum(acc0) + mins0;                                                                     \
                out[r0 + 1] = hsum(acc1) + mins1;                                                                 \
            }                                                                                                     \
        }                                                                                                         \
        for (int r = r0; r < rows; r++) {                                                                         \
            const uint8_t *row = w + r * row_bytes;                                                               \
            for (int a0 = 0; a0 < nx; a0 += TILE) {                                                               \
                int na = nx - a0 < TILE ? nx - a0 : TILE;                                                         \
                __m256 acc[TILE] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()}; \
                float mins[TILE] = {0, 0, 0, 0};                                                                  \
                for (int b = 0; b < blocks; b++) {                                                                \
                    __m256i lo, hi;                                                                               \
                    float d, m;                                                                                   \
                    decode(row + (block_bytes) * b, &lo, &hi, &d, &m);                                            \
                    for (int a = 0; a < na; a++) {                                                                \
                        const cq_block_q16 *y = x + (size_t)(a0 + a) * blocks + b;                                \
                        __m256 p = _mm256_cvtepi32_ps(dot32(lo, hi, y->qs));                                      \
                        acc[a] = _mm256_fmadd_ps(_mm256_set1_ps(d * y->d), p, acc[a]);                            \
                        if (has_min) mins[a] += m * (y->s[0] + y->s[1]);                                          \
                    }                                                                                             \
                }                                                                                                 \
                for (int a = 0; a < na; a++) out[(size_t)(a0 + a) * out_stride + r] = hsum(acc[a]) + mins[a];     \
            }                                                                                                     \
        }                                                                                                         \
    }

/// Q4_0: f16 d, 16 bytes of nibbles; weight = d · (q − 8).
GEMM_32(cq_gemm_q4_0, 18, decode_q4_0, 0, gemv512_q4_0)
/// Q4_1: f16 d, f16 m, 16 bytes of nibbles; weight = d · q + m.
GEMM_32(cq_gemm_q4_1, 20, decode_q4_1, 1, gemv512_q4_1)
/// Q5_0: f16 d, u32 qh (fifth bits), 16 bytes of nibbles; weight = d · (q − 16).
GEMM_32(cq_gemm_q5_0, 22, decode_q5_0, 0, gemv512_q5_0)
/// Q8_0: f16 d, 32 int8; weight = d · q.
GEMM_32(cq_gemm_q8_0, 34, decode_q8_0, 0, gemv512_q8_0)

/// Q4_K's 6-bit scale and minimum of sub-block j (ggml's get_scale_min_k4).
static inline void scale_min_k4(int j, const uint8_t *q, int *d, int *m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/// Q4_K, 256 weights in 144 bytes: f16 d, f16 dmin, 12 bytes of 6-bit scales and minimums, 128 bytes of
/// nibbles (each 32 bytes hold sub-block 2j in the low nibbles and 2j+1 in the high ones); a weight of
/// sub-block j is d · scale_j · q − dmin · min_j. Each sub-block lines up with one activation block.
AVX2 void cq_gemm_q4_K(const uint8_t *w, size_t row_bytes, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t out_stride) {
    const int blocks = n / 256;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int r = 0; r < rows; r++) {
        const uint8_t *row = w + r * row_bytes;
        for (int a = 0; a < nx; a++) {
            const cq_block_q16 *ya = x + (size_t)a * (n / 32);
            __m256 acc = _mm256_setzero_ps();
            float mins = 0;
            for (int b = 0; b < blocks; b++) {
                const uint8_t *blk = row + 144 * b;
                const cq_block_q16 *y = ya + 8 * b;
                float d = half(blk), dmin = half(blk + 2);
                const uint8_t *scales = blk + 4, *qs = blk + 16;
                for (int j = 0; j < 4; j++) {
                    __m256i packed = _mm256_loadu_si256((const __m256i *)(qs + 32 * j));
                    __m256i q[2] = {_mm256_and_si256(packed, m4), _mm256_and_si256(_mm256_srli_epi16(packed, 4), m4)};
                    for (int h = 0; h < 2; h++) {
                        int sc, m;
                        scale_min_k4(2 * j + h, scales, &sc, &m);
                        const cq_block_q16 *yb = y + 2 * j + h;
                        __m256i w_lo = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(q[h]));
                        __m256i w_hi = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(q[h], 1));
                        __m256 p = _mm256_cvtepi32_ps(dot32(w_lo, w_hi, yb->qs));
                        acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc * yb->d), p, acc);
                        mins += dmin * (float)m * (yb->s[0] + yb->s[1]);
                    }
                }
            }
            out[(size_t)a * out_stride + r] = hsum(acc) - mins;
        }
    }
}

/// Q6_K, 256 weights in 210 bytes: 128 bytes of low nibbles, 64 of high 2-bit pairs, 16 int8 scales (one per
/// 16 weights), f16 d; a weight is d · scale · (q − 32) with q in 0…63.
AVX2 void cq_gemm_q6_K(const uint8_t *w, size_t row_bytes, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t out_stride) {
    const int blocks = n / 256;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
    for (int r = 0; r < rows; r++) {
        const uint8_t *row = w + r * row_bytes;
        for (int a = 0; a < nx; a++) {
            const cq_block_q16 *ya = x + (size_t)a * (n / 32);
            __m256 acc = _mm256_setzero_ps();
            float shift = 0;  // the −32 of every weight: Σ d · 32 · scale · Σx
            for (int b = 0; b < blocks; b++) {
                const uint8_t *blk = row + 210 * b;
                const uint8_t *ql = blk, *qh = blk + 128;
                const int8_t *sc = (const int8_t *)(blk + 192);
                float d = half(blk + 208);
                for (int c = 0; c < 2; c++) {
                    __m256i l0 = _mm256_loadu_si256((const __m256i *)(ql + 64 * c));
                    __m256i l1 = _mm256_loadu_si256((const __m256i *)(ql + 64 * c + 32));
                    __m256i hb = _mm256_loadu_si256((const __m256i *)(qh + 32 * c));
                    __m256i q[4];
                    q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m2), 4));
                    q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m2), 4));
                    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m2), 4));
                    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m2), 4));
                    for (int k = 0; k < 4; k++) {
                        const int8_t *s = sc + 8 * c + 2 * k;
                        const cq_block_q16 *yb = ya + 8 * b + 4 * c + k;
                        __m256i w_lo = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(q[k]));
                        __m256i w_hi = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(q[k], 1));
                        __m256 p_lo = _mm256_cvtepi32_ps(_mm256_madd_epi16(w_lo, _mm256_loadu_si256((const __m256i *)yb->qs)));
                        __m256 p_hi = _mm256_cvtepi32_ps(_mm256_madd_epi16(w_hi, _mm256_loadu_si256((const __m256i *)(yb->qs + 16))));
                        float dd = d * yb->d;
                        acc = _mm256_fmadd_ps(_mm256_set1_ps(dd * (float)s[0]), p_lo, acc);
                        acc = _mm256_fmadd_ps(_mm256_set1_ps(dd * (float)s[1]), p_hi, acc);
                        shift += d * 32.0f * ((float)s[0] * yb->s[0] + (float)s[1] * yb->s[1]);
                    }
                }
            }
            out[(size_t)a * out_stride + r] = hsum(acc) - shift;
        }
    }
}

static inline AVX2 __m256 load_f16(const uint8_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
static inline AVX2 __m256 load_bf16(const uint8_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}
static inline AVX2 __m256 load_f32(const uint8_t *p) { return _mm256_loadu_ps((const float *)p); }

/// Unquantized rows (n a multiple of 8) against Float32 activations; `load8` converts 8 stored values.
#define GEMM_FLOAT(name, load8, elem)                                                                          \
    AVX2 void name(const uint8_t *w, size_t row_bytes, int rows, int n, const float *x, int nx, float *out,     \
                   size_t out_stride) {                                                                         \
        for (int r = 0; r < rows; r++) {                                                                        \
            const uint8_t *row = w + r * row_bytes;                                                             \
            for (int a = 0; a < nx; a++) {                                                                      \
                const float *xa = x + (size_t)a * n;                                                            \
                __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                                  \
                int i = 0;                                                                                      \
                for (; i + 16 <= n; i += 16) {                                                                  \
                    acc0 = _mm256_fmadd_ps(load8(row + (size_t)i * elem), _mm256_loadu_ps(xa + i), acc0);       \
                    acc1 = _mm256_fmadd_ps(load8(row + (size_t)(i + 8) * elem), _mm256_loadu_ps(xa + i + 8), acc1); \
                }                                                                                               \
                if (i < n) acc0 = _mm256_fmadd_ps(load8(row + (size_t)i * elem), _mm256_loadu_ps(xa + i), acc0); \
                out[(size_t)a * out_stride + r] = hsum(_mm256_add_ps(acc0, acc1));                              \
            }                                                                                                   \
        }                                                                                                       \
    }

GEMM_FLOAT(cq_gemm_f16, load_f16, 2)
GEMM_FLOAT(cq_gemm_bf16, load_bf16, 2)
GEMM_FLOAT(cq_gemm_f32, load_f32, 4)

#define BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma")))
#define ALWAYS_INLINE static inline __attribute__((always_inline))

int cq_has_avx512bf16(void) {
    __builtin_cpu_init();
    return cq_has_avx512() && __builtin_cpu_supports("avx512bf16");
}

BF16 void cq_bf16_round(const float *x, size_t count, uint16_t *y) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m256i b = (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(x + i));
        _mm256_storeu_si256((__m256i *)(y + i), b);
    }
    if (i < count) {
        __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
        __m256i b = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x + i));
        _mm256_mask_storeu_epi16(y + i, m, b);
    }
}

BF16 void cq_bf16_panel(const float *x, size_t x_stride, int nx, int n, uint32_t *panel) {
    const int pairs = n / 2, groups = (nx + 15) / 16;
    // Sixteen rows' pairs of 16 columns at a time: each row's 8 pairs go to one column of a 16 × 8 block.
    const __m512i lanes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(16));
    for (int g = 0; g < groups; g++) {
        uint32_t *out = panel + (size_t)g * pairs * 16;
        for (int lane = 0; lane < 16; lane++) {
            int a = 16 * g + lane;
            uint32_t *col = out + lane;
            if (a >= nx) {
                for (int p = 0; p < pairs; p++) col[(size_t)p * 16] = 0;
                continue;
            }
            const float *row = x + (size_t)a * x_stride;
            int p = 0;
            for (; p + 16 <= pairs; p += 16) {
                __m512i lo = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(row + 2 * p + 16), _mm512_loadu_ps(row + 2 * p));
                _mm512_i32scatter_epi32(col + (size_t)p * 16, lanes, lo, 4);
            }
            for (; p < pairs; p++) {
                uint16_t two[2];
                cq_bf16_round(row + 2 * p, 2, two);
                col[(size_t)p * 16] = (uint32_t)two[0] | ((uint32_t)two[1] << 16);
            }
        }
    }
}

/// G groups of 16 activation rows against R weight rows: G · R accumulators of 16 lanes (one per activation
/// row), each pair of columns one vdpbf16ps per accumulator with the weight pair broadcast. Called with
/// constant G and R, so the loops unroll.
ALWAYS_INLINE BF16 void bf16_tile(int G, int R, const uint32_t *w, size_t w_pairs_stride, const uint32_t *panel,
                                  size_t group_stride, int pairs, float *out, size_t out_stride, int rows_left) {
    __m512 acc[4][6];
    for (int g = 0; g < G; g++)
        for (int r = 0; r < R; r++) acc[g][r] = _mm512_setzero_ps();
    for (int p = 0; p < pairs; p++) {
        __m512bh xv[4];
        for (int g = 0; g < G; g++) xv[g] = (__m512bh)_mm512_loadu_si512(panel + g * group_stride + (size_t)p * 16);
        for (int r = 0; r < R; r++) {
            __m512bh wv = (__m512bh)_mm512_set1_epi32((int)w[r * w_pairs_stride + p]);
            for (int g = 0; g < G; g++) acc[g][r] = _mm512_dpbf16_ps(acc[g][r], xv[g], wv);
        }
    }
    const __m512i index = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32((int)out_stride));
    for (int g = 0; g < G; g++) {
        int left = rows_left - 16 * g;
        __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        for (int r = 0; r < R; r++) _mm512_mask_i32scatter_ps(out + (size_t)16 * g * out_stride + r, m, index, acc[g][r], 4);
    }
}

#define BF16_TILE_R(G)                                                                                 \
    switch (R) {                                                                                       \
    case 1: bf16_tile(G, 1, wr, w_pairs, group, group_stride, pairs, o, out_stride, left); break;      \
    case 2: bf16_tile(G, 2, wr, w_pairs, group, group_stride, pairs, o, out_stride, left); break;      \
    case 3: bf16_tile(G, 3, wr, w_pairs, group, group_stride, pairs, o, out_stride, left); break;      \
    case 4: bf16_tile(G, 4, wr, w_pairs, group, group_stride, pairs, o, out_stride, left); break;      \
    case 5: bf16_tile(G, 5, wr, w_pairs, group, group_stride, pairs, o, out_stride, left); break;      \
    default: bf16_tile(G, 6, wr, w_pairs, group, group_stride, pairs, o, out_stride, left); break;     \
    }

BF16 void cq_gemm_bf16_panel(const uint16_t *w, size_t w_stride, int rows, int n, const uint32_t *panel, int nx, float *out,
                             size_t out_stride) {
    const int pairs = n / 2, groups = (nx + 15) / 16;
    const size_t group_stride = (size_t)pairs * 16, w_pairs = w_stride / 2;
    // Four groups (64 activation rows) by six weight rows: 24 of the 32 registers accumulate.
    for (int g0 = 0; g0 < groups; g0 += 4) {
        const int G = groups - g0 < 4 ? groups - g0 : 4;
        const uint32_t *group = panel + g0 * group_stride;
        const int left = nx - 16 * g0;
        for (int r0 = 0; r0 < rows; r0 += 6) {
            const int R = rows - r0 < 6 ? rows - r0 : 6;
            const uint32_t *wr = (const uint32_t *)(w + (size_t)r0 * w_stride);
            float *o = out + (size_t)16 * g0 * out_stride + r0;
            switch (G) {
            case 1: BF16_TILE_R(1) break;
            case 2: BF16_TILE_R(2) break;
            case 3: BF16_TILE_R(3) break;
            default: BF16_TILE_R(4) break;
            }
        }
    }
}

#else  // not x86-64: the Swift kernels run instead, and these are never called.

int cq_has_avx2(void) { return 0; }
int cq_has_avx512(void) { return 0; }
int cq_avx512_enabled(void) { return 0; }
void cq_set_avx512(int on) {}
void cq_gemm_q4_0(const uint8_t *w, size_t rb, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t os) {}
void cq_gemm_q4_1(const uint8_t *w, size_t rb, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t os) {}
void cq_gemm_q5_0(const uint8_t *w, size_t rb, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t os) {}
void cq_gemm_q8_0(const uint8_t *w, size_t rb, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t os) {}
void cq_gemm_q4_K(const uint8_t *w, size_t rb, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t os) {}
void cq_gemm_q6_K(const uint8_t *w, size_t rb, int rows, int n, const cq_block_q16 *x, int nx, float *out, size_t os) {}
void cq_gemm_f16(const uint8_t *w, size_t rb, int rows, int n, const float *x, int nx, float *out, size_t os) {}
void cq_gemm_bf16(const uint8_t *w, size_t rb, int rows, int n, const float *x, int nx, float *out, size_t os) {}
void cq_gemm_f32(const uint8_t *w, size_t rb, int rows, int n, const float *x, int nx, float *out, size_t os) {}
int cq_has_avx512bf16(void) { return 0; }
void cq_bf16_round(const float *x, size_t count, uint16_t *y) {}
void cq_bf16_panel(const float *x, size_t x_stride, int nx, int n, uint32_t *panel) {}
void cq_gemm_bf16_panel(const uint16_t *w, size_t w_stride, int rows, int n, const uint32_t *panel, int nx, float *out, size_t os) {}

#endif
