/// Stops with `message` when `condition` is false, in debug and release builds alike.
///
/// Swift's `precondition` drops its message in optimized builds; misuse of the tensor API (shape mismatches,
/// wrong ranks) must always say which op failed and with which shapes, so every check goes through here.
@inline(__always)
public func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                  file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("remask: " + message(), file: file, line: line) }
}
