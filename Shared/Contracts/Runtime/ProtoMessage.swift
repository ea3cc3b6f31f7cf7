package import CProtobufC

/// A Swift value type generated from a `.proto` message, encoded and decoded through protobuf-c.
///
/// ```swift
/// let card = CommonV1.CompanyCard.with { $0.inn = "7707083893" }
/// let bytes = try card.serializedBytes()
/// let back = try CommonV1.CompanyCard(serializedBytes: bytes)
/// ```
///
/// Decoding unpacks with protobuf-c into an `UnpackArena`, then lifts the C tree into Swift values.
/// The requirements below are implemented by generated code only; everything else uses `serializedBytes()`
/// and `init(serializedBytes:)`.
package protocol ProtoMessage: Sendable, Hashable {
    /// The protobuf-c struct of this message.
    associatedtype CMessage
    /// Fully qualified proto name, e.g. `clientanalyze.common.v1.Report`.
    static var protoName: String { get }
    /// A message with every field at its default.
    init()
    /// Runs the generated `…__init` on uninitialised memory: sets the descriptor and every default.
    static func cInit(_ message: UnsafeMutablePointer<CMessage>)
    /// Fills an initialised C message from `self`; every pointer it stores is owned by `arena`.
    func lower(into message: UnsafeMutablePointer<CMessage>, arena: inout ProtoArena) throws
    /// Copies a C message (as unpacked by protobuf-c) into a Swift value, validating strings.
    init(lifting message: UnsafePointer<CMessage>) throws
}

extension ProtoMessage {
    /// Builds a message by mutating a default one.
    package static func with(_ populate: (inout Self) throws -> Void) rethrows -> Self {
        var message = Self()
        try populate(&message)
        return message
    }

    /// The protobuf wire encoding of the message.
    package func serializedBytes() throws -> [UInt8] {
        var arena = ProtoArena()
        let message = arena.allocate(CMessage.self, count: 1)
        Self.cInit(message)
        try lower(into: message, arena: &arena)
        let base = UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(base)
        guard size <= Int(Int32.max) else {
            throw ProtoError(code: .tooLarge, message: "\(Self.protoName) would encode to \(size) bytes")
        }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            guard let pointer = buffer.baseAddress else {
                count = 0
                return
            }
            count = protobuf_c_message_pack(base, pointer)
        }
    }

    /// Decodes the protobuf wire encoding of the message.
    package init(serializedBytes bytes: some Collection<UInt8>) throws {
        let decoded = try bytes.withContiguousStorageIfAvailable { try Self(unpacking: $0) }
        if let decoded {
            self = decoded
        } else {
            self = try Array(bytes).withUnsafeBufferPointer { try Self(unpacking: $0) }
        }
    }

    private init(unpacking buffer: UnsafeBufferPointer<UInt8>) throws {
        // protobuf-c wants a pointer even for zero bytes, which it then does not read.
        let empty: StaticString = ""
        let data = buffer.baseAddress ?? empty.utf8Start
        let arena = UnpackArena(expectedBytes: buffer.count)
        guard let unpacked = arena.unpack(Self.cDescriptor, buffer.count, data) else {
            throw ProtoError(code: .malformed, message: "\(Self.protoName): \(buffer.count) bytes are not a valid encoding")
        }
        // No `free_unpacked`: every allocation belongs to the arena, which releases them all on return.
        try self.init(lifting: UnsafeRawPointer(unpacked).assumingMemoryBound(to: CMessage.self))
    }

    /// The protobuf-c descriptor of the message, read from an initialised instance: `…__init` stores the
    /// address of the generated global descriptor, which lives as long as the process. `ProtoJSON` reads it to
    /// learn the message's fields.
    package static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> {
        let probe = UnsafeMutablePointer<CMessage>.allocate(capacity: 1)
        defer { probe.deallocate() }
        cInit(probe)
        return UnsafeRawPointer(probe).assumingMemoryBound(to: ProtobufCMessage.self).pointee.descriptor
    }
}
