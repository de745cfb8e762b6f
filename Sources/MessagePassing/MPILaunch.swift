import Foundation
import Core

/// How this process was started: alone, or as one rank of an `mpirun` job (read from the launcher's environment).
public enum MPILaunch {
    /// The launch as the environment describes it: nil for a plain process.
    public struct Environment: Equatable, Sendable {
        /// Ranks in the job and ranks on this host.
        public var size: Int, localSize: Int
        public var rank: Int
    }

    /// The Open MPI job this process belongs to, nil when it was not started by `mpirun`; throws for another
    /// MPI's launcher, which remask does not support.
    public static func environment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Environment? {
        if let size = env["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init), let rank = env["OMPI_COMM_WORLD_RANK"].flatMap(Int.init) {
            return Environment(size: size, localSize: env["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? size, rank: rank)
        }
        if env["PMI_RANK"] != nil || env["PMI_SIZE"] != nil || env["MPI_LOCALNRANKS"] != nil {
            throw ProcessGroupError("started by an MPI launcher other than Open MPI's mpirun (PMI_RANK/PMI_SIZE is set, as MPICH's and Intel MPI's do); "
                                    + "remask runs distributed under Open MPI only (Debian: openmpi-bin)")
        }
        return nil
    }

    /// The process group to train with: MPI's world under `mpirun`, else this process alone. Throws when the
    /// launch is MPI's but Open MPI cannot be loaded or started.
    public static func processGroup() throws -> any ProcessGroup {
        guard let launch = try environment() else { return SingleProcess() }
        BufferPool.processesOnThisMachine.store(launch.localSize, ordering: .relaxed)
        return try MPIProcessGroup(library: OpenMPILibrary())
    }

    /// Whether Open MPI's library loads, for `remask info`: its version and how to use it, or why not.
    public static var libraryStatus: String {
        do {
            return "\(try OpenMPILibrary().versionString) (\(OpenMPILibrary.path)): mpirun -np N remask train … trains data-parallel"
        } catch {
            return "not available (\(OpenMPILibrary.path) does not load; bash scripts/setup.sh installs Open MPI); one process only"
        }
    }

    /// Refuses a command that does not run distributed when this process is one of several ranks.
    public static func requireSingleProcess(_ command: String) throws {
        guard let launch = try environment(), launch.size > 1 else { return }
        throw ProcessGroupError("\(command) does not run distributed, and this is rank \(launch.rank) of \(launch.size) ranks started by mpirun; "
                                + "run it as one process (only remask train and remask study use MPI)")
    }
}
