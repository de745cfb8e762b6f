import XCTest
import Core
import NN
import Models

/// LoRA on tiny decoders: unchanged outputs at start, gradients against central differences, a frozen base,
/// dropout modes, merging, and a short training run.
final class LoRATests: XCTestCase {
    static let llama = DecoderConfig.llama(vocabSize: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24,
                                           tiedEmbeddings: true)
    static let stableLM = DecoderConfig.stableLM(vocabSize: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 4, intermediate: 24,
                                                 partialRotaryFactor: 0.5, qkvBias: true, qkLayerNorm: true,
                                                 parallelResidual: true)

    struct Batch {
        let tokens: [Int32], labels: [Int32]
        let batch = 2, length = 5

        init(vocab: Int, seed: UInt64) {
            var rng = SeededRandom(seed: seed)
            tokens = (0..<10).map { _ in Int32(rng.nextInt(below: vocab)) }
            labels = (0..<10).map { _ in Int32(rng.nextInt(below: vocab)) }
        }

        func logits(_ m: CausalLM) -> [Float] { Autograd.withNoGrad { m.logits(tokens, batch: batch, length: length) }.values }
        func loss(_ m: CausalLM) -> Tensor { m.loss(tokens, labels: labels, batch: batch, length: length) }
    }

    /// Adds N(0, std²) noise to every value of `store` (B leaves zero, so adapters start to matter).
    static func perturb(_ store: ParameterStore, std: Float, seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for i in 0..<store.count { store.valuePointer[i] += std * rng.nextNormal() }
    }

    func testZeroBLeavesLogitsExactlyUnchanged() {
        for config in [Self.llama, Self.stableLM] {
            let model = CausalLM(config: config, seed: 1)
            let batch = Batch(vocab: config.vocabSize, seed: 2)
            let before = batch.logits(model)
            let adapters = model.attachLoRA(LoRAConfig())
            XCTAssertEqual(adapters.adapters.count, 7 * config.layers)
            XCTAssertEqual(batch.logits(model), before)
        }
    }

    /// The parameter names and shapes PEFT uses for Llama.
    func testAdapterNamesAndShapes() {
        let model = CausalLM(config: Self.llama)
        let adapters = model.attachLoRA(LoRAConfig(rank: 3, targets: [.k, .down]))
        XCTAssertEqual(adapters.parameters.parameters.map(\.name), [
            "base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight",
            "base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight",
            "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight",
            "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight",
            "base_model.model.model.layers.1.self_attn.k_proj.lora_A.weight",
            "base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight",
            "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight",
            "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight",
        ])
        XCTAssertEqual(adapters.parameters.parameters.map(\.shape), [[3, 16], [8, 3], [3, 24], [16, 3],
                                                                     [3, 16], [8, 3], [3, 24], [16, 3]])
        // A is uniform in ±1/√in, B zero.
        let a = adapters.parameters.parameters[0].tensor.values
        XCTAssertTrue(a.allSatisfy { abs($0) <= 0.25 } && a.contains { abs($0) > 0.1 })
        XCTAssertTrue(adapters.parameters.parameters[1].tensor.values.allSatisfy { $0 == 0 })
    }

    /// Loss gradients w.r.t. every adapter against central differences (tolerance as in ModelGradientTests).
    func checkGradients(_ config: DecoderConfig, _ lora: LoRAConfig, training: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let model = CausalLM(config: config, seed: 3)
        Self.perturb(model.parameters, std: 0.3, seed: 4)
        let adapters = model.attachLoRA(lora)
        Self.perturb(adapters.parameters, std: 0.3, seed: 5)
        adapters.isTraining = training
        adapters.dropoutStep = 7
        let batch = Batch(vocab: config.vocabSize, seed: 6)
        batch.loss(model).backward()
        let store = adapters.parameters, p = store.valuePointer
        let grads = Array(UnsafeBufferPointer(start: store.gradPointer, count: store.count))
        func loss() -> Double { Double(Autograd.withNoGrad { batch.loss(model).item }) }
        var rng = SeededRandom(seed: 8)
        for param in store.parameters {
            for _ in 0..<2 {
                let i = param.offset + rng.nextInt(below: param.count)
                let saved = p[i]
                p[i] = saved + 1e-2; let up = loss()
                p[i] = saved - 1e-2; let down = loss()
                p[i] = saved
                let numeric = Float((up - down) / 2e-2)
                XCTAssertEqual(grads[i], numeric, accuracy: 1e-3 + 3e-2 * abs(numeric), "\(param.name)", file: file, line: line)
            }
        }
    }

    func testLlamaAdapterGradientsOnAllTargets() {
        checkGradients(Self.llama, LoRAConfig(rank: 2, alpha: 3, dropout: 0), training: false)
    }

    /// Dropout on: a fixed step gives a fixed mask, so the loss is still a deterministic function.
    func testLlamaAdapterGradientsWithDropout() {
        checkGradients(Self.llama, LoRAConfig(rank: 2, alpha: 3, dropout: 0.3), training: true)
    }

    /// Some projections of the fused q|k|v and gate|up groups without adapters; q/k bias, q/k norm, parallel residual.
    func testStableLMAdapterGradientsOnSomeTargets() {
        checkGradients(Self.stableLM, LoRAConfig(rank: 2, alpha: 3, dropout: 0, targets: [.q, .v, .o, .up]), training: false)
    }

    static let untiedLlama = DecoderConfig.llama(vocabSize: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24,
                                                 tiedEmbeddings: false)

    /// Tokens of the gradient batch (so their embedding rows get gradients) and one that is not in it.
    static func trainableTokens() -> [Int] {
        let seen = Batch(vocab: 23, seed: 6).tokens.map(Int.init)
        return Array(Set(seen.prefix(3))).sorted() + [Set(0..<23).subtracting(seen).min()!]
    }

    /// Trainable token rows against central differences: one row shared by the tied embedding and output, or
    /// separate rows in each table of an untied model.
    func testTrainableTokenRowGradients() {
        let tokens = Self.trainableTokens()
        checkGradients(Self.llama, LoRAConfig(rank: 2, alpha: 3, dropout: 0, targets: [.q, .down],
                                              trainableTokens: TrainableTokenIndices(tokens)), training: false)
        checkGradients(Self.untiedLlama, LoRAConfig(rank: 2, alpha: 3, dropout: 0, targets: [.v],
                                                    trainableTokens: TrainableTokenIndices(embedding: tokens, output: [tokens[1], 9, 0])),
                       training: false)
    }

    /// Token rows are named as PEFT names them and start as the base rows (the same outputs, but for the
    /// rounding of the replaced logit columns' own GEMM); the tables stay
    /// frozen; merging writes the rows into the tables and changes no other row.
    func testTrainableTokenRowsNamesFrozenTablesAndMerge() {
        let tokens = Self.trainableTokens()
        for config in [Self.llama, Self.untiedLlama] {
            let model = CausalLM(config: config, seed: 1)
            let batch = Batch(vocab: 23, seed: 6)
            let before = batch.logits(model)
            let tables = config.tiedEmbeddings ? ["model.embed_tokens.weight"] : ["model.embed_tokens.weight", "lm_head.weight"]
            let original = tables.map { model.parameters[$0]!.tensor.values }
            let adapters = model.attachLoRA(LoRAConfig(rank: 2, targets: [.o], trainableTokens: TrainableTokenIndices(tokens)))
            XCTAssertEqual(adapters.parameters.parameters.suffix(tables.count).map(\.name), tables.map {
                "base_model.model.\($0.dropLast(".weight".count)).token_adapter.trainable_tokens_delta"
            })
            XCTAssertEqual(adapters.config.trainableTokens.output, config.tiedEmbeddings ? [] : tokens)
            for (a, b) in zip(batch.logits(model), before) { XCTAssertEqual(a, b, accuracy: 1e-6) }
            Self.perturb(adapters.parameters, std: 0.3, seed: 2)
            batch.loss(model).backward()
            XCTAssertNil(model.parameters.grads)
            for rows in adapters.tokenRows!.distinct {
                XCTAssertTrue(rows.values.tensor.grad!.values.contains { $0 != 0 }, rows.values.name)
            }
            let adapted = batch.logits(model)
            adapters.merge()
            for (a, m) in zip(adapted, batch.logits(model)) { XCTAssertEqual(a, m, accuracy: 1e-5) }
            let width = config.hidden
            for (name, old) in zip(tables, original) {
                let new = model.parameters[name]!.tensor.values
                for row in 0..<config.vocabSize {
                    let range = row * width..<(row + 1) * width
                    if tokens.contains(row) {
                        XCTAssertNotEqual(Array(new[range]), Array(old[range]), "\(name) row \(row)")
                    } else {
                        XCTAssertEqual(Array(new[range]), Array(old[range]), "\(name) row \(row)")
                    }
                }
            }
        }
    }

    func testFrozenBaseGetsNoGradientsWhileInputsDo() {
        let model = CausalLM(config: Self.llama, seed: 1)
        XCTAssertTrue(model.parameters.isTrainable)
        let adapters = model.attachLoRA(LoRAConfig(rank: 2))
        Self.perturb(adapters.parameters, std: 0.3, seed: 2)
        Batch(vocab: 23, seed: 3).loss(model).backward()
        // The base has no gradient buffer and no parameter tracks gradients, so no linear backward has a dW
        // to compute: only dX flows through the frozen projections.
        XCTAssertFalse(model.parameters.isTrainable)
        XCTAssertNil(model.parameters.grads)
        for p in model.parameters.parameters {
            XCTAssertFalse(p.tensor.requiresGrad, p.name)
            XCTAssertNil(p.tensor.grad, p.name)
        }
        // Layer 0's first adapter is reached only through every later (frozen) layer.
        let first = adapters.parameters.parameters[0].tensor.grad!.values
        XCTAssertTrue(first.contains { $0 != 0 })
        // Merging gives the base back its trainability, with a zeroed gradient buffer.
        adapters.merge()
        XCTAssertTrue(model.parameters.isTrainable)
        XCTAssertEqual(model.parameters.gradNorm(), 0)
        Batch(vocab: 23, seed: 3).loss(model).backward()
        XCTAssertGreaterThan(model.parameters.gradNorm(), 0)
    }

    func testMergeMatchesAdaptedLogits() {
        for config in [Self.llama, Self.stableLM] {
            let model = CausalLM(config: config, seed: 1)
            let adapters = model.attachLoRA(LoRAConfig(rank: 4, alpha: 8, dropout: 0.1))
            Self.perturb(adapters.parameters, std: 0.3, seed: 2)
            let batch = Batch(vocab: config.vocabSize, seed: 3)
            let adapted = batch.logits(model)
            adapters.merge()
            XCTAssertFalse(model.hasLoRA)
            XCTAssertFalse(adapters.isAttached)
            let merged = batch.logits(model)
            let base = batch.logits(CausalLM(config: config, seed: 1))
            XCTAssertGreaterThan(zip(adapted, base).map { abs($0 - $1) }.max()!, 1e-2, "the adapters should change the outputs")
            for (a, m) in zip(adapted, merged) { XCTAssertEqual(a, m, accuracy: 1e-5) }
        }
    }

    /// Cached generation (`extend`) sees the adapters too, and the trainable token rows.
    func testCachedInferenceUsesAdapters() {
        let model = CausalLM(config: Self.llama, seed: 1)
        let adapters = model.attachLoRA(LoRAConfig(rank: 2, trainableTokens: TrainableTokenIndices([1, 5, 7])))
        Self.perturb(adapters.parameters, std: 0.3, seed: 2)
        let tokens: [Int32] = [3, 1, 4, 1, 5]
        let full = Autograd.withNoGrad { model.logits(tokens, batch: 1, length: 5) }.values.suffix(23)
        let cached = model.extend([tokens], caches: [model.makeCache(capacity: 8)]).values
        for (a, b) in zip(full, cached) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testDropoutOnlyInTrainingAndFixedPerStep() {
        let model = CausalLM(config: Self.llama, seed: 1)
        let adapters = model.attachLoRA(LoRAConfig(rank: 2, dropout: 0.5))
        Self.perturb(adapters.parameters, std: 0.3, seed: 2)
        let batch = Batch(vocab: 23, seed: 3)
        let eval = batch.logits(model)
        adapters.isTraining = true
        adapters.dropoutStep = 1
        let step1 = batch.logits(model)
        XCTAssertEqual(batch.logits(model), step1)
        XCTAssertNotEqual(step1, eval)
        adapters.dropoutStep = 2
        XCTAssertNotEqual(batch.logits(model), step1)
        adapters.isTraining = false
        XCTAssertEqual(batch.logits(model), eval)
    }

    /// AdamW on the adapters alone fits a fixed batch; the base weights do not move.
    func testTrainingAdaptersLowersLoss() {
        let config = DecoderConfig.llama(vocabSize: 32, hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48)
        let model = CausalLM(config: config, seed: 1)
        // Larger base weights than the default init, so the logits have room to move.
        Self.perturb(model.parameters, std: 0.3, seed: 4)
        let base = Array(UnsafeBufferPointer(start: model.parameters.valuePointer, count: model.parameters.count))
        let adapters = model.attachLoRA(LoRAConfig(rank: 4, alpha: 8, dropout: 0.05, seed: 2))
        let optimizer = AdamW(adapters.parameters, learningRate: 2e-2, weightDecay: 0)
        adapters.isTraining = true
        let batch = Batch(vocab: 32, seed: 3)
        var losses: [Float] = []
        for step in 0..<30 {
            adapters.dropoutStep = UInt64(step)
            let loss = batch.loss(model)
            losses.append(loss.item)
            loss.backward()
            optimizer.update()
            adapters.parameters.zeroGrad()
        }
        XCTAssertLessThan(losses.last!, 0.7 * losses.first!, "losses: \(losses)")
        XCTAssertEqual(Array(UnsafeBufferPointer(start: model.parameters.valuePointer, count: model.parameters.count)), base)
    }
}
