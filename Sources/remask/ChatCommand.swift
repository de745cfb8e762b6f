import ArgumentParser
import Foundation
import Models

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a model in its own chat template.",
        discussion: "Type a message and press Enter. /reset starts over, /quit (or end of input) leaves.")

    @OptionGroup var options: ModelOptions
    @OptionGroup var inference: InferenceOptions
    @OptionGroup var flags: SamplingFlags
    @Option(help: "A system message to start the conversation with.") var system: String?

    func run() throws {
        let lm = try options.loadRunnable(inference)
        let tokenizer = try lm.requireTokenizer()
        let generator = Generator(model: lm.engine, stopTokens: ChatSession.stopTokens(tokenizer), decode: { tokenizer.decode($0) })
        let start: [ChatMessage] = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
        var messages = start
        var turn: UInt64 = 0
        Log.info("chat with \((lm.path as NSString).lastPathComponent): /reset to start over, /quit to leave")
        while true {
            FileHandle.standardError.write(Data("> ".utf8))
            guard let line = readLine() else { break }
            let input = line.trimmingCharacters(in: .whitespaces)
            if input.isEmpty { continue }
            if input == "/quit" { break }
            if input == "/reset" { messages = start; Log.info("(conversation cleared)"); continue }
            messages.append(ChatMessage(role: "user", content: input))
            let ids = tokenizer.encode(try ChatSession.render(lm, messages), addSpecial: true)
            var streamer = StreamingDecoder(tokenizer: tokenizer, skipSpecial: true)
            var sampling = flags.sampling
            sampling.seed &+= turn
            turn += 1
            let out = generator.generate([ids], maxTokens: flags.maxTokens, sampling: sampling, stopStrings: flags.stops) { _, t in
                FileHandle.standardOutput.write(Data(streamer.add(t).utf8))
            }[0]
            FileHandle.standardOutput.write(Data((streamer.finish() + "\n").utf8))
            messages.append(ChatMessage(role: "assistant", content: tokenizer.decode(out.tokens, skipSpecial: true)))
        }
    }
}
