internal import CMsgPuck

/// A MessagePack value, encoded and decoded with msgpuck. Tarantool hands back strings where binary was
/// stored through Lua, so `bytes` reads either.
package enum MessagePack: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case binary([UInt8])
    case array([MessagePack])
    case map([MessagePackPair])

    package static func uint(_ value: some BinaryInteger) -> MessagePack { .int(Int64(value)) }

    // MARK: Reading

    package var int: Int64? {
        switch self {
        case .int(let value): value
        case .double(let value) where value == value.rounded() && abs(value) < 9.0e15: Int64(value)
        default: nil
        }
    }
    package var string: String? {
        switch self {
        case .string(let value): value
        case .binary(let bytes): String(validating: bytes, as: UTF8.self)
        default: nil
        }
    }
    /// The raw bytes of a string or binary value (a string need not be valid UTF-8 here).
    package var bytes: [UInt8]? {
        switch self {
        case .binary(let bytes): bytes
        case .string(let text): Array(text.utf8)
        default: nil
        }
    }
    package var array: [MessagePack]? {
        if case .array(let values) = self { return values }
        return nil
    }
    package var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
    package var isNull: Bool { self == .null }

    /// The value under an integer key of a map (IPROTO's keys).
    package subscript(key: Int64) -> MessagePack? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.key == .int(key) }?.value
    }
}

package struct MessagePackPair: Sendable, Equatable {
    package var key: MessagePack
    package var value: MessagePack
    package init(_ key: MessagePack, _ value: MessagePack) {
        self.key = key
        self.value = value
    }
}

package struct MessagePackError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}

// MARK: Encoding

extension MessagePack {
    package func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    package func encode(into bytes: inout [UInt8]) {
        switch self {
        case .null: Self.put(&bytes) { mp_encode_nil($0) }
        case .bool(let value): Self.put(&bytes) { mp_encode_bool($0, value) }
        case .int(let value):
            if value >= 0 {
                Self.put(&bytes) { mp_encode_uint($0, UInt64(value)) }
            } else {
                Self.put(&bytes) { mp_encode_int($0, value) }
            }
        case .double(let value): Self.put(&bytes) { mp_encode_double($0, value) }
        case .string(let text):
            let utf8 = Array(text.utf8)
            Self.put(&bytes) { mp_encode_strl($0, UInt32(utf8.count)) }
            bytes += utf8
        case .binary(let data):
            Self.put(&bytes) { mp_encode_binl($0, UInt32(data.count)) }
            bytes += data
        case .array(let values):
            Self.put(&bytes) { mp_encode_array($0, UInt32(values.count)) }
            for value in values { value.encode(into: &bytes) }
        case .map(let pairs):
            Self.put(&bytes) { mp_encode_map($0, UInt32(pairs.count)) }
            for pair in pairs {
                pair.key.encode(into: &bytes)
                pair.value.encode(into: &bytes)
            }
        }
    }

    /// Appends what `write` encodes (a header or scalar: at most 9 bytes).
    private static func put(_ bytes: inout [UInt8], _ write: (UnsafeMutablePointer<CChar>) -> UnsafeMutablePointer<CChar>?) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 16) { scratch in
            let start = scratch.baseAddress!
            guard let end = write(start) else { return }
            bytes += UnsafeRawBufferPointer(start: start, count: end - start)
        }
    }
}

// MARK: Decoding

extension MessagePack {
    /// Decodes one value from the start of `bytes`; returns it and how many bytes it took. The value is
    /// checked with `mp_check` first, so a truncated or malformed one is an error, never a read past the end.
    package static func decode(_ bytes: ArraySlice<UInt8>) throws(MessagePackError) -> (value: MessagePack, length: Int) {
        let result: Result<(MessagePack, Int), MessagePackError> = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                guard let start = chars.baseAddress, !chars.isEmpty else { return .failure(MessagePackError("no MessagePack value")) }
                var check: UnsafePointer<CChar>? = UnsafePointer(start)
                guard mp_check(&check, start + chars.count) == 0 else { return .failure(MessagePackError("malformed MessagePack")) }
                var cursor: UnsafePointer<CChar>? = UnsafePointer(start)
                do {
                    let value = try read(&cursor)
                    return .success((value, cursor! - UnsafePointer(start)))
                } catch let error as MessagePackError {
                    return .failure(error)
                } catch {
                    return .failure(MessagePackError("\(error)"))
                }
            }
        }
        return try result.get()
    }

    package static func decode(_ bytes: [UInt8]) throws(MessagePackError) -> MessagePack {
        let (value, length) = try decode(bytes[...])
        guard length == bytes.count else { throw MessagePackError("\(bytes.count - length) bytes after the value") }
        return value
    }

    private static func read(_ cursor: inout UnsafePointer<CChar>?) throws -> MessagePack {
        switch mp_typeof(cursor!.pointee) {
        case MP_NIL:
            mp_decode_nil(&cursor)
            return .null
        case MP_BOOL: return .bool(mp_decode_bool(&cursor))
        case MP_UINT:
            let value = mp_decode_uint(&cursor)
            guard let signed = Int64(exactly: value) else { throw MessagePackError("integer \(value) out of range") }
            return .int(signed)
        case MP_INT: return .int(mp_decode_int(&cursor))
        case MP_FLOAT: return .double(Double(mp_decode_float(&cursor)))
        case MP_DOUBLE: return .double(mp_decode_double(&cursor))
        case MP_STR, MP_BIN:
            let isString = mp_typeof(cursor!.pointee) == MP_STR
            var length: UInt32 = 0
            guard let start = mp_decode_strbin(&cursor, &length) else { throw MessagePackError("bad string") }
            let bytes = Array(UnsafeRawBufferPointer(start: start, count: Int(length)))
            if isString, let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
            return .binary(bytes)
        case MP_ARRAY:
            let count = mp_decode_array(&cursor)
            var values: [MessagePack] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<count { values.append(try read(&cursor)) }
            return .array(values)
        case MP_MAP:
            let count = mp_decode_map(&cursor)
            var pairs: [MessagePackPair] = []
            pairs.reserveCapacity(Int(count))
            for _ in 0..<count {
                let key = try read(&cursor)
                pairs.append(MessagePackPair(key, try read(&cursor)))
            }
            return .map(pairs)
        default:
            mp_next(&cursor)
            throw MessagePackError("unsupported MessagePack type (extension)")
        }
    }
}
