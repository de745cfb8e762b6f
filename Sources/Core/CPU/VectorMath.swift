/// Vectorized transcendental functions for the CPU kernels. Swift has no SIMD `exp`; calling the scalar one
/// per element would dominate softmax, SiLU and cross-entropy over a 49k vocabulary.
public typealias F8 = SIMD8<Float>

/// exp for 8 lanes: Cephes-style range reduction x = n ln2 + r, a degree-6 polynomial for e^r, and 2^n built
/// from the exponent bits. Relative error below 2e-7 over [-87, 88]; inputs below -87.3 give 0.
@inline(__always)
public func exp8(_ x: F8) -> F8 {
    let hi = F8(repeating: 88.3762626647949)
    let lo = F8(repeating: -87.3365447504)
    let tooSmall = x .< lo
    var v = x.replacing(with: hi, where: x .> hi)
    v = v.replacing(with: lo, where: tooSmall)
    // Round v·log2(e) to the nearest integer n by adding 1.5·2²³: n lands in the low mantissa bits.
    // (SIMD `rounded()` and float-to-int conversions lower to scalar calls.)
    let magic = F8(repeating: 12_582_912)
    let t = v * 1.44269504088896341 + magic
    let fx = t - magic
    let n = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    var r = v - fx * 0.693359375
    r = r + fx * 2.12194440e-4
    let r2 = r * r
    var p = F8(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r2 + r + 1
    let scale = unsafeBitCast((n &+ 127) &<< 23, to: F8.self)
    return (y * scale).replacing(with: 0, where: tooSmall)
}

/// Scalar exp with the same approximation, so scalar tails match the vector body bit for bit.
@inline(__always)
public func expApprox(_ x: Float) -> Float { exp8(F8(repeating: x))[0] }

/// Logistic sigmoid for 8 lanes.
@inline(__always)
public func sigmoid8(_ x: F8) -> F8 { 1 / (1 + exp8(-x)) }

@inline(__always)
public func load8(_ p: UnsafePointer<Float>) -> F8 {
    UnsafeRawPointer(p).loadUnaligned(as: F8.self)
}

@inline(__always)
public func store8(_ v: F8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F8.self)
}

/// Sum of the 8 lanes in a fixed order (deterministic).
@inline(__always)
func hsum(_ v: F8) -> Float {
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    return b[0] + b[1]
}

/// Lane-wise maximum. The standard library's `pointwiseMax` is not inlined and runs lane by lane; a compare
/// and blend is one vector instruction each.
@inline(__always)
func lanewiseMax(_ a: F8, _ b: F8) -> F8 { a.replacing(with: b, where: b .> a) }

@inline(__always)
func lanewiseMax(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a.replacing(with: b, where: b .> a) }

@inline(__always)
func lanewiseMax(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> SIMD2<Float> { a.replacing(with: b, where: b .> a) }

@inline(__always)
func hmax(_ v: F8) -> Float {
    let a = lanewiseMax(v.lowHalf, v.highHalf)
    let b = lanewiseMax(a.lowHalf, a.highHalf)
    return max(b[0], b[1])
}

/// Dot product of two float arrays.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = F8(), acc1 = F8()
    var i = 0
    while i + 16 <= n {
        acc0 = acc0.addingProduct(load8(a + i), load8(b + i))
        acc1 = acc1.addingProduct(load8(a + i + 8), load8(b + i + 8))
        i += 16
    }
    while i + 8 <= n { acc0 = acc0.addingProduct(load8(a + i), load8(b + i)); i += 8 }
    var s = hsum(acc0 + acc1)
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}

/// Sum of squares of an array.
@inline(__always)
func sumOfSquares(_ a: UnsafePointer<Float>, _ n: Int) -> Float { dot(a, a, n) }

/// Maximum of an array (n ≥ 1).
@inline(__always)
func maxOf(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
    var i = 0
    var m = -Float.infinity
    if n >= 8 {
        var v = load8(a)
        i = 8
        while i + 8 <= n { v = lanewiseMax(v, load8(a + i)); i += 8 }
        m = hmax(v)
    }
    while i < n { m = max(m, a[i]); i += 1 }
    return m
}

/// dst[i] = exp(src[i] - shift); returns the sum. dst may equal src.
@inline(__always)
func expShifted(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    var acc = F8()
    let s = F8(repeating: shift)
    var i = 0
    while i + 8 <= n {
        let e = exp8(load8(src + i) - s)
        store8(e, dst + i)
        acc += e
        i += 8
    }
    var total = hsum(acc)
    while i < n { let e = expApprox(src[i] - shift); dst[i] = e; total += e; i += 1 }
    return total
}

/// Sum of exp(src[i] - shift), without writing.
@inline(__always)
func sumExpShifted(_ src: UnsafePointer<Float>, _ n: Int, shift: Float) -> Float {
    var acc = F8()
    let s = F8(repeating: shift)
    var i = 0
    while i + 8 <= n { acc += exp8(load8(src + i) - s); i += 8 }
    var total = hsum(acc)
    while i < n { total += expApprox(src[i] - shift); i += 1 }
    return total
}

/// dst[i] = a * dst[i] (scale in place).
@inline(__always)
func scaleInPlace(_ dst: UnsafeMutablePointer<Float>, _ n: Int, _ a: Float) {
    let v = F8(repeating: a)
    var i = 0
    while i + 8 <= n { store8(load8(dst + i) * v, dst + i); i += 8 }
    while i < n { dst[i] *= a; i += 1 }
}
