import Foundation
import Core

/// Open MPI's C library, loaded when a run starts under `mpirun` rather than linked: a remask binary then starts on
/// machines without MPI, and only a distributed run needs it. The functions and handles used are part of Open
/// MPI's stable ABI (`libmpi.so.40`, Open MPI 3 to 5): a handle such as `MPI_COMM_WORLD` is the address of a
/// global (`ompi_mpi_comm_world`), an `MPI_Comm`, `MPI_Datatype` or `MPI_Op` is a pointer, `MPI_IN_PLACE` is 1.
final class OpenMPILibrary: @unchecked Sendable {
    typealias Handle = OpaquePointer
    typealias InitThread = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?,
                                           Int32, UnsafeMutablePointer<Int32>) -> Int32
    typealias CommInt = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias Allreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer, Int32, Handle, Handle, Handle) -> Int32
    typealias Bcast = @convention(c) (UnsafeMutableRawPointer, Int32, Handle, Int32, Handle) -> Int32
    typealias Abort = @convention(c) (Handle, Int32) -> Int32
    typealias Finalize = @convention(c) () -> Int32
    typealias Version = @convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

    let initThread: InitThread
    let commRank: CommInt, commSize: CommInt
    let allreduce: Allreduce
    let bcast: Bcast
    let abort: Abort
    let finalize: Finalize
    let version: Version
    let commWorld: Handle, float: Handle, double: Handle, byte: Handle, sum: Handle

    /// The library's file: `$REMASK_MPI_LIBRARY`, else Open MPI's soname, found the way the dynamic linker finds it.
    static var path: String { ProcessInfo.processInfo.environment["REMASK_MPI_LIBRARY"] ?? "libmpi.so.40" }

    /// Loads the library; throws, naming the file and the loader's reason, where it cannot.
    init() throws {
        // RTLD_GLOBAL: Open MPI's own plug-ins, loaded later, resolve their symbols against libmpi.
        guard let library = dlopen(Self.path, RTLD_NOW | RTLD_GLOBAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            throw ProcessGroupError("this is an MPI launch, but Open MPI's library \(Self.path) could not be loaded (\(reason)); "
                              + "install Open MPI (Debian: apt-get install openmpi-bin, or bash scripts/setup.sh) or set REMASK_MPI_LIBRARY to its libmpi.so")
        }
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(library, name) else {
                throw ProcessGroupError("\(Self.path) has no symbol \(name): remask needs Open MPI (3.0 or later), not another MPI")
            }
            return p
        }
        func function<F>(_ name: String, _ type: F.Type) throws -> F { unsafeBitCast(try symbol(name), to: type) }
        initThread = try function("MPI_Init_thread", InitThread.self)
        commRank = try function("MPI_Comm_rank", CommInt.self)
        commSize = try function("MPI_Comm_size", CommInt.self)
        allreduce = try function("MPI_Allreduce", Allreduce.self)
        bcast = try function("MPI_Bcast", Bcast.self)
        abort = try function("MPI_Abort", Abort.self)
        finalize = try function("MPI_Finalize", Finalize.self)
        version = try function("MPI_Get_library_version", Version.self)
        commWorld = Handle(try symbol("ompi_mpi_comm_world"))
        float = Handle(try symbol("ompi_mpi_float"))
        double = Handle(try symbol("ompi_mpi_double"))
        byte = Handle(try symbol("ompi_mpi_byte"))
        sum = Handle(try symbol("ompi_mpi_op_sum"))
    }

    /// `MPI_Get_library_version`'s first line, e.g. "Open MPI v4.1.4, package: Debian OpenMPI, …".
    var versionString: String {
        var buffer = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        guard version(&buffer, &length) == 0 else { return "Open MPI" }
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "\n").first.map { $0.split(separator: ",").first.map(String.init) ?? String($0) } ?? "Open MPI"
    }
}
