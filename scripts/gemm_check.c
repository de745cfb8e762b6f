// CGEMM's kernels against a double-precision reference, outside Swift: for running the NEON family under
// qemu-aarch64 on an x86-64 machine (scripts/check-gemm-arm64.sh), or any family natively:
//   cc -O2 -ISources/CGEMM/include Sources/CGEMM/cgemm.c scripts/gemm_check.c -lm && ./a.out
// Every transpose combination, shapes around the tiles and packing blocks, Float32 and bf16 (the bf16 bound is
// loose: bfloat16 operands against exact ones). Exits 1 on the first family with a wrong product.
#include "cgemm.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static float *random_floats(size_t n, unsigned *state) {
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        *state = *state * 1103515245u + 12345u;
        p[i] = (float)((*state >> 8) & 0xFFFF) / 65536.0f - 0.5f;
    }
    return p;
}

#define SHAPES (7 * 7 * 7 + 2)  // the cross product of `sizes`, then `wide`

static int check(int isa, int bf16) {
    static const int sizes[] = {1, 5, 8, 9, 17, 33, 70};
    // Beyond the cross product of sizes: C wider than one B panel (op(A) packed again for each panel).
    static const int wide[][3] = {{20, 1000, 576}, {70, 1500, 1000}};
    unsigned state = 1;
    int bad = 0;
    for (int t = 0; t < 4; t++)
        for (int e = 0; e < SHAPES; e++) {
            int ta = t & 1, tb = t >> 1;
            int m = e < 343 ? sizes[e / 49] : wide[e - 343][0], n = e < 343 ? sizes[e / 7 % 7] * 5 : wide[e - 343][1],
                k = e < 343 ? sizes[e % 7] * 9 : wide[e - 343][2];
            float *a = random_floats((size_t)m * k, &state), *b = random_floats((size_t)k * n, &state);
            float *c = random_floats((size_t)m * n, &state), *want = malloc(sizeof(float) * m * n);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                        s += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                    want[i * n + j] = (float)(0.5 * s + 0.25 * c[i * n + j]);
                }
            if (rg_gemm(isa, bf16, 1, ta, tb, m, n, k, 0.5f, a, ta ? m : k, b, tb ? k : n, 0.25f, c, n) != 0) {
                printf("family %d cannot run here\n", isa);
                return 1;
            }
            float bound = (bf16 ? 2e-2f : 1e-5f) * sqrtf((float)k);
            for (int i = 0; i < m * n && !bad; i++)
                if (!(fabsf(c[i] - want[i]) <= bound)) {
                    printf("family %d bf16 %d trans %d/%d m %d n %d k %d: element %d is %g, want %g\n", isa, bf16, ta,
                           tb, m, n, k, i, c[i], want[i]);
                    bad = 1;
                }
            free(a), free(b), free(c), free(want);
            if (bad) return 1;
        }
    return 0;
}

int main(void) {
    static const char *names[] = {"none", "avx2", "avx512", "neon"};
    int ran = 0;
    for (int isa = RG_AVX2; isa <= RG_NEON; isa++) {
        if (!rg_cpu_supports(isa)) continue;
        for (int bf16 = 0; bf16 < 2; bf16++) {
            if (check(isa, bf16)) return 1;
            printf("%s %s: %d products match the reference\n", names[isa], bf16 ? "bf16" : "fp32", 4 * SHAPES);
        }
        ran++;
    }
    if (!ran) printf("no CGEMM family runs on this CPU\n");
    return ran ? 0 : 1;
}
