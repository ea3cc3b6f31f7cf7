package import CProtobufC
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Memory for one encode: the C message tree that protobuf-c packs from is built in here and released in one
/// go when the arena is destroyed.
///
/// Lifetime: every pointer handed out lives exactly as long as the arena. `serializedBytes()` creates the
/// arena, lowers the message, packs it and drops the arena before returning, so no pointer escapes.
package struct ProtoArena: ~Copyable {
    private static let blockSize = 16 * 1024
    /// Bytes in front of each block: the link to the block before it.
    private static let blockHeaderSize = 16
    /// Blocks form a list through their first word, newest first (no array to grow and release).
    private var lastBlock: UnsafeMutableRawPointer?
    private var cursor = 0
    private var end = 0

    package init() {}

    deinit {
        var block = lastBlock
        while let current = block {
            block = current.load(as: UnsafeMutableRawPointer?.self)
            current.deallocate()
        }
    }

    /// Uninitialised, suitably aligned memory for `count` values of `T`.
    package mutating func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let byteCount = MemoryLayout<T>.stride * max(count, 1)
        return allocateRaw(byteCount: byteCount, alignment: MemoryLayout<T>.alignment).bindMemory(to: T.self, capacity: max(count, 1))
    }

    private mutating func allocateRaw(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let aligned = (cursor + alignment - 1) & ~(alignment - 1)
        if aligned + byteCount <= end {
            cursor = aligned + byteCount
            return UnsafeMutableRawPointer(bitPattern: aligned)!
        }
        // Large values get a block of their own so the current block keeps serving small ones.
        let large = byteCount > Self.blockSize / 4
        let block = UnsafeMutableRawPointer.allocate(
            byteCount: Self.blockHeaderSize + (large ? byteCount : Self.blockSize), alignment: max(alignment, 16))
        block.storeBytes(of: lastBlock, as: UnsafeMutableRawPointer?.self)
        lastBlock = block
        let start = block + Self.blockHeaderSize
        if !large {
            cursor = Int(bitPattern: start) + byteCount
            end = Int(bitPattern: start) + Self.blockSize
        }
        return start
    }

    /// A NUL-terminated copy of `string` for a `char *` field.
    ///
    /// protobuf-c measures strings with `strlen`, so a U+0000 inside would silently cut the value short:
    /// that is refused with `ProtoError.embeddedNUL` naming `field`.
    package mutating func cString(_ string: String, field: StaticString) throws -> UnsafeMutablePointer<CChar> {
        // Native strings are contiguous UTF-8: borrow it rather than copying the string to call `withUTF8`.
        if let copied = try string.utf8.withContiguousStorageIfAvailable({ try cString(utf8: $0, field: field) }) {
            return copied
        }
        var contiguous = string
        return try contiguous.withUTF8 { try cString(utf8: $0, field: field) }
    }

    private mutating func cString(utf8: UnsafeBufferPointer<UInt8>, field: StaticString) throws -> UnsafeMutablePointer<CChar> {
        let storage = allocate(CChar.self, count: utf8.count + 1)
        if let base = utf8.baseAddress {
            // memchr is vectorised; protobuf-c would stop at a U+0000 and silently drop the rest.
            if memchr(base, 0, utf8.count) != nil {
                throw ProtoError(code: .embeddedNUL, message: "\(field): contains U+0000 (NUL), which protobuf-c cannot encode")
            }
            UnsafeMutableRawPointer(storage).copyMemory(from: base, byteCount: utf8.count)
        }
        (storage + utf8.count).initialize(to: 0)
        return storage
    }

    /// A copy of `bytes` for a `bytes` field.
    package mutating func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let storage = allocate(UInt8.self, count: bytes.count)
        bytes.withUnsafeBufferPointer { storage.initialize(from: $0.baseAddress!, count: bytes.count) }
        return ProtobufCBinaryData(len: bytes.count, data: storage)
    }

    /// A C array of scalars or enum values.
    package mutating func array<Element, CElement>(
        _ values: [Element],
        _ transform: (Element) -> CElement
    ) -> UnsafeMutablePointer<CElement> {
        let storage = allocate(CElement.self, count: values.count)
        for index in values.indices {
            (storage + index).initialize(to: transform(values[index]))
        }
        return storage
    }

    /// A C array of strings.
    package mutating func cStrings(
        _ values: [String],
        field: StaticString
    ) throws -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let storage = allocate(UnsafeMutablePointer<CChar>?.self, count: values.count)
        for index in values.indices {
            (storage + index).initialize(to: try cString(values[index], field: field))
        }
        return storage
    }

    /// A C array of `bytes` values.
    package mutating func binaries(_ values: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData> {
        let storage = allocate(ProtobufCBinaryData.self, count: values.count)
        for index in values.indices {
            (storage + index).initialize(to: binary(values[index]))
        }
        return storage
    }

    /// One lowered sub-message.
    package mutating func message<M: ProtoMessage>(_ value: M) throws -> UnsafeMutablePointer<M.CMessage> {
        let storage = allocate(M.CMessage.self, count: 1)
        M.cInit(storage)
        try value.lower(into: storage, arena: &self)
        return storage
    }

    /// A C array of pointers to lowered sub-messages, as protobuf-c wants repeated message fields.
    package mutating func messages<M: ProtoMessage>(
        _ values: [M]
    ) throws -> UnsafeMutablePointer<UnsafeMutablePointer<M.CMessage>?> {
        let structs = allocate(M.CMessage.self, count: values.count)
        let pointers = allocate(UnsafeMutablePointer<M.CMessage>?.self, count: values.count)
        // Each element is copied for its call (retaining its strings), through a buffer pointer too: `lower`
        // writes through raw pointers, so the compiler cannot prove the array unchanged across the call.
        for index in values.indices {
            let element = structs + index
            M.cInit(element)
            try values[index].lower(into: element, arena: &self)
            (pointers + index).initialize(to: element)
        }
        return pointers
    }

    /// protobuf-c 1.4 leaves out a proto3 `double` or `float` field when `value == 0`, which is also true for
    /// -0.0; proto3 says -0 is distinct and must be written. The value is added to the message as an "unknown"
    /// field, which protobuf-c packs verbatim, so the peer sees an ordinary field with the sign intact.
    package mutating func keepNegativeZero<C>(_ value: Double, field: UInt32, in message: UnsafeMutablePointer<C>) {
        guard value == 0, value.sign == .minus else { return }
        appendUnknownField(value.bitPattern.littleEndian, field: field, wireType: PROTOBUF_C_WIRE_TYPE_64BIT, in: message)
    }

    /// See `keepNegativeZero(_:field:in:)` for `Double`.
    package mutating func keepNegativeZero<C>(_ value: Float, field: UInt32, in message: UnsafeMutablePointer<C>) {
        guard value == 0, value.sign == .minus else { return }
        appendUnknownField(value.bitPattern.littleEndian, field: field, wireType: PROTOBUF_C_WIRE_TYPE_32BIT, in: message)
    }

    private mutating func appendUnknownField<C, Payload: FixedWidthInteger>(
        _ payload: Payload,
        field: UInt32,
        wireType: ProtobufCWireType,
        in message: UnsafeMutablePointer<C>
    ) {
        // Every generated C struct starts with its ProtobufCMessage header.
        let base = UnsafeMutableRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
        let count = Int(base.pointee.n_unknown_fields)
        let fields = allocate(ProtobufCMessageUnknownField.self, count: count + 1)
        if count > 0, let existing = base.pointee.unknown_fields {
            fields.initialize(from: existing, count: count)
        }
        let data = allocate(Payload.self, count: 1)
        data.initialize(to: payload)
        (fields + count).initialize(
            to: ProtobufCMessageUnknownField(
                tag: field,
                wire_type: wireType,
                len: MemoryLayout<Payload>.size,
                data: UnsafeMutableRawPointer(data).assumingMemoryBound(to: UInt8.self)
            )
        )
        base.pointee.n_unknown_fields = UInt32(count + 1)
        base.pointee.unknown_fields = fields
    }
}
