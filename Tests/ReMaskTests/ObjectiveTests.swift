import XCTest
import Core
import NN
import Models
@testable import ReMask

/// The three objectives on a tiny model: gradients against finite differences, ReMask's identities, and
/// prefix sharing against two separate passes.
final class ObjectiveTests: XCTestCase {
    let config = DecoderConfig.llama(vocabSize: 29, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, tiedEmbeddings: true)

    /// Rows laid out like training data: a prompt, then a response with labels; about 40% of the response
    /// tokens masked (a `[mask]` id or a random id); shorter rows padded.
    func makeInput(_ rng: inout SeededRandom, batch: Int = 3, length: Int = 9, maskRate: Double = 0.4) -> ObjectiveInput {
        var tokens = [Int32](), masked = [Int32](), labels = [Int32]()
        for r in 0..<batch {
            let used = length - r, prompt = 2 + r % 2
            let row = (0..<length).map { _ in Int32(rng.nextInt(below: config.vocabSize - 1)) }
            tokens += row
            masked += row.indices.map { i in
                i >= prompt && i < used && Double(rng.nextFloat()) < maskRate ? (rng.nextFloat() < 0.5 ? 28 : Int32(rng.nextInt(below: 28))) : row[i]
            }
            labels += (0..<length).map { i in i + 1 >= prompt && i + 1 < used ? row[i + 1] : Tensor.ignoreIndex }
        }
        return ObjectiveInput(tokens: tokens, maskedTokens: masked, labels: labels, batch: batch, length: length)
    }

    func perturbedModel(_ rng: inout SeededRandom) -> CausalLM {
        let model = CausalLM(config: config, seed: 5)
        let p = model.parameters.valuePointer
        for i in 0..<model.parameters.count { p[i] += 0.3 * rng.nextNormal() }
        return model
    }

    func gradients(_ model: CausalLM, _ f: () -> Tensor) -> [Float] {
        model.parameters.zeroGrad()
        f().backward()
        return Array(UnsafeBufferPointer(start: model.parameters.gradPointer, count: model.parameters.count))
    }

    func testEveryObjectiveGradientMatchesFiniteDifferences() {
        var rng = SeededRandom(seed: 21)
        let model = perturbedModel(&rng)
        let input = makeInput(&rng)
        let settings = [(Objective.sft, ConsistencySettings()), (.maskedThought, .init()), (.remask, .init()),
                        (.remask, .init(weight: 0.8, divergence: .klForward)), (.remask, .init(weight: 0.8, divergence: .klReverse)),
                        (.remask, .init(weight: 50, divergence: .mse)), (.remask, .init(sharePrefix: false))]
        let p = model.parameters.valuePointer
        for (objective, consistency) in settings {
            let grads = gradients(model) { model.loss(objective, input, consistency: consistency).loss }
            func loss() -> Double { Autograd.withNoGrad { model.loss(objective, input, consistency: consistency).value } }
            for param in model.parameters.parameters {
                let i = param.offset + rng.nextInt(below: param.count)
                let saved = p[i]
                p[i] = saved + 1e-2; let up = loss()
                p[i] = saved - 1e-2; let down = loss()
                p[i] = saved
                let numeric = Float((up - down) / 2e-2)
                XCTAssertEqual(grads[i], numeric, accuracy: 1e-3 + 3e-2 * abs(numeric), "\(objective) \(consistency.divergence) \(param.name)")
            }
        }
    }

    func testSharingThePrefixChangesNothing() {
        var rng = SeededRandom(seed: 22)
        let model = perturbedModel(&rng)
        for divergence in Divergence.allCases {
            let input = makeInput(&rng, batch: 4, length: 11)
            let shared = ConsistencySettings(divergence: divergence), stacked = ConsistencySettings(divergence: divergence, sharePrefix: false)
            let a = model.loss(.remask, input, consistency: shared), b = model.loss(.remask, input, consistency: stacked)
            XCTAssertEqual(a.value, b.value, accuracy: 1e-5)
            XCTAssertEqual(a.ceMasked!, b.ceMasked!, accuracy: 1e-5)
            XCTAssertEqual(a.ceFull!, b.ceFull!, accuracy: 1e-5)
            XCTAssertEqual(a.divergence!, b.divergence!, accuracy: 1e-6)
            let ga = gradients(model) { model.loss(.remask, input, consistency: shared).loss }
            let gb = gradients(model) { model.loss(.remask, input, consistency: stacked).loss }
            XCTAssertLessThan(zip(ga, gb).map { abs($0 - $1) }.max()!, 1e-5)
        }
    }

    /// With nothing masked, ReMask is SFT: D = 0, both CEs equal SFT's, and so do the gradients.
    func testWithoutMaskingReMaskEqualsSFT() {
        var rng = SeededRandom(seed: 23)
        let model = perturbedModel(&rng)
        let input = makeInput(&rng, maskRate: 0)
        XCTAssertEqual(input.maskedTokens, input.tokens)
        let sft = model.loss(.sft, input), remask = model.loss(.remask, input)
        XCTAssertEqual(remask.divergence!, 0, accuracy: 1e-9)
        XCTAssertEqual(remask.value, sft.value, accuracy: 1e-5)
        XCTAssertEqual(remask.ceMasked!, sft.value, accuracy: 1e-5)
        let gs = gradients(model) { model.loss(.sft, input).loss }, gr = gradients(model) { model.loss(.remask, input).loss }
        XCTAssertLessThan(zip(gs, gr).map { abs($0 - $1) }.max()!, 1e-5)
    }

    func testDivergenceIsNonNegativeAndMaskedThoughtReadsTheMaskedInput() {
        var rng = SeededRandom(seed: 24)
        let model = perturbedModel(&rng)
        for _ in 0..<5 {
            let input = makeInput(&rng, maskRate: 0.6)
            for divergence in Divergence.allCases {
                let r = model.loss(.remask, input, consistency: .init(divergence: divergence))
                XCTAssertGreaterThan(r.divergence!, 0)
            }
            let mt = model.loss(.maskedThought, input), remask = model.loss(.remask, input)
            XCTAssertEqual(mt.value, remask.ceMasked!, accuracy: 1e-5)
            XCTAssertEqual(model.loss(.sft, input).value, remask.ceFull!, accuracy: 1e-5)
        }
    }
}
