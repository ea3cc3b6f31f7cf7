internal import ExtrasBase64

/// Custom metadata of an RPC: ordered key/value pairs sent as HTTP/2 headers or trailers. Keys are lower-case;
/// a key ending in `-bin` holds binary values (base64 on the wire), other keys hold printable ASCII strings.
///
/// ```swift
/// var metadata: Metadata = ["x-request-id": "req-1"]
/// metadata.add("trace-bin", binary: [0x01, 0x02])
/// metadata.first("x-request-id")   // .string("req-1")
/// ```
package struct Metadata: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// One key/value pair.
    package struct Entry: Sendable, Hashable {
        package var key: String
        package var value: MetadataValue
    }

    private var entries: [Entry] = []

    package init() {}

    package init(dictionaryLiteral elements: (String, String)...) {
        for (key, value) in elements { add(key, value) }
    }

    package var count: Int { entries.count }
    package var isEmpty: Bool { entries.isEmpty }
    package func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    /// Adds a string value; the key is lower-cased.
    package mutating func add(_ key: String, _ value: String) {
        entries.append(Entry(key: Self.lowercased(key), value: .string(value)))
    }

    /// Adds a binary value; the key should end in `-bin`.
    package mutating func add(_ key: String, binary value: [UInt8]) {
        entries.append(Entry(key: Self.lowercased(key), value: .binary(value)))
    }

    /// Replaces every value of `key` with `value`.
    package mutating func replace(_ key: String, _ value: String) {
        remove(key)
        add(key, value)
    }

    package mutating func remove(_ key: String) {
        guard !entries.isEmpty else { return }
        let key = Self.lowercased(key)
        entries.removeAll { $0.key == key }
    }

    /// The first value of `key`.
    package func first(_ key: String) -> MetadataValue? {
        guard !entries.isEmpty else { return nil }  // most calls carry none; lower-casing the key costs more
        let key = Self.lowercased(key)
        return entries.first { $0.key == key }?.value
    }

    /// The first string value of `key`.
    package func string(_ key: String) -> String? {
        guard case .string(let value)? = first(key) else { return nil }
        return value
    }

    /// Every value of `key`, in order.
    package func values(_ key: String) -> [MetadataValue] {
        guard !entries.isEmpty else { return [] }
        let key = Self.lowercased(key)
        return entries.filter { $0.key == key }.map(\.value)
    }

    /// Keys are compared in lower case. HTTP/2 field names and most keys in code already are, and are then
    /// kept as they are rather than copied (`lowercased()` allocates for keys longer than 15 bytes).
    private static func lowercased(_ key: String) -> String {
        let needsLowering = key.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where byte &- 0x41 < 26 || byte >= 0x80 { return true }  // A-Z, or not ASCII
            return false
        }
        return needsLowering == false ? key : key.lowercased()
    }

    package var description: String {
        "[" + entries.map { entry in
            switch entry.value {
            case .string(let value): "\(entry.key): \(value)"
            case .binary(let value): "\(entry.key): <\(value.count) bytes>"
            }
        }.joined(separator: ", ") + "]"
    }
}

/// A metadata value: a string, or bytes for keys ending in `-bin`.
package enum MetadataValue: Sendable, Hashable {
    case string(String)
    case binary([UInt8])
}

// MARK: - Wire form

extension Metadata {
    /// Why metadata from the wire was refused.
    package struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// True for keys gRPC allows in custom metadata: `0-9 a-z _ - .`, not empty, not reserved (`grpc-`,
    /// pseudo-headers).
    package static func isValidKey(_ key: String) -> Bool {
        guard !key.isEmpty, !key.hasPrefix("grpc-") else { return false }
        return key.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
                || byte == 0x2E
        }
    }

    /// True for values a string key may carry: printable ASCII (0x20–0x7E).
    package static func isValidStringValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
    }

    /// The header fields to send: binary values base64-encoded without padding, as the spec recommends.
    package var headerFields: [(name: String, value: String)] {
        entries.map { entry in
            switch entry.value {
            case .string(let value): (entry.key, value)
            case .binary(let value): (entry.key, Base64.encodeToString(bytes: value, options: .omitPaddingCharacter))
            }
        }
    }

    /// Metadata from received header fields, reserved and pseudo headers already removed by the transport.
    /// `-bin` values are split on `,` (several values may share one field) and decoded whether padded or not.
    package init(headerFields: some Sequence<(name: String, value: String)>) throws(WireError) {
        for (name, value) in headerFields {
            let key = Self.lowercased(name)
            if key.hasSuffix("-bin") {
                for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                    add(key, binary: try Self.decodeBase64(part.trimmingSpaces, key: key))
                }
            } else {
                add(key, value)
            }
        }
    }

    private static func decodeBase64(_ text: Substring, key: String) throws(WireError) -> [UInt8] {
        let options: Base64.DecodingOptions = text.utf8.count % 4 == 0 ? [] : .omitPaddingCharacter
        do {
            return try Base64.decode(string: String(text), options: options)
        } catch {
            throw WireError(description: "metadata \(key): value is not base64")
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var slice = self
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return slice
    }
}
