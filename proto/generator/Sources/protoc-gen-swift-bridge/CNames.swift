import SwiftProtobufPluginLibrary

/// The names protoc-c gives to C types, functions and struct members; they mirror protoc-c's c_helpers.cc
/// (FullNameToC, FullNameToLower, FieldName) so the Swift side can call what protoc-c emitted.
enum CNames {
    private static let keywords: Set<String> = [
        "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char", "class", "compl",
        "const", "const_cast", "continue", "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
        "explicit", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable",
        "namespace", "new", "not", "not_eq", "operator", "or", "or_eq", "private", "protected", "public", "register",
        "reinterpret_cast", "return", "short", "signed", "sizeof", "static", "static_cast", "struct", "switch",
        "template", "this", "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
        "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
    ]

    /// `Clientanalyze__Common__V1__Founder` for `clientanalyze.common.v1.Founder`.
    static func typeName(_ message: Descriptor) -> String { fullNameToC(message.fullName) }

    /// `clientanalyze__common__v1__founder` for `clientanalyze.common.v1.Founder`.
    static func functionPrefix(_ message: Descriptor) -> String { fullNameToLower(message.fullName) }

    /// The struct member of a field: lower-cased, with `_` appended to C/C++ keywords.
    static func member(_ field: FieldDescriptor) -> String {
        let name = field.name.lowercased()
        return keywords.contains(name) ? name + "_" : name
    }

    /// The member that tells which field of a oneof is set.
    static func caseMember(_ oneof: OneofDescriptor) -> String { oneof.name.lowercased() + "_case" }

    private static func fullNameToC(_ fullName: String) -> String {
        fullName.split(separator: ".").map { toCamel(String($0)) }.joined(separator: "__")
    }

    private static func fullNameToLower(_ fullName: String) -> String {
        fullName.split(separator: ".").map { camelToLower(String($0)) }.joined(separator: "__")
    }

    private static func toCamel(_ name: String) -> String {
        var result = ""
        var nextIsUpper = true
        for character in name {
            if character == "_" {
                nextIsUpper = true
            } else if nextIsUpper {
                result += character.uppercased()
                nextIsUpper = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static func camelToLower(_ name: String) -> String {
        var result = ""
        var wasUpper = true
        for character in name {
            let isUpper = character.isASCII && character.isUppercase
            if isUpper {
                if !wasUpper { result += "_" }
                result += character.lowercased()
            } else {
                result.append(character)
            }
            wasUpper = isUpper
        }
        return result
    }
}
