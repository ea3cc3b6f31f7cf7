#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
package import Contracts

/// The proto3 JSON mapping of the contracts, for the REST API: binary ⇄ JSON through the message schemas.
///
/// Output uses the .proto field names (`client_name`), prints every field without presence (so `0`, `false`,
/// `""`, `[]`, `{}` appear rather than vanish), enums by name, 64-bit integers as JSON numbers (every such
/// value in these contracts — times in ms, counts, sizes — is far below 2^53), bytes as base64. Input accepts
/// the .proto names and lowerCamelCase, enum names (also short: `high` for `RISK_LEVEL_HIGH`) or numbers, integers as numbers or strings; unknown fields
/// are an error naming them.
///
/// ```swift
/// let json = try ProtoJSON.encode(job)                          // JSONValue
/// let request: GatewayV1.SubmitAnalysisRequest = try ProtoJSON.decode(.parse(body))
/// ```
package enum ProtoJSON {
    package static func encode<Message: ProtoMessage>(_ message: Message) throws -> JSONValue {
        let schema = SchemaRegistry.shared.schema(for: Message.self)
        return try encode(message.serializedBytes()[...], schema: schema)
    }

    package static func decode<Message: ProtoMessage>(_ json: JSONValue, as type: Message.Type = Message.self) throws(TranscodeError) -> Message {
        let schema = SchemaRegistry.shared.schema(for: Message.self)
        let bytes = try encodeWire(json, schema: schema)
        do {
            return try Message(serializedBytes: bytes)
        } catch {
            throw TranscodeError("", "\(error)")
        }
    }

    // MARK: Wire → JSON

    package static func encode(_ bytes: ArraySlice<UInt8>, schema: MessageSchema) throws(TranscodeError) -> JSONValue {
        var occurrences: [UInt32: [WireValue]] = [:]
        var reader = WireReader(bytes)
        while let (number, value) = try reader.next() { occurrences[number, default: []].append(value) }

        var members: [(String, JSONValue)] = []
        for field in schema.fields {
            let values = occurrences[field.number] ?? []
            if field.isRepeated {
                var elements: [WireValue] = []
                for value in values { elements += try unpack(value, field) }
                if let entry = mapEntrySchema(field) {
                    var entries: [(String, JSONValue)] = []
                    for element in elements { entries.append(try mapMember(element, entry)) }
                    members.append((field.name, .object(entries)))
                } else {
                    var array: [JSONValue] = []
                    for element in elements { array.append(try scalar(element, field)) }
                    members.append((field.name, .array(array)))
                }
            } else if let last = values.last {
                if field.kind == .message {
                    // Occurrences of a singular message field merge; concatenating their bytes does exactly that.
                    let merged = values.flatMap { value -> [UInt8] in if case .bytes(let run) = value { Array(run) } else { [] } }
                    members.append((field.name, try encode(merged[...], schema: try childSchema(field))))
                } else {
                    members.append((field.name, try scalar(last, field)))
                }
            } else if !field.hasPresence && field.kind != .message {
                members.append((field.name, defaultValue(field)))
            }
        }
        return .object(members)
    }

    /// Repeated scalars may come packed (one length-delimited run) or one per occurrence.
    private static func unpack(_ value: WireValue, _ field: MessageSchema.Field) throws(TranscodeError) -> [WireValue] {
        guard case .bytes(let run) = value, field.kind != .string, field.kind != .bytes, field.kind != .message else { return [value] }
        var reader = WireReader(run)
        var values: [WireValue] = []
        while !reader.isAtEnd {
            switch field.kind {
            case .double, .fixed64, .sfixed64: values.append(.fixed64(try reader.fixed(8)))
            case .float, .fixed32, .sfixed32: values.append(.fixed32(UInt32(truncatingIfNeeded: try reader.fixed(4))))
            default: values.append(.varint(try reader.varint()))
            }
        }
        return values
    }

    private static func scalar(_ value: WireValue, _ field: MessageSchema.Field) throws(TranscodeError) -> JSONValue {
        switch (field.kind, value) {
        case (.int32, .varint(let raw)), (.int64, .varint(let raw)): return .integer(Int64(bitPattern: raw))
        case (.uint32, .varint(let raw)), (.uint64, .varint(let raw)): return .unsigned(raw)
        case (.sint32, .varint(let raw)), (.sint64, .varint(let raw)): return .integer(Int64(zigZag: raw))
        case (.bool, .varint(let raw)): return .bool(raw != 0)
        case (.enum, .varint(let raw)):
            let number = Int32(truncatingIfNeeded: Int64(bitPattern: raw))
            return field.enumType?.name(of: number).map(JSONValue.string) ?? .integer(Int64(number))
        case (.fixed32, .fixed32(let raw)): return .unsigned(UInt64(raw))
        case (.sfixed32, .fixed32(let raw)): return .integer(Int64(Int32(bitPattern: raw)))
        case (.float, .fixed32(let raw)): return .number(Double(Float(bitPattern: raw)))
        case (.fixed64, .fixed64(let raw)): return .unsigned(raw)
        case (.sfixed64, .fixed64(let raw)): return .integer(Int64(bitPattern: raw))
        case (.double, .fixed64(let raw)): return .number(Double(bitPattern: raw))
        case (.string, .bytes(let run)):
            guard let text = String(validating: run, as: UTF8.self) else { throw TranscodeError(field.name, "invalid UTF-8") }
            return .string(text)
        case (.bytes, .bytes(let run)): return .string(Data(run).base64EncodedString())
        case (.message, .bytes(let run)): return try encode(run, schema: try childSchema(field))
        default: throw TranscodeError(field.name, "malformed message: wrong wire type")
        }
    }

    private static func mapMember(_ value: WireValue, _ entry: MessageSchema) throws(TranscodeError) -> (String, JSONValue) {
        guard case .bytes(let run) = value else { throw TranscodeError("", "malformed map entry") }
        let decoded = try encode(run, schema: entry)
        let key: String
        switch decoded["key"] {
        case .string(let text)?: key = text
        case .integer(let number)?: key = String(number)
        case .unsigned(let number)?: key = String(number)
        case .bool(let flag)?: key = flag ? "true" : "false"
        default: key = ""
        }
        return (key, decoded["value"] ?? .null)
    }

    private static func defaultValue(_ field: MessageSchema.Field) -> JSONValue {
        switch field.kind {
        case .bool: .bool(false)
        case .string, .bytes: .string("")
        case .enum: field.enumType?.name(of: 0).map(JSONValue.string) ?? .integer(0)
        case .double, .float: .number(0)
        case .uint32, .uint64, .fixed32, .fixed64: .unsigned(0)
        default: .integer(0)
        }
    }

    static func childSchema(_ field: MessageSchema.Field) throws(TranscodeError) -> MessageSchema {
        guard let name = field.messageName, let schema = SchemaRegistry.shared.schema(named: name) else {
            throw TranscodeError(field.name, "no schema for \(field.messageName ?? "?")")
        }
        return schema
    }

    package static func mapEntrySchema(_ field: MessageSchema.Field) -> MessageSchema? {
        guard field.kind == .message, let name = field.messageName, let schema = SchemaRegistry.shared.schema(named: name),
            schema.isMapEntry
        else { return nil }
        return schema
    }

    // MARK: JSON → wire

    package static func encodeWire(_ json: JSONValue, schema: MessageSchema) throws(TranscodeError) -> [UInt8] {
        guard case .object(let members) = json else {
            throw TranscodeError("", "expected a JSON object for \(schema.name), got \(json.kindName)")
        }
        var writer = WireWriter()
        for (key, value) in members {
            guard let field = schema.field(named: key) else {
                throw TranscodeError(key, "unknown field of \(schema.name); known: \(schema.fields.map(\.name).joined(separator: ", "))")
            }
            if case .null = value { continue }
            do throws(TranscodeError) {
                try write(value, field, into: &writer)
            } catch {
                throw error.under(field.name)
            }
        }
        return writer.bytes
    }

    private static func write(_ value: JSONValue, _ field: MessageSchema.Field, into writer: inout WireWriter) throws(TranscodeError) {
        if field.isRepeated, let entry = mapEntrySchema(field) {
            guard case .object(let members) = value else { throw TranscodeError("", "expected a JSON object (a map), got \(value.kindName)") }
            for (key, member) in members {
                var entryWriter = WireWriter()
                do throws(TranscodeError) {
                    try writeSingle(mapKey(key, entry.fields[0]), entry.fields[0], into: &entryWriter)
                    try writeSingle(member, entry.fields[1], into: &entryWriter)
                } catch {
                    throw error.under("[\(key.debugDescription)]")
                }
                writer.lengthDelimited(field.number, entryWriter.bytes)
            }
        } else if field.isRepeated {
            guard case .array(let elements) = value else { throw TranscodeError("", "expected a JSON array, got \(value.kindName)") }
            for (index, element) in elements.enumerated() {
                do throws(TranscodeError) {
                    try writeSingle(element, field, into: &writer)
                } catch {
                    throw error.under("[\(index)]")
                }
            }
        } else {
            try writeSingle(value, field, into: &writer)
        }
    }

    private static func mapKey(_ key: String, _ field: MessageSchema.Field) -> JSONValue {
        switch field.kind {
        case .string: .string(key)
        case .bool: .bool(key == "true")
        default: Int64(key).map(JSONValue.integer) ?? .string(key)
        }
    }

    private static func writeSingle(_ value: JSONValue, _ field: MessageSchema.Field, into writer: inout WireWriter) throws(TranscodeError) {
        switch field.kind {
        case .message:
            let payload = try encodeWire(value, schema: try childSchema(field))
            writer.lengthDelimited(field.number, payload)
        case .string:
            guard case .string(let text) = value else { throw TranscodeError("", "expected a string, got \(value.kindName)") }
            writer.lengthDelimited(field.number, Array(text.utf8))
        case .bytes:
            guard case .string(let text) = value else { throw TranscodeError("", "expected base64 text, got \(value.kindName)") }
            // Either base64 alphabet, padded or not, as proto3 JSON parsers accept.
            let normalized = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
            let padded = normalized + String(repeating: "=", count: (4 - normalized.count % 4) % 4)
            guard let data = Data(base64Encoded: padded) else { throw TranscodeError("", "expected base64 text") }
            writer.lengthDelimited(field.number, Array(data))
        case .bool:
            guard case .bool(let flag) = value else { throw TranscodeError("", "expected true or false, got \(value.kindName)") }
            writer.tag(field.number, .varint)
            writer.varint(flag ? 1 : 0)
        case .enum:
            let number: Int32
            switch value {
            case .string(let name):
                guard let known = field.enumType?.number(lenient: name) else {
                    let names = field.enumType?.values.map(\.name).filter { !$0.hasSuffix("_UNSPECIFIED") } ?? []
                    throw TranscodeError("", "unknown value \(name.debugDescription); expected one of \(names.joined(separator: ", "))")
                }
                number = known
            case .integer(let raw) where Int32(exactly: raw) != nil: number = Int32(raw)
            default: throw TranscodeError("", "expected an enum name, got \(value.kindName)")
            }
            writer.tag(field.number, .varint)
            writer.varint(UInt64(bitPattern: Int64(number)))
        case .double, .float:
            let number = try floatingValue(value)
            if field.kind == .double {
                writer.tag(field.number, .fixed64)
                writer.fixed(number.bitPattern, width: 8)
            } else {
                writer.tag(field.number, .fixed32)
                writer.fixed(UInt64(Float(number).bitPattern), width: 4)
            }
        case .int32, .sint32, .sfixed32, .int64, .sint64, .sfixed64:
            let is32 = [.int32, .sint32, .sfixed32].contains(field.kind)
            let number = try integerValue(value, range: is32 ? Int64(Int32.min)...Int64(Int32.max) : Int64.min...Int64.max)
            switch field.kind {
            case .sint32, .sint64:
                writer.tag(field.number, .varint)
                writer.varint(number.zigZag)
            case .sfixed32:
                writer.tag(field.number, .fixed32)
                writer.fixed(UInt64(UInt32(bitPattern: Int32(number))), width: 4)
            case .sfixed64:
                writer.tag(field.number, .fixed64)
                writer.fixed(UInt64(bitPattern: number), width: 8)
            default:
                writer.tag(field.number, .varint)
                writer.varint(UInt64(bitPattern: number))
            }
        case .uint32, .fixed32, .uint64, .fixed64:
            let is32 = field.kind == .uint32 || field.kind == .fixed32
            let number = try unsignedValue(value, max: is32 ? UInt64(UInt32.max) : UInt64.max)
            switch field.kind {
            case .fixed32:
                writer.tag(field.number, .fixed32)
                writer.fixed(number, width: 4)
            case .fixed64:
                writer.tag(field.number, .fixed64)
                writer.fixed(number, width: 8)
            default:
                writer.tag(field.number, .varint)
                writer.varint(number)
            }
        }
    }

    private static func integerValue(_ value: JSONValue, range: ClosedRange<Int64>) throws(TranscodeError) -> Int64 {
        let number: Int64?
        switch value {
        case .integer(let raw): number = raw
        case .number(let raw) where raw == raw.rounded(): number = Int64(exactly: raw)
        case .string(let text): number = Int64(text)
        default: number = nil
        }
        guard let number else { throw TranscodeError("", "expected an integer, got \(value.kindName)") }
        guard range.contains(number) else { throw TranscodeError("", "\(number) is out of range \(range.lowerBound)…\(range.upperBound)") }
        return number
    }

    private static func unsignedValue(_ value: JSONValue, max: UInt64) throws(TranscodeError) -> UInt64 {
        let number: UInt64?
        switch value {
        case .integer(let raw): number = UInt64(exactly: raw)
        case .unsigned(let raw): number = raw
        case .number(let raw) where raw == raw.rounded(): number = UInt64(exactly: raw)
        case .string(let text): number = UInt64(text)
        default: number = nil
        }
        guard let number, number <= max else { throw TranscodeError("", "expected an integer in 0…\(max), got \(value.kindName)") }
        return number
    }

    private static func floatingValue(_ value: JSONValue) throws(TranscodeError) -> Double {
        switch value {
        case .integer(let raw): return Double(raw)
        case .unsigned(let raw): return Double(raw)
        case .number(let raw): return raw
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        case .string(let text):
            guard let number = Double(text) else { throw TranscodeError("", "expected a number, got \(text.debugDescription)") }
            return number
        default: throw TranscodeError("", "expected a number, got \(value.kindName)")
        }
    }
}

extension JSONValue {
    /// How an error message names what it got.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .unsigned, .number: "a number"
        case .string(let text): "the string \(text.count > 40 ? String(text.prefix(40)).debugDescription + "…" : text.debugDescription)"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
