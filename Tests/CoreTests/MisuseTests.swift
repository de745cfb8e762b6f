import XCTest
import Foundation
import Core
import TestSupport

/// API misuse stops with a message naming the op and the shapes. Each case runs in a child process (this
/// test binary re-run with one case selected), because the check ends the process by design.
final class MisuseTests: XCTestCase {
    static let cases: [String: (String, @Sendable () -> Void)] = [
        "matmul": ("matmul: inner dimensions differ: [2, 3] × [4, 5]", {
            _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5])) }),
        "linear": ("linear: input [2, 3] does not match weight [4, 5]", {
            _ = Tensor.zeros([2, 3]).linear(Tensor.zeros([4, 5])) }),
        "add": ("add: shapes [2, 3] and [2] do not broadcast", {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([2]) }),
        "reshape": ("reshape: shape [2, 3] (6 elements) cannot become [4, 2]", {
            _ = Tensor.zeros([2, 3]).reshaped([4, 2]) }),
        "attention": ("attention: qkv shape [4, 10] does not match", {
            _ = Tensor.zeros([4, 10]).causalSelfAttention(AttentionShape(batch: 2, length: 2, heads: 2, kvHeads: 1, headDim: 4)) }),
        "crossEntropy": ("crossEntropy: 3 labels for 2 rows of logits [2, 5]", {
            _ = Tensor.zeros([2, 5]).crossEntropy(labels: [0, 1, 2]) }),
        "embedding": ("embedding: token id 7 outside the table's 4 rows", {
            _ = Tensor.embedding(Tensor.zeros([4, 2]), ids: [1, 7]) }),
        "rmsNorm": ("rmsNorm: input [2, 3] does not match weight [4]", {
            _ = Tensor.zeros([2, 3]).rmsNorm(weight: Tensor.zeros([4]), eps: 1e-5) }),
    ]

    func testMisuseStopsWithAClearMessage() throws {
        if let name = ProcessInfo.processInfo.environment["REMASK_MISUSE_CASE"] {
            Self.cases[name]!.1()
            XCTFail("case \(name) did not stop")
            return
        }
        for (name, (expected, _)) in Self.cases.sorted(by: { $0.key < $1.key }) {
            let r = try Subprocess.run(URL(fileURLWithPath: CommandLine.arguments[0]), ["CoreTests.MisuseTests/testMisuseStopsWithAClearMessage"],
                                       environment: ["REMASK_MISUSE_CASE": name, "SWIFT_BACKTRACE": "enable=no"])
            XCTAssertNotEqual(r.status, 0, "\(name): the process should stop")
            XCTAssertTrue(r.stderr.contains("remask: " + expected), "\(name): expected “\(expected)” in:\n\(r.stderr.prefix(600))")
        }
    }
}
