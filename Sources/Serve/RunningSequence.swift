import Core
import Models

/// A sequence in the batch: its cache, the tokens to feed at the next step, and the state that turns sampled
/// tokens into events.
struct RunningSequence {
    let request: SequenceRequest
    let sink: SequenceSink
    let cache: KVCache
    /// Fed to the model at the next step: the whole prompt first, then the last sampled token.
    var pending: [Int32]
    /// The prompt's logprobs are still to be reported (they come from the first step's logits).
    var reportsPrompt: Bool
    private var sampler: Sampler
    private var decoder: StreamingDecoder
    private var scanner: StopScanner
    private var generated = 0

    init(_ request: SequenceRequest, sink: SequenceSink, model: any InferenceModel, tokenizer: BPETokenizer) {
        self.request = request
        self.sink = sink
        cache = model.makeCache(capacity: request.cacheTokens)
        pending = request.prompt
        reportsPrompt = request.promptLogprobs
        sampler = Sampler(request.sampling)
        decoder = StreamingDecoder(tokenizer: tokenizer, skipSpecial: true)
        scanner = StopScanner(request.stopStrings)
    }

    /// Reports the prompt tokens' logprobs from the logits after each of them (`rows[i]` follows prompt token i).
    mutating func reportPrompt(rows: UnsafePointer<Float>, vocab: Int) {
        let prompt = request.prompt
        let top = request.logprobs ?? 0
        var out = [TokenLogprob(id: prompt[0], logprob: nil, top: [])]
        for i in 1..<max(prompt.count, 1) {
            out.append(TokenLogprob(id: prompt[i], logits: rows + (i - 1) * vocab, vocab: vocab, top: top))
        }
        sink.send(.prompt(out))
        reportsPrompt = false
    }

    /// Picks the next token from `logits` and reports it; returns false once the sequence has finished.
    mutating func advance(logits: UnsafePointer<Float>, vocab: Int, stopTokens: Set<Int32>) -> Bool {
        guard generated < request.maxTokens else {
            sink.finish(.length, text: scanner.flush())
            return false
        }
        let next = sampler.sample(logits, count: vocab)
        generated += 1
        let logprob = request.logprobs.map { TokenLogprob(id: next, logits: logits, vocab: vocab, top: $0) }
        if stopTokens.contains(next) {
            // Reported with no text, as vLLM and OpenAI do: a scorer reading `echo` logprobs of one generated
            // token (lm-evaluation-harness drops the last entry) must find it even when it ends the sequence.
            let tail = endText().text
            sink.send(.token(GeneratedToken(id: next, text: "", logprob: logprob)))
            sink.finish(.stop, text: tail)
            return false
        }
        let (text, stopped) = scanner.add(decoder.add(next))
        sink.send(.token(GeneratedToken(id: next, text: text, logprob: logprob)))
        if stopped {
            sink.finish(.stop)
            return false
        }
        if generated == request.maxTokens {
            let end = endText()
            sink.finish(end.stopped ? .stop : .length, text: end.text)
            return false
        }
        pending = [next]
        return true
    }

    /// The text still held back when generation ends: bytes of an unfinished character, a possible stop string.
    private mutating func endText() -> (text: String, stopped: Bool) {
        let tail = scanner.add(decoder.finish())
        return tail.stopped ? tail : (tail.text + scanner.flush(), false)
    }
}
