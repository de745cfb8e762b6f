// swift-tools-version: 6.0
import PackageDescription
import Foundation

/// Release builds of x86-64 target `haswell` (x86-64-v3: AVX2, FMA, F16C) whatever machine builds them: without a
/// target CPU, Swift's SIMD types lower to scalar library calls. The GEMM kernels for newer CPUs (AVX-512,
/// AVX512-BF16) are C functions chosen at run time (CGEMM), so one binary runs on every x86-64-v3/v4 machine; on
/// an older CPU it stops with a message (CGEMM's start-up check). arm64 has NEON in its baseline.
/// `REMASK_TARGET_CPU=<cpu>` overrides, `REMASK_TARGET_CPU=none` builds for the portable baseline.
func releaseCPUFlags() -> [String] {
    if let cpu = ProcessInfo.processInfo.environment["REMASK_TARGET_CPU"] { return cpu == "none" ? [] : ["-target-cpu", cpu] }
    #if arch(x86_64)
    return ["-target-cpu", "haswell"]
    #else
    return []
    #endif
}

/// Release builds for haswell check at start-up that the CPU has what the Swift code was compiled for.
let cpuCheck: [CSetting] = releaseCPUFlags().contains("haswell") ? [.define("RG_REQUIRE_AVX2", .when(configuration: .release))] : []

let fast: [SwiftSetting] = [
    .unsafeFlags(releaseCPUFlags(), .when(configuration: .release)),
]

let package = Package(
    name: "remask",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "remask", targets: ["remask"]),
        .library(name: "Core", targets: ["Core"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "ReMask", targets: ["ReMask"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Study", targets: ["Study"]),
        .library(name: "MessagePassing", targets: ["MessagePassing"]),
        .library(name: "NPM", targets: ["NPM"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Config files: YAML with nested keys and line numbers in errors.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // `remask serve`: the OpenAI-compatible HTTP server.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // Already under Hummingbird; named for graceful shutdown (ServiceGroup) and the server's log level.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // C micro-kernels for quantized dot products (AVX2 chosen at run time; Swift fallbacks in Core).
        .target(name: "CQuant", cSettings: [.unsafeFlags(["-O3"])]),
        // remask's own GEMM kernels (AVX-512, AVX2+FMA, NEON; Float32 and bf16), chosen at run time (Core/CPU/GEMMKernels).
        .target(name: "CGEMM", cSettings: [.unsafeFlags(["-O3"])] + cpuCheck),
        .target(name: "Core", dependencies: ["COpenBLAS", "CQuant", "CGEMM"], swiftSettings: fast),
        .target(name: "NN", dependencies: ["Core"], swiftSettings: fast),
        .target(name: "Models", dependencies: ["Core", "NN"], swiftSettings: fast),
        .target(name: "ReMask", dependencies: ["Core", "NN", "Models", .product(name: "Yams", package: "Yams")], swiftSettings: fast),
        .target(name: "Evaluation", dependencies: ["Core", "Models", "ReMask"], swiftSettings: fast),
        .target(name: "Study", dependencies: ["Core", "NN", "Models", "ReMask", "Evaluation", .product(name: "Yams", package: "Yams")],
                swiftSettings: fast),
        .target(name: "Serve", dependencies: ["Core", "Models", .product(name: "Hummingbird", package: "hummingbird"),
                                              .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                              .product(name: "Logging", package: "swift-log")],
                swiftSettings: fast),
        // Data-parallel training: Open MPI, loaded at run time under mpirun (a plain process never needs it).
        .target(name: "MessagePassing", dependencies: ["Core"], swiftSettings: fast),
        // NPM, the nonparametric masked language model: span masking, the contrastive loss, a phrase index.
        .target(name: "NPM", dependencies: ["Core", "NN", "Models", "ReMask"], swiftSettings: fast),
        .target(name: "Bench", dependencies: ["Core", "NN", "Models", "ReMask", "COpenBLAS"], swiftSettings: fast),
        .executableTarget(name: "remask", dependencies: [
            "Core", "NN", "Models", "ReMask", "Evaluation", "Study", "Bench", "Serve", "MessagePassing", "NPM",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),
        // Fuzzing of every parser of user input (scripts/fuzz.sh): libFuzzer with -DLIBFUZZER, else a seeded mutation harness.
        .executableTarget(name: "remask-fuzz", dependencies: ["Core", "NN", "Models", "ReMask", "Evaluation", "Study", "Bench", "NPM"]),
        // Helpers every test target shares: scratch folders, fixtures, and one way to run a subprocess.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "CoreTests", dependencies: ["Core", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["TestSupport", "Core", "NN", "Models", "Bench"]),
        .testTarget(name: "ModelsTests", dependencies: ["TestSupport", "Core", "NN", "Models"]),
        .testTarget(name: "ReMaskTests", dependencies: ["TestSupport", "Core", "NN", "Models", "ReMask"]),
        .testTarget(name: "NPMTests", dependencies: ["TestSupport", "Core", "NN", "Models", "ReMask", "NPM"]),
        .testTarget(name: "EvaluationTests", dependencies: ["TestSupport", "Core", "Models", "ReMask", "Evaluation"]),
        .testTarget(name: "ServeTests", dependencies: ["TestSupport", "Core", "Models", "Serve",
                                                       .product(name: "Hummingbird", package: "hummingbird")]),
        .testTarget(name: "StudyTests", dependencies: ["TestSupport", "Core", "Models", "ReMask", "Evaluation", "Study", .product(name: "Yams", package: "Yams")]),
    ]
)
