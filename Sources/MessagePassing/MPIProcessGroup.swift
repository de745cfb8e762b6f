import Foundation
import Core

/// MPI's world as a process group: the ranks `mpirun` started. Made once per process (MPI starts once);
/// `finish()` or `abort(_:)` ends it.
public final class MPIProcessGroup: ProcessGroup, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// "Open MPI v4.1.4", for the log.
    public let library: String
    private let mpi: OpenMPILibrary
    private var seconds = 0.0
    /// Largest element count of one MPI call (its counts are 32-bit); bigger buffers go in pieces.
    private let piece = 1 << 28

    /// Loads Open MPI and starts it (`MPI_Init_thread`, one thread at a time calling MPI).
    init(library mpi: OpenMPILibrary) throws {
        self.mpi = mpi
        Self.keepFreedMemory()
        var provided: Int32 = 0
        let serialized: Int32 = 2  // MPI_THREAD_SERIALIZED
        guard mpi.initThread(nil, nil, serialized, &provided) == 0 else {
            throw ProcessGroupError("MPI_Init_thread failed (see Open MPI's message above)")
        }
        var r: Int32 = 0, n: Int32 = 0
        _ = mpi.commRank(mpi.commWorld, &r)
        _ = mpi.commSize(mpi.commWorld, &n)
        rank = Int(r)
        size = Int(n)
        library = mpi.versionString
    }

    public func sum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        let start = Date()
        reduce(UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count, type: mpi.float, stride: 4)
        seconds += Date().timeIntervalSince(start)
    }

    public func sum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        reduce(UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count, type: mpi.double, stride: 8)
    }

    private func reduce(_ base: UnsafeMutableRawPointer?, count: Int, type: OpaquePointer, stride: Int) {
        guard let base, size > 1 else { return }
        var done = 0
        while done < count {
            let n = min(piece, count - done)
            let inPlace = UnsafeRawPointer(bitPattern: 1)  // MPI_IN_PLACE
            // Errors are fatal by MPI's default handler: Open MPI reports them and ends the job.
            _ = mpi.allreduce(inPlace, base + done * stride, Int32(n), type, mpi.sum, mpi.commWorld)
            done += n
        }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {
        guard let base = buffer.baseAddress, size > 1 else { return }
        var done = 0
        while done < buffer.count {
            let n = min(piece, buffer.count - done)
            _ = mpi.bcast(base + done, Int32(n), mpi.byte, Int32(root), mpi.commWorld)
            done += n
        }
    }

    public var communicationSeconds: Double { seconds }

    /// Keeps freed memory in the process's heap instead of returning it to the kernel. Open MPI's all-reduce
    /// allocates a temporary buffer of about half the gradients on every call, and a step's tensors are large:
    /// given back each time, every new one costs page faults and zeroed pages. Measured on SmolLM2-135M, 2 ranks
    /// of one thread: the gradients' sum went from 1.9 s to 0.24 s a step, the step from 15.5 s to 11 s, peak
    /// memory per rank up by about 5%.
    private static func keepFreedMemory() {
        // glibc's mallopt (malloc.h is not in Swift's Glibc module): M_MMAP_MAX -4, M_TRIM_THRESHOLD -1.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }  // another C library: leave it as it is
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-4, 0)
        _ = mallopt(-1, Int32.max)
    }

    /// Ends MPI after a successful run (every rank calls it).
    public func finish() { _ = mpi.finalize() }

    /// Ends the whole job from this rank, after an error (mpirun stops the other ranks).
    public func abort(_ status: Int32) -> Never {
        _ = mpi.abort(mpi.commWorld, status)
        exit(status)
    }
}
