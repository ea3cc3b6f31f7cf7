internal import CProtobufC
package import Contracts
internal import Synchronization

/// What the JSON mapping needs to know about a message: its fields, their kinds and names. Read once from the
/// protobuf-c descriptors the generated C code carries (the only pointer code of this module), then plain
/// values.
package struct MessageSchema: Sendable {
    /// Fully qualified, e.g. `clientanalyze.common.v1.Report`.
    package let name: String
    package let fields: [Field]
    /// A `map<K, V>` entry (`key` = 1, `value` = 2), written as a JSON object member.
    package let isMapEntry: Bool

    package struct Field: Sendable {
        /// As in the .proto file, e.g. `client_name`; JSON output uses it.
        package let name: String
        /// lowerCamelCase, e.g. `clientName`; accepted on input too, as proto3 JSON parsers do.
        package let jsonName: String
        package let number: UInt32
        package let kind: Kind
        package let isRepeated: Bool
        /// Proto3 `optional` or a oneof member: absence is distinct from the default value.
        package let hasPresence: Bool
        /// The message type of a `message` field (fully qualified).
        package let messageName: String?
        /// The values of an `enum` field.
        package let enumType: EnumSchema?
    }

    package enum Kind: Sendable, Equatable {
        case double, float, int32, sint32, sfixed32, int64, sint64, sfixed64, uint32, fixed32, uint64, fixed64
        case bool, string, bytes, `enum`, message
    }

    package func field(named name: String) -> Field? {
        fields.first { $0.name == name || $0.jsonName == name }
    }
}

package struct EnumSchema: Sendable {
    package let name: String
    package let values: [(name: String, number: Int32)]

    package func name(of number: Int32) -> String? { values.first { $0.number == number }?.name }
    package func number(of name: String) -> Int32? { values.first { $0.name == name }?.number }

    /// The number of `name`, also read without the type's prefix and in any case (`high`, `risk-level-high`
    /// for `RISK_LEVEL_HIGH`): a convenience for people typing JSON and query strings; output keeps the
    /// full names.
    package func number(lenient name: String) -> Int32? {
        if let number = number(of: name) { return number }
        let upper = String(name.uppercased().map { $0 == "-" ? "_" : $0 })
        let prefix = values.first { $0.number == 0 }.map { String($0.name.dropLast("UNSPECIFIED".count)) } ?? ""
        return number(of: upper) ?? number(of: prefix + upper)
    }
}

/// Every message schema reachable from the messages asked for, by fully qualified name.
package final class SchemaRegistry: Sendable {
    package static let shared = SchemaRegistry()

    private let schemas = Mutex<[String: MessageSchema]>([:])

    /// The schema of `Message`, and of every message it refers to.
    package func schema<Message: ProtoMessage>(for message: Message.Type) -> MessageSchema {
        if let known = schemas.withLock({ $0[Message.protoName] }) { return known }
        var found: [String: MessageSchema] = [:]
        let root = Self.read(Message.cDescriptor, into: &found)
        schemas.withLock { $0.merge(found) { old, _ in old } }
        return root
    }

    /// A schema already read (as part of an earlier `schema(for:)`).
    package func schema(named name: String) -> MessageSchema? {
        schemas.withLock { $0[name] }
    }

    private static func read(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, into found: inout [String: MessageSchema]) -> MessageSchema {
        let name = String(cString: descriptor.pointee.name)
        if let known = found[name] { return known }
        let cFields = UnsafeBufferPointer(start: descriptor.pointee.fields, count: Int(descriptor.pointee.n_fields))
        var nested: [UnsafePointer<ProtobufCMessageDescriptor>] = []
        let fields = cFields.map { field -> MessageSchema.Field in
            let kind = Self.kind(field.type)
            var messageName: String?
            var enumType: EnumSchema?
            if kind == .message, let raw = field.descriptor {
                let child = raw.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                messageName = String(cString: child.pointee.name)
                nested.append(child)
            } else if kind == .enum, let raw = field.descriptor {
                enumType = Self.readEnum(raw.assumingMemoryBound(to: ProtobufCEnumDescriptor.self))
            }
            let fieldName = String(cString: field.name)
            return MessageSchema.Field(
                name: fieldName, jsonName: Self.lowerCamel(fieldName), number: field.id, kind: kind,
                isRepeated: field.label == PROTOBUF_C_LABEL_REPEATED,
                hasPresence: field.label == PROTOBUF_C_LABEL_OPTIONAL || field.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0,
                messageName: messageName, enumType: enumType)
        }
        let shortName = String(cString: descriptor.pointee.short_name)
        let isMapEntry = shortName.hasSuffix("Entry") && fields.count == 2 && fields[0].name == "key" && fields[0].number == 1
            && fields[1].name == "value" && fields[1].number == 2
        let schema = MessageSchema(name: name, fields: fields, isMapEntry: isMapEntry)
        found[name] = schema
        for child in nested { _ = read(child, into: &found) }
        return schema
    }

    private static func readEnum(_ descriptor: UnsafePointer<ProtobufCEnumDescriptor>) -> EnumSchema {
        let values = UnsafeBufferPointer(start: descriptor.pointee.values, count: Int(descriptor.pointee.n_values))
        return EnumSchema(
            name: String(cString: descriptor.pointee.name),
            values: values.map { (String(cString: $0.name), Int32($0.value)) })
    }

    private static func kind(_ type: ProtobufCType) -> MessageSchema.Kind {
        switch type {
        case PROTOBUF_C_TYPE_INT32: .int32
        case PROTOBUF_C_TYPE_SINT32: .sint32
        case PROTOBUF_C_TYPE_SFIXED32: .sfixed32
        case PROTOBUF_C_TYPE_INT64: .int64
        case PROTOBUF_C_TYPE_SINT64: .sint64
        case PROTOBUF_C_TYPE_SFIXED64: .sfixed64
        case PROTOBUF_C_TYPE_UINT32: .uint32
        case PROTOBUF_C_TYPE_FIXED32: .fixed32
        case PROTOBUF_C_TYPE_UINT64: .uint64
        case PROTOBUF_C_TYPE_FIXED64: .fixed64
        case PROTOBUF_C_TYPE_FLOAT: .float
        case PROTOBUF_C_TYPE_DOUBLE: .double
        case PROTOBUF_C_TYPE_BOOL: .bool
        case PROTOBUF_C_TYPE_ENUM: .enum
        case PROTOBUF_C_TYPE_STRING: .string
        case PROTOBUF_C_TYPE_BYTES: .bytes
        default: .message
        }
    }

    /// `client_name` → `clientName`, as protoc derives `json_name`.
    static func lowerCamel(_ name: String) -> String {
        var result = ""
        var upperNext = false
        for character in name {
            if character == "_" {
                upperNext = true
            } else {
                result.append(upperNext ? Character(character.uppercased()) : character)
                upperNext = false
            }
        }
        return result
    }
}
