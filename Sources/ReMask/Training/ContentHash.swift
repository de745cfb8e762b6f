import Foundation
import Core

/// A 64-bit FNV-1a hash of a file's bytes, as 16 hex digits: cheap enough to take of every checkpoint and
/// every input of a run, and enough to notice a changed file (it is not a defence against tampering).
public enum ContentHash {
    public static func of(file path: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw FileError(path: path, "cannot read the file to hash it: \(error.localizedDescription)")
        }
        return of(data)
    }

    public static func of(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            for byte in bytes {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The hash of a model: a GGUF file's bytes, or a folder's top-level weights, config and tokenizer files
    /// (`*.safetensors`, `*.json`, `*.gguf`) in name order.
    public static func of(model path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            return try of(file: path)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            .filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".json") || $0.hasSuffix(".gguf") }
        let parts = try names.map { "\($0)=\(try of(file: (path as NSString).appendingPathComponent($0)))" }
        return of(Data(parts.joined(separator: "\n").utf8))
    }
}
