import Foundation
import Synchronization
import Core
import Models

/// The one owner of the model. Requests queue up; each step admits waiting sequences (their prompts run in
/// the same model call as the running sequences' next tokens) and advances every running sequence by one
/// token. A finished sequence leaves the batch at once and its place goes to the next waiting one.
///
/// The loop runs for as long as the server does, on a thread of its own (`runOnThread()`): the model's kernels
/// are synchronous and multi-threaded, so they should not hold a thread of the cooperative pool.
public final class BatchRunner: Sendable {
    public struct Limits: Sendable {
        /// Sequences advancing together.
        public var maxBatch: Int
        /// Sequences waiting beyond the batch before requests are refused with 429.
        public var queueCapacity: Int
        /// Prompt tokens admitted per step (the first prompt of a step is admitted whatever its length), so
        /// that a burst of long prompts does not stall the running sequences for long.
        public var prefillTokens: Int
        /// Cache rows (prompt plus `max_tokens`) the running sequences may reserve together; one sequence on
        /// its own always runs.
        public var cacheTokens: Int

        public init(maxBatch: Int = 32, queueCapacity: Int = 256, prefillTokens: Int = 2048, cacheTokens: Int = 131_072) {
            self.maxBatch = max(1, maxBatch)
            self.queueCapacity = max(1, queueCapacity)
            self.prefillTokens = max(1, prefillTokens)
            self.cacheTokens = max(1, cacheTokens)
        }
    }

    public let limits: Limits
    private let model: any InferenceModel
    private let tokenizer: BPETokenizer
    private let stopTokens: Set<Int32>
    private let queue = Mutex(Queue())
    /// Signalled on every submission and on shutdown; the runner waits on it when it has nothing to do.
    private let wake = DispatchSemaphore(value: 0)

    private struct Queue {
        var waiting: [(request: SequenceRequest, sink: SequenceSink)] = []
        var accepting = true
        var stopping = false
    }

    public init(model: any InferenceModel, tokenizer: BPETokenizer, stopTokens: Set<Int32>, limits: Limits = Limits()) {
        self.model = model
        self.tokenizer = tokenizer
        self.stopTokens = stopTokens
        self.limits = limits
    }

    /// Queues `requests` together (all or none) and returns one event stream per request. Throws 429 when the
    /// queue has no room for them, 503 once shutdown has begun.
    public func submit(_ requests: [SequenceRequest]) throws(APIError) -> [AsyncStream<SequenceEvent>] {
        let made = requests.map { ($0, SequenceSink.make()) }
        try queue.withLock { (q) throws(APIError) in
            guard q.accepting else { throw .shuttingDown }
            guard q.waiting.count + requests.count <= limits.queueCapacity else { throw .queueFull(capacity: limits.queueCapacity) }
            q.waiting += made.map { ($0.0, $0.1.0) }
        }
        wake.signal()
        return made.map(\.1.1)
    }

    /// False once shutdown has begun.
    public var isAccepting: Bool { queue.withLock { $0.accepting } }

    /// Refuses new requests from now on (503); queued and running ones go on.
    public func stopAccepting() {
        queue.withLock { $0.accepting = false }
    }

    /// Makes `run()` return once every queued and running sequence has finished.
    public func stop() {
        queue.withLock {
            $0.accepting = false
            $0.stopping = true
        }
        wake.signal()
    }

    /// Runs `run()` on a thread of its own and returns when it does.
    public func runOnThread() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                self.run()
                done.resume()
            }
            thread.name = "remask-batch-runner"
            thread.start()
        }
    }

    /// The scheduling loop; returns after `stop()` once the work is done.
    private func run() {
        var running: [RunningSequence] = []
        var reserved = 0  // cache rows held by `running`
        while true {
            running.removeAll { $0.sink.isAbandoned }
            reserved = running.reduce(0) { $0 + $1.request.cacheTokens }
            guard let admitted = admit(running: running.count, reserved: reserved) else { return }
            for (request, sink) in admitted where !sink.isAbandoned {
                if request.maxTokens == 0 && !request.promptLogprobs {
                    sink.finish(.length)  // nothing to compute
                } else {
                    running.append(RunningSequence(request, sink: sink, model: model, tokenizer: tokenizer))
                }
            }
            if running.isEmpty {
                if admitted.isEmpty { wake.wait() }
                continue
            }
            step(&running)
        }
    }

    /// Takes the waiting sequences that fit in this step, oldest first; nil when stopping with nothing left.
    private func admit(running: Int, reserved: Int) -> [(request: SequenceRequest, sink: SequenceSink)]? {
        queue.withLock { q in
            var taken = 0, prefill = 0, reserve = reserved
            while taken < q.waiting.count && running + taken < limits.maxBatch {
                let next = q.waiting[taken].request
                let alone = running == 0 && taken == 0
                if !alone && (reserve + next.cacheTokens > limits.cacheTokens || prefill + next.prompt.count > limits.prefillTokens) { break }
                taken += 1
                prefill += next.prompt.count
                reserve += next.cacheTokens
            }
            if taken == 0 && running == 0 && q.stopping && q.waiting.isEmpty { return nil }
            defer { q.waiting.removeFirst(taken) }
            return Array(q.waiting[..<taken])
        }
    }

    /// One model call for every running sequence, then one token for each; finished sequences leave.
    private func step(_ running: inout [RunningSequence]) {
        let allRows = running.contains(where: \.reportsPrompt)
        let logits = model.extend(running.map(\.pending), caches: running.map(\.cache), logits: allRows ? .allRows : .lastRow)
        let vocab = model.config.vocabSize
        var row = 0
        var kept: [RunningSequence] = []
        kept.reserveCapacity(running.count)
        for var sequence in running {
            let rows = allRows ? sequence.pending.count : 1
            let first = logits.pointer + row * vocab
            row += rows
            if sequence.reportsPrompt { sequence.reportPrompt(rows: first, vocab: vocab) }
            if sequence.advance(logits: first + (rows - 1) * vocab, vocab: vocab, stopTokens: stopTokens) { kept.append(sequence) }
        }
        running = kept
    }
}
