#if !LIBFUZZER
import Foundation
import Core
import Bench

/// The fuzzer without libFuzzer (toolchains that lack it, such as macOS's): mutates the seeds with a seeded
/// generator and runs each input through the target, stopping on the first input that takes over a second.
/// A crash stops the process; the input that caused it is left in `<scratch>/current` and named on stderr.
///
///     remask-fuzz <target> [--runs N] [--seed S]     run N mutated inputs (default 100000)
///     remask-fuzz <target> --replay FILE...           run the given inputs (regressions, crashes)
///     remask-fuzz --write-seeds DIR                   write every target's seeds to DIR/<target>/
@main
struct MutationHarness {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--write-seeds", arguments.count == 2 {
            for target in FuzzTarget.allCases {
                let folder = URL(fileURLWithPath: arguments[1]).appendingPathComponent(target.rawValue)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for (i, seed) in try Seeds.of(target).enumerated() { try seed.write(to: folder.appendingPathComponent("seed-\(i)")) }
            }
            return
        }
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            fail("usage: remask-fuzz <\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))> [--runs N] [--seed S] [--replay FILE...]")
        }
        arguments.removeFirst()
        if arguments.first == "--replay" {
            for path in arguments.dropFirst() { try timed(target, Data(contentsOf: URL(fileURLWithPath: path)), label: path) }
            print("\(target.rawValue): replayed \(arguments.count - 1) inputs")
            return
        }
        var runs = 100_000, seed: UInt64 = 1
        while let flag = arguments.first {
            guard arguments.count >= 2 else { fail("\(flag) needs a value") }
            switch flag {
            case "--runs": runs = Int(arguments[1]) ?? runs
            case "--seed": seed = UInt64(arguments[1]) ?? seed
            default: fail("unknown option \(flag)")
            }
            arguments.removeFirst(2)
        }
        let seeds = try Seeds.of(target)
        var random = SeededRandom(seed: seed)
        let start = Date()
        var slowest = 0.0
        for run in 1...max(runs, 1) {
            let input = Mutator.mutate(random.nextElement(of: seeds), others: seeds, text: target.isText, random: &random)
            slowest = max(slowest, try timed(target, input, label: "run \(run)"))
            if run % 20_000 == 0 { log("\(target.rawValue): \(run) runs, \(Int(Double(run) / Date().timeIntervalSince(start))) exec/s") }
        }
        print(String(format: "%@: %d runs in %.1f s (%.0f exec/s), slowest input %.3f s, peak RSS %d MB, no crash",
                     target.rawValue, runs, Date().timeIntervalSince(start), Double(runs) / Date().timeIntervalSince(start), slowest,
                     PeakMemory.bytes() >> 20))
    }

    /// Runs one input (left in the scratch folder first, so a crash can be replayed) and fails past a second.
    @discardableResult
    static func timed(_ target: FuzzTarget, _ input: Data, label: String) throws -> Double {
        let current = Scratch.folder.appendingPathComponent("current")
        try input.write(to: current)
        let clock = Date()
        target.run(input)
        let seconds = Date().timeIntervalSince(clock)
        if seconds > 1 {
            let kept = Scratch.folder.appendingPathComponent("slow-input")
            try input.write(to: kept)
            fail("\(target.rawValue): \(label) took \(String(format: "%.2f", seconds)) s (over 1 s); input kept at \(kept.path)")
        }
        return seconds
    }

    static func log(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }

    static func fail(_ message: String) -> Never {
        log("remask-fuzz: " + message)
        exit(1)
    }
}

extension FuzzTarget {
    /// Whether the target reads text (mutations then also insert syntax tokens).
    var isText: Bool { ![.gguf, .safetensors].contains(self) }
}
#endif
