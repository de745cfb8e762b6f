/// The arithmetic of matrix products with many activation rows (prompts, batches, and attention over a prefix
/// that many sequences share): Float32, or bfloat16 operands with Float32 sums (about twice as fast where the CPU
/// has AVX512-BF16; SmolLM2's log-probs move by up to 0.2). bf16 keeps a rounded copy of each weight matrix and
/// of a shared prefix's keys and values, made at first use. Products with one activation row (decoding) are not
/// affected.
public enum Precision: String, Sendable, CaseIterable {
    case fp32, bf16
}
