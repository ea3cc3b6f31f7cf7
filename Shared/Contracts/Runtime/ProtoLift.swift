package import CProtobufC

/// Copies values out of a C message unpacked by protobuf-c.
///
/// Lifetime: the pointers passed in belong to the unpacked message, which `init(serializedBytes:)` frees with
/// `…__free_unpacked` right after lifting; nothing here keeps them.
package enum ProtoLift {
    /// A `string` field of a message unpacked into an `UnpackArena`.
    ///
    /// protobuf-c copies a string into an allocation of exactly `length + 1` bytes and does not check UTF-8.
    /// The arena's size header gives the real length, so a U+0000 inside the value is reported rather than
    /// silently cutting the string short, and the bytes are validated as UTF-8, as other gRPC runtimes do.
    /// An absent string is NULL or protobuf-c's static empty string; every string read from the wire comes from
    /// the arena, an empty one included (all our files are proto3: no non-empty defaults). A value of just
    /// U+0000 starts with the terminator too, so absence is told by the pointer, not by the first byte.
    package static func string(_ pointer: UnsafePointer<CChar>?, field: StaticString) throws -> String {
        guard let pointer, cla_protobuf_c_is_default_empty(pointer) == 0 else { return "" }
        // The non-generic initialiser: `String(validating:as:)` is not specialised across modules and spends
        // more time looking up generic metadata than validating.
        guard let string = String(validatingCString: pointer) else {
            throw ProtoError(code: .invalidUTF8, message: "\(field) is not valid UTF-8")
        }
        // The C string stops at the first U+0000; the arena knows how many bytes protobuf-c really copied.
        if string.utf8.count != UnpackArena.allocationSize(of: pointer) - 1 {
            throw ProtoError(code: .embeddedNUL, message: "\(field): contains U+0000 (NUL), which is not allowed in text")
        }
        return string
    }

    /// A `bytes` field.
    package static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let base = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: data.len))
    }

    /// A repeated scalar or enum field.
    package static func array<CElement, Element>(
        _ pointer: UnsafePointer<CElement>?,
        count: Int,
        _ transform: (CElement) -> Element
    ) -> [Element] {
        guard let pointer, count > 0 else { return [] }
        return UnsafeBufferPointer(start: pointer, count: count).map(transform)
    }

    /// A repeated `string` field.
    package static func strings(
        _ pointer: UnsafePointer<UnsafeMutablePointer<CChar>?>?,
        count: Int,
        field: StaticString
    ) throws -> [String] {
        guard let pointer, count > 0 else { return [] }
        return try UnsafeBufferPointer(start: pointer, count: count).map { try string($0, field: field) }
    }

    /// A repeated `bytes` field.
    package static func binaries(_ pointer: UnsafePointer<ProtobufCBinaryData>?, count: Int) -> [[UInt8]] {
        guard let pointer, count > 0 else { return [] }
        return UnsafeBufferPointer(start: pointer, count: count).map(bytes)
    }

    /// A repeated message field.
    package static func messages<M: ProtoMessage>(
        _ pointer: UnsafePointer<UnsafeMutablePointer<M.CMessage>?>?,
        count: Int,
        as type: M.Type = M.self
    ) throws -> [M] {
        guard let pointer, count > 0 else { return [] }
        var messages: [M] = []
        messages.reserveCapacity(count)
        for element in UnsafeBufferPointer(start: pointer, count: count) {
            messages.append(try element.map { try M(lifting: $0) } ?? M())
        }
        return messages
    }
}
