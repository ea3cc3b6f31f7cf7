import SwiftProtobufPluginLibrary

/// Swift names for proto packages, types, fields and enum values.
enum SwiftNames {
    private static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
        "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch",
        "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try",
        "Type", "Protocol", "package", "some", "any",
    ]

    /// Namespace enum for a proto package: the components after a leading `clientanalyze`, upper-camel-cased
    /// and joined: `clientanalyze.common.v1` → `CommonV1`, `grpc.health.v1` → `GrpcHealthV1`.
    static func namespace(_ package: String) -> String {
        var parts = package.split(separator: ".").map(String.init)
        if parts.first == "clientanalyze" { parts.removeFirst() }
        return parts.map(upperFirst).joined()
    }

    /// Fully qualified Swift type, e.g. `CommonV1.Founder.Kind`.
    static func qualified(fullName: String, file: FileDescriptor) -> String {
        let prefix = file.package.isEmpty ? "" : file.package + "."
        let relative = fullName.hasPrefix(prefix) ? String(fullName.dropFirst(prefix.count)) : fullName
        return namespace(file.package) + "." + relative
    }

    static func type(_ message: Descriptor) -> String { qualified(fullName: message.fullName, file: message.file) }
    static func type(_ enumeration: EnumDescriptor) -> String {
        qualified(fullName: enumeration.fullName, file: enumeration.file)
    }

    /// `share_percent` → `sharePercent`, escaped when it is a Swift keyword.
    static func property(_ protoName: String) -> String {
        escaped(lowerCamel(protoName))
    }

    /// Oneof type name: `message_request` → `MessageRequest`.
    static func oneofType(_ oneof: OneofDescriptor) -> String { upperFirst(lowerCamel(oneof.name)) }

    /// Enum case: the enum's upper-snake prefix is dropped, `RISK_LEVEL_INSUFFICIENT_DATA` → `insufficientData`.
    static func enumCase(_ value: EnumValueDescriptor) -> String {
        let prefix = upperSnake(value.enumType.name) + "_"
        var name = value.name
        if name.hasPrefix(prefix), let first = name.dropFirst(prefix.count).first, !first.isNumber {
            name = String(name.dropFirst(prefix.count))
        }
        return escaped(lowerCamel(name.lowercased()))
    }

    static func escaped(_ name: String) -> String { keywords.contains(name) ? "`\(name)`" : name }

    static func lowerCamel(_ snake: String) -> String {
        var result = ""
        var upperNext = false
        for character in snake {
            if character == "_" {
                upperNext = !result.isEmpty
            } else if upperNext {
                result += character.uppercased()
                upperNext = false
            } else {
                result.append(character)
            }
        }
        guard let first = result.first else { return result }
        return first.lowercased() + result.dropFirst()
    }

    static func upperFirst(_ string: String) -> String {
        guard let first = string.first else { return string }
        return first.uppercased() + string.dropFirst()
    }

    private static func upperSnake(_ camel: String) -> String {
        var result = ""
        var previousLower = false
        for character in camel {
            if character.isUppercase, previousLower { result += "_" }
            result += character.uppercased()
            previousLower = character.isLowercase || character.isNumber
        }
        return result
    }
}
