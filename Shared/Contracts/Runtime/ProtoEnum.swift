/// A Swift enum generated from a `.proto` enum. Values the schema does not know are kept as `unrecognized`
/// so that they survive a decode and re-encode unchanged (proto3 enums are open).
package protocol ProtoEnum: Sendable, Hashable {
    /// The value as the wire carries it.
    var protoNumber: Int32 { get }
    /// The value's name in the `.proto`, e.g. `RISK_LEVEL_LOW`; empty for an unrecognised number.
    var protoName: String { get }
    /// Every value the schema declares, in declaration order.
    static var knownCases: [Self] { get }
    init(protoNumber: Int32)
}

extension ProtoEnum {
    /// The value with this `.proto` name, if the schema declares one.
    package init?(protoName: String) {
        guard let match = Self.knownCases.first(where: { $0.protoName == protoName }) else { return nil }
        self = match
    }
}

// protobuf-c declares its enums as C enums; Swift imports those as structs over UInt32 (no negative values)
// or Int32. These let generated code convert either way without knowing which.

extension RawRepresentable where RawValue == UInt32 {
    package init(protoNumber: Int32) { self.init(rawValue: UInt32(bitPattern: protoNumber))! }
    package var protoNumber: Int32 { Int32(bitPattern: rawValue) }
}

extension RawRepresentable where RawValue == Int32 {
    package init(protoNumber: Int32) { self.init(rawValue: protoNumber)! }
    package var protoNumber: Int32 { rawValue }
}
