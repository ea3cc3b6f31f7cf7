package import Contracts

/// A message type that can build random instances of itself (generated for every message; see
/// `Generated/`).
package protocol Arbitrary: ProtoMessage {
    static func arbitrary(using g: inout ArbitraryGenerator, depth: Int) -> Self
}

extension Arbitrary {
    /// A random message; the same seed gives the same message.
    package static func arbitrary(seed: UInt64) -> Self {
        var generator = ArbitraryGenerator(seed: seed)
        return arbitrary(using: &generator, depth: 0)
    }
}
