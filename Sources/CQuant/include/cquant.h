// Micro-kernels for quantized dot products with instructions Swift's SIMD types cannot express
// (AVX2 pmaddubsw / vpdpbusd). Each has a Swift fallback in Core/Quantized; tests check both agree.
#pragma once
#include <stdint.h>
#include <stddef.h>

/// 1 when this CPU runs the AVX2+FMA+F16C kernels below (checked at run time).
int cq_has_avx2(void);
