/// The arithmetic of matrix products with many activation rows (prompts, batches): Float32, or bfloat16
/// operands with Float32 sums (about twice as fast where the CPU has AVX512-BF16; SmolLM2's log-probs move by
/// up to 0.2). Products with one activation row (decoding) are not affected.
public enum Precision: String, Sendable, CaseIterable {
    case fp32, bf16
}
