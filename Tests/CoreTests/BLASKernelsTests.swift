import XCTest
@testable import Core

final class BLASKernelsTests: XCTestCase {
    func testCoreTypeFollowsTheWidestVectorUnits() {
        let avx2: Set<String> = ["sse2", "avx", "avx2", "fma", "f16c"]
        let avx512 = avx2.union(["avx512f", "avx512bw", "avx512dq", "avx512vl"])
        XCTAssertEqual(BLASKernels.coreType(cpuFlags: avx512.union(["avx512_bf16"])), "Cooperlake")
        XCTAssertEqual(BLASKernels.coreType(cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASKernels.coreType(cpuFlags: avx2), "Haswell")
        // AVX-512 foundation alone (Knights Landing) lacks the BW/DQ/VL subsets SkylakeX kernels use.
        XCTAssertEqual(BLASKernels.coreType(cpuFlags: avx2.union(["avx512f"])), "Haswell")
        XCTAssertNil(BLASKernels.coreType(cpuFlags: ["sse2", "sse3", "avx"]))
        XCTAssertNil(BLASKernels.coreType(cpuFlags: []))
    }

    func testTheLoadedKernelsHaveAName() {
        XCTAssertFalse(BLASKernels.core.isEmpty)
        XCTAssertNotEqual(BLASKernels.core, "unknown")
    }

    #if os(Linux) && arch(x86_64)
    func testHostFlagsComeFromProcCPUInfo() {
        XCTAssertTrue(BLASKernels.hostCPUFlags().contains("sse2"), "every x86-64 CPU lists sse2")
    }
    #endif
}
