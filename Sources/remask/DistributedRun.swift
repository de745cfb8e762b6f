import ArgumentParser
import Foundation
import Core
import MessagePassing

/// What a command that may run under `mpirun` does with its process group: threads per rank, logging from rank 0
/// only, and ending the job (MPI_Finalize after success, MPI_Abort after an error, so that mpirun stops every
/// rank instead of leaving them waiting).
struct DistributedRun {
    let group: any ProcessGroup

    init(_ group: any ProcessGroup) { self.group = group }

    /// Joins the job (`mpirun`) or runs alone, and sets the threads: `threads`, else the cores shared by the
    /// ranks on this host. A launch that is not usable ends the command with a message naming it.
    static func start(_ command: String, threads: Int?) throws -> DistributedRun {
        let group: any ProcessGroup
        do {
            group = try MPILaunch.processGroup()
        } catch {
            Log.info("\(command): \(error)")
            throw ExitCode.failure
        }
        let run = DistributedRun(group)
        Parallel.threads = threads ?? run.defaultThreads
        return run
    }

    /// Threads when --threads is not given: the host's cores shared by the ranks on it.
    var defaultThreads: Int {
        let local = (try? MPILaunch.environment())??.localSize ?? 1
        return max(1, ProcessInfo.processInfo.activeProcessorCount / max(local, 1))
    }

    /// Rank 0's messages reach the terminal; the other ranks' would repeat them.
    var log: (String) -> Void {
        let leader = group.isLeader
        return { message in if leader { Log.info(message) } }
    }

    /// One line on rank 0 saying how the job runs.
    func announce(_ command: String) {
        guard let mpi = group as? MPIProcessGroup else { return }
        log("\(command): \(group.size) rank\(group.size == 1 ? "" : "s") (\(mpi.library)), \(Parallel.threads) thread\(Parallel.threads == 1 ? "" : "s") each")
    }

    /// Ends MPI on this rank after success.
    func finish() {
        (group as? MPIProcessGroup)?.finish()
    }

    /// Reports `message` (every rank: a failure may be this rank's alone) and ends the job with a failure.
    func fail(_ message: String) -> Never {
        guard let mpi = group as? MPIProcessGroup else {
            Log.info(message)
            Remask.exit(withError: ExitCode.failure)
        }
        Log.info("[rank \(group.rank)] \(message)")
        mpi.abort(1)
    }
}
