/// The arithmetic of matrix products: Float32, or bfloat16 operands with Float32 sums (about twice as fast where
/// the CPU has AVX512-BF16).
///
/// - Inference (`--precision` of eval, generate, serve…): products with many activation rows (prompts, batches,
///   attention over a prefix that many sequences share) of a GGUF model; a rounded copy of each weight matrix and
///   of a shared prefix's keys and values is made at first use; SmolLM2's log-probs move by up to 0.2. Products
///   with one activation row (decoding) are not affected.
/// - Training (`remask train --precision`): the linear layers' and attention's forward and backward products
///   (`Tensor.withTrainingPrecision`); weights, gradients and optimizer state stay Float32.
public enum Precision: String, Sendable, CaseIterable {
    case fp32, bf16
}
