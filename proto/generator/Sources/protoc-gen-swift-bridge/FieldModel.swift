import SwiftProtobufPluginLibrary

/// A proto scalar as both sides see it.
enum Scalar {
    case int32, int64, uint32, uint64, float, double, bool, string, bytes
    case enumeration(EnumDescriptor)

    init?(_ field: FieldDescriptor) {
        switch field.type {
        case .int32, .sint32, .sfixed32: self = .int32
        case .int64, .sint64, .sfixed64: self = .int64
        case .uint32, .fixed32: self = .uint32
        case .uint64, .fixed64: self = .uint64
        case .float: self = .float
        case .double: self = .double
        case .bool: self = .bool
        case .string: self = .string
        case .bytes: self = .bytes
        case .enum: self = .enumeration(field.enumType)
        default: return nil
        }
    }

    var swiftType: String {
        switch self {
        case .int32: "Int32"
        case .int64: "Int64"
        case .uint32: "UInt32"
        case .uint64: "UInt64"
        case .float: "Float"
        case .double: "Double"
        case .bool: "Bool"
        case .string: "String"
        case .bytes: "[UInt8]"
        case .enumeration(let e): SwiftNames.type(e)
        }
    }

    var swiftDefault: String {
        switch self {
        case .int32, .int64, .uint32, .uint64, .float, .double: "0"
        case .bool: "false"
        case .string: "\"\""
        case .bytes: "[]"
        case .enumeration(let e): "." + SwiftNames.enumCase(e.values[0])
        }
    }

    /// True when the default value is the same as "not present" on the wire and can be skipped when lowering.
    var isReferenceLike: Bool {
        switch self {
        case .string, .bytes: true
        default: false
        }
    }

    /// True for `double` and `float`, whose -0.0 protobuf-c would drop (see `ProtoArena.keepNegativeZero`).
    var isFloatingPoint: Bool {
        switch self {
        case .float, .double: true
        default: false
        }
    }

    /// Swift expression converting `value` to the C member's type.
    func lower(_ value: String, label: String) -> String {
        switch self {
        case .int32, .int64, .uint32, .uint64, .float, .double: value
        case .bool: "(\(value) ? 1 : 0)"
        case .string: "try arena.cString(\(value), field: \"\(label)\")"
        case .bytes: "arena.binary(\(value))"
        case .enumeration: ".init(protoNumber: \(value).protoNumber)"
        }
    }

    /// Swift expression converting the C member `c` to the Swift value.
    func lift(_ c: String, label: String) -> String {
        switch self {
        case .int32, .int64, .uint32, .uint64, .float, .double: c
        case .bool: "\(c) != 0"
        case .string: "try ProtoLift.string(\(c), field: \"\(label)\")"
        case .bytes: "ProtoLift.bytes(\(c))"
        case .enumeration(let e): "\(SwiftNames.type(e))(protoNumber: \(c).protoNumber)"
        }
    }

    /// Expression producing a random value in the test-support generator.
    var arbitrary: String {
        switch self {
        case .int32: "g.int32()"
        case .int64: "g.int64()"
        case .uint32: "g.uint32()"
        case .uint64: "g.uint64()"
        case .float: "g.float()"
        case .double: "g.double()"
        case .bool: "g.bool()"
        case .string: "g.string()"
        case .bytes: "g.bytes()"
        case .enumeration(let e): "g.enumValue(\(SwiftNames.type(e)).self)"
        }
    }
}

/// One field of a message outside real oneofs, classified by how it is stored.
struct Field {
    enum Shape {
        /// proto3 implicit presence: the default is "absent".
        case singular(Scalar)
        /// proto3 `optional`: protoc-c sees it as a one-member oneof (see generate.sh).
        case optional(Scalar, caseMember: String)
        case message(Descriptor)
        case repeated(Scalar)
        case repeatedMessage(Descriptor)
        case map(key: Scalar, value: MapValue, entry: Descriptor)
    }

    enum MapValue {
        case scalar(Scalar)
        case message(Descriptor)
    }

    let descriptor: FieldDescriptor
    let shape: Shape

    var swiftName: String { SwiftNames.property(descriptor.name) }
    var cName: String { CNames.member(descriptor) }
    /// `Message.field`, used in error messages.
    var label: String { "\(descriptor.containingType.name).\(descriptor.name)" }

    init(_ field: FieldDescriptor) throws {
        descriptor = field
        if field.isMap {
            let entry = field.messageType!
            let (keyField, valueField) = entry.mapKeyAndValue!
            guard let key = Scalar(keyField) else { throw GeneratorError("\(field.fullName): unsupported map key") }
            let value: MapValue
            if valueField.type == .message {
                value = .message(valueField.messageType)
            } else if let scalar = Scalar(valueField) {
                value = .scalar(scalar)
            } else {
                throw GeneratorError("\(field.fullName): unsupported map value")
            }
            shape = .map(key: key, value: value, entry: entry)
        } else if field.isRepeated {
            if field.type == .message {
                shape = .repeatedMessage(field.messageType)
            } else if let scalar = Scalar(field) {
                shape = .repeated(scalar)
            } else {
                throw GeneratorError("\(field.fullName): groups are not supported")
            }
        } else if field.type == .message {
            shape = .message(field.messageType)
        } else if let scalar = Scalar(field) {
            if let oneof = field.containingOneof, oneof.isSynthetic {
                shape = .optional(scalar, caseMember: CNames.caseMember(oneof))
            } else {
                shape = .singular(scalar)
            }
        } else {
            throw GeneratorError("\(field.fullName): groups are not supported")
        }
    }

    var swiftType: String {
        switch shape {
        case .singular(let s): s.swiftType
        case .optional(let s, _): s.swiftType + "?"
        case .message(let m): SwiftNames.type(m) + "?"
        case .repeated(let s): "[\(s.swiftType)]"
        case .repeatedMessage(let m): "[\(SwiftNames.type(m))]"
        case .map(let k, let v, _): "[\(k.swiftType): \(v.swiftType)]"
        }
    }

    var swiftDefault: String {
        switch shape {
        case .singular(let s): s.swiftDefault
        case .optional, .message: "nil"
        case .repeated, .repeatedMessage: "[]"
        case .map: "[:]"
        }
    }
}

extension Field.MapValue {
    var swiftType: String {
        switch self {
        case .scalar(let s): s.swiftType
        case .message(let m): SwiftNames.type(m)
        }
    }
}

/// A real (non-synthetic) oneof: a Swift enum with one case per member.
struct Oneof {
    struct Member {
        let descriptor: FieldDescriptor
        /// nil for message members.
        let scalar: Scalar?
        var caseName: String { SwiftNames.property(descriptor.name) }
        var cName: String { CNames.member(descriptor) }
        var swiftType: String { scalar?.swiftType ?? SwiftNames.type(descriptor.messageType) }
        var label: String { "\(descriptor.containingType.name).\(descriptor.name)" }
    }

    let descriptor: OneofDescriptor
    let members: [Member]

    var typeName: String { SwiftNames.oneofType(descriptor) }
    var propertyName: String { SwiftNames.property(descriptor.name) }
    var caseMember: String { CNames.caseMember(descriptor) }

    init(_ oneof: OneofDescriptor) throws {
        descriptor = oneof
        members = try oneof.fields.map { field in
            if field.type == .message { return Member(descriptor: field, scalar: nil) }
            guard let scalar = Scalar(field) else { throw GeneratorError("\(field.fullName): unsupported oneof member") }
            return Member(descriptor: field, scalar: scalar)
        }
    }
}

/// A message's members in declaration order.
enum Member {
    case field(Field)
    case oneof(Oneof)

    static func members(of message: Descriptor) throws -> [Member] {
        var result: [Member] = []
        var seenOneofs = Set<Int>()
        for field in message.fields {
            if let oneof = field.realContainingOneof {
                if seenOneofs.insert(oneof.index).inserted { result.append(.oneof(try Oneof(oneof))) }
            } else {
                result.append(.field(try Field(field)))
            }
        }
        return result
    }
}

struct GeneratorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
