package import ProtoJSON

/// JSON Schemas of tool answers, made from the response messages (as the REST API's OpenAPI document is, so
/// the two cannot disagree), and the check of tool arguments against a tool's input schema.
package enum MCPSchemas {
    /// An object schema with the fields of every message in `messages`; nested messages are `$defs`.
    package static func output(_ messages: [MessageSchema]) -> JSONValue {
        var collector = OpenAPIDocument.SchemaCollector()
        for message in messages { collector.collect(message) }
        var properties: [(String, JSONValue)] = []
        for message in messages {
            for field in message.fields where !properties.contains(where: { $0.0 == field.name }) {
                properties.append((field.name, OpenAPIDocument.fieldSchema(field, singular: false)))
            }
        }
        let definitions = collector.schemas
        var members: [(String, JSONValue)] = [("type", .string("object")), ("properties", .object(properties))]
        if !definitions.isEmpty { members.append(("$defs", .object(definitions))) }
        return relocated(.object(members))
    }

    /// OpenAPI's `#/components/schemas/X` references become `#/$defs/X`.
    private static func relocated(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text) where text.hasPrefix("#/components/schemas/"):
            .string("#/$defs/" + text.dropFirst("#/components/schemas/".count))
        case .array(let values): .array(values.map(relocated))
        case .object(let members): .object(members.map { ($0.0, relocated($0.1)) })
        default: value
        }
    }

    /// What is wrong with `value` under `schema` (the subset of JSON Schema the tool table uses: type,
    /// properties, required, additionalProperties, enum, pattern, minimum/maximum, items, minItems/maxItems),
    /// naming the argument; nil when it fits.
    package static func check(_ value: JSONValue, against schema: JSONValue, at path: String = "") -> String? {
        let name = path.isEmpty ? "the arguments" : "argument \(path)"
        switch schema["type"]?.stringValue {
        case "object":
            guard case .object(let members) = value else { return "\(name): expected an object" }
            let properties = schema["properties"]?.members ?? []
            if case .array(let required)? = schema["required"] {
                for case .string(let key) in required where !members.contains(where: { $0.0 == key }) {
                    return "argument \(path.isEmpty ? key : "\(path).\(key)"): required"
                }
            }
            for (key, member) in members {
                let inner = path.isEmpty ? key : "\(path).\(key)"
                guard let property = properties.first(where: { $0.0 == key })?.1 else {
                    if schema["additionalProperties"] == .bool(false) {
                        return "argument \(inner): unknown; the arguments are \(properties.map(\.0).joined(separator: ", "))"
                    }
                    continue
                }
                if let problem = check(member, against: property, at: inner) { return problem }
            }
        case "array":
            guard case .array(let items) = value else { return "\(name): expected an array" }
            if case .integer(let least)? = schema["minItems"], items.count < least { return "\(name): at least \(least) items" }
            if case .integer(let most)? = schema["maxItems"], items.count > most { return "\(name): at most \(most) items" }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() {
                    if let problem = check(item, against: itemSchema, at: "\(path)[\(index)]") { return problem }
                }
            }
        case "string":
            guard case .string(let text) = value else { return "\(name): expected a string" }
            if case .array(let allowed)? = schema["enum"], !allowed.contains(.string(text)) {
                return "\(name): \(text.debugDescription) is not one of \(allowed.compactMap(\.stringValue).joined(separator: ", "))"
            }
            if let pattern = schema["pattern"]?.stringValue, let regex = try? Regex(pattern), (try? regex.wholeMatch(in: text)) == nil {
                return "\(name): \(text.debugDescription) does not match \(pattern)"
            }
        case "integer":
            guard let number = value.doubleValue, number.rounded() == number else { return "\(name): expected an integer" }
            if let least = schema["minimum"]?.doubleValue, number < least { return "\(name): at least \(Int(least))" }
            if let most = schema["maximum"]?.doubleValue, number > most { return "\(name): at most \(Int(most))" }
        case "boolean":
            guard case .bool = value else { return "\(name): expected true or false" }
        default:
            break
        }
        return nil
    }
}
