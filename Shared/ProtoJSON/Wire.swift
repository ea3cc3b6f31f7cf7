/// The protobuf wire format, as much as transcoding needs: tags, varints, fixed widths and length-delimited
/// runs.
enum WireType: UInt8 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
}

/// One field occurrence read from the wire.
enum WireValue {
    case varint(UInt64)
    case fixed64(UInt64)
    case fixed32(UInt32)
    case bytes(ArraySlice<UInt8>)
}

struct WireReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { bytes.isEmpty }

    /// The next field: its number and value. Groups (deprecated) are not used by these contracts.
    mutating func next() throws(TranscodeError) -> (number: UInt32, value: WireValue)? {
        guard !bytes.isEmpty else { return nil }
        let tag = try varint()
        let number = UInt32(truncatingIfNeeded: tag >> 3)
        guard number > 0 else { throw TranscodeError("", "malformed message: field number 0") }
        switch WireType(rawValue: UInt8(tag & 7)) {
        case .varint: return (number, .varint(try varint()))
        case .fixed64: return (number, .fixed64(try fixed(8)))
        case .fixed32: return (number, .fixed32(UInt32(truncatingIfNeeded: try fixed(4))))
        case .lengthDelimited:
            let length = try varint()
            guard length <= UInt64(bytes.count) else { throw TranscodeError("", "malformed message: truncated field \(number)") }
            let value = bytes.prefix(Int(length))
            bytes = bytes.dropFirst(Int(length))
            return (number, .bytes(value))
        case nil: throw TranscodeError("", "malformed message: unsupported wire type \(tag & 7) for field \(number)")
        }
    }

    mutating func varint() throws(TranscodeError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.first, shift < 64 {
            bytes = bytes.dropFirst()
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw TranscodeError("", "malformed message: bad varint")
    }

    mutating func fixed(_ width: Int) throws(TranscodeError) -> UInt64 {
        guard bytes.count >= width else { throw TranscodeError("", "malformed message: truncated fixed-width value") }
        var result: UInt64 = 0
        for (index, byte) in bytes.prefix(width).enumerated() { result |= UInt64(byte) << (8 * UInt64(index)) }
        bytes = bytes.dropFirst(width)
        return result
    }
}

struct WireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func tag(_ number: UInt32, _ type: WireType) { varint(UInt64(number) << 3 | UInt64(type.rawValue)) }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func fixed(_ value: UInt64, width: Int) {
        for index in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    mutating func lengthDelimited(_ number: UInt32, _ payload: [UInt8]) {
        tag(number, .lengthDelimited)
        varint(UInt64(payload.count))
        bytes += payload
    }
}

extension Int64 {
    var zigZag: UInt64 { UInt64(bitPattern: (self << 1) ^ (self >> 63)) }
    init(zigZag value: UInt64) { self = Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }
}

/// A value that does not fit its field, with where: `request.options.sources[1]: unknown value "X"`.
package struct TranscodeError: Error, CustomStringConvertible, Sendable {
    package var path: String
    package var reason: String

    package init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    package var description: String { path.isEmpty ? reason : "\(path): \(reason)" }

    package func under(_ prefix: String) -> TranscodeError {
        TranscodeError(path.isEmpty ? prefix : (path.hasPrefix("[") ? prefix + path : prefix + "." + path), reason)
    }
}
