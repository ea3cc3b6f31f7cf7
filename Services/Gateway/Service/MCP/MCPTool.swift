internal import Contracts
package import ProtoJSON
internal import RPCCore

/// One MCP tool: a gateway operation with an input schema an LLM can act on, how the tool's arguments
/// become the operation's request, and a one-line text of the answer. Tools are listed to a key only when
/// its role may call their operation (the same `AccessPolicy` table that guards gRPC and REST).
package struct MCPTool: Sendable {
    package let name: String
    package let title: String
    package let description: String
    /// JSON Schema of the arguments.
    package let inputSchema: JSONValue
    package let operation: GatewayOperation
    package let readOnly: Bool
    /// The operation's request, from the arguments (already checked against `inputSchema`'s required fields).
    package let request: @Sendable (JSONValue) -> JSONValue
    /// A short Russian/English line about the answer, for the text content.
    package let summary: @Sendable (JSONValue) -> String
    /// Messages whose fields the answer has besides the operation's response (`analyze_company` adds the report).
    package var extraOutput: [MessageSchema] = []

    /// The messages whose fields make up `structuredContent`.
    package var output: [MessageSchema] { [operation.response] + extraOutput }

    /// `service/method` as `AccessPolicy` names it, e.g. `Reports/GetReport`.
    package var policyName: String {
        String(operation.method.service.dropFirst(AccessPolicy.gatewayPackage.count)) + "/" + operation.method.method
    }
}

/// Small builders for JSON values and schemas, so the tool table reads as a table.
enum Schema {
    static let innPattern = "^([0-9]{10}|[0-9]{12})$"

    static func object(_ properties: [(String, JSONValue)], required: [String] = []) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("object")), ("properties", .object(properties))]
        if !required.isEmpty { members.append(("required", .array(required.map { .string($0) }))) }
        members.append(("additionalProperties", .bool(false)))
        return .object(members)
    }

    static func string(_ description: String, pattern: String? = nil, enumeration: [String]? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("string")), ("description", .string(description))]
        if let pattern { members.append(("pattern", .string(pattern))) }
        if let enumeration { members.append(("enum", .array(enumeration.map { .string($0) }))) }
        return .object(members)
    }

    static func integer(_ description: String, minimum: Int64? = nil, maximum: Int64? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("integer")), ("description", .string(description))]
        if let minimum { members.append(("minimum", .integer(minimum))) }
        if let maximum { members.append(("maximum", .integer(maximum))) }
        return .object(members)
    }

    static func boolean(_ description: String) -> JSONValue {
        .object([("type", .string("boolean")), ("description", .string(description))])
    }

    static func array(_ description: String, of items: JSONValue, minItems: Int64? = nil, maxItems: Int64? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("array")), ("description", .string(description)), ("items", items)]
        if let minItems { members.append(("minItems", .integer(minItems))) }
        if let maxItems { members.append(("maxItems", .integer(maxItems))) }
        return .object(members)
    }

    static let inn = string("ИНН компании (10 цифр) или ИП (12 цифр), с верной контрольной суммой. The company's INN.", pattern: innPattern)
    static let sources = ["dadata", "casebook", "infosphere", "tavily", "perplexity"]
}

extension JSONValue {
    /// The object's members, or none.
    var members: [(String, JSONValue)] {
        if case .object(let members) = self { return members }
        return []
    }

    /// The object with only the given keys, renamed: `picking(["id": "report_id"])`.
    func picking(_ names: [String: String]) -> JSONValue {
        .object(members.compactMap { key, value in names[key].map { ($0, value) } })
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var doubleValue: Double? {
        switch self {
        case .number(let value): value
        case .integer(let value): Double(value)
        case .unsigned(let value): Double(value)
        default: nil
        }
    }
}
