package import CProtobufC

/// Copies values out of a C message unpacked by protobuf-c.
///
/// Lifetime: the pointers passed in belong to the unpacked message, which `init(serializedBytes:)` frees with
/// `…__free_unpacked` right after lifting; nothing here keeps them.
package enum ProtoLift {
    /// A `string` field. protobuf-c does not check UTF-8; this does, as other gRPC runtimes do.
    package static func string(_ pointer: UnsafePointer<CChar>?, field: StaticString) throws -> String {
        guard let pointer else { return "" }
        guard let string = String(validatingCString: pointer) else {
            throw ProtoError(code: .invalidUTF8, message: "\(field) is not valid UTF-8")
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
        return try UnsafeBufferPointer(start: pointer, count: count).map { element in
            guard let element else { return M() }
            return try M(lifting: element)
        }
    }
}
