internal import Foundation
internal import RPCCore
internal import ProtoJSON

/// The OpenAPI 3.1 description of the REST API, made from the route table and the message schemas, so it
/// cannot drift from what the server does. Served at `/api/v1/openapi.json`.
enum OpenAPIDocument {
    static func make(routes: [RESTRoute], version: String) -> JSONValue {
        var schemas = SchemaCollector()
        var paths: [(String, [(String, JSONValue)])] = []
        var operationIDs: [String: Int] = [:]
        for route in routes {
            schemas.collect(route.request)
            schemas.collect(route.response)
            let base = route.rpcName.replacingOccurrences(of: "/", with: "_")
            operationIDs[base, default: 0] += 1
            let operationID = operationIDs[base]! == 1 ? base : "\(base)_\(operationIDs[base]!)"
            let operation = self.operation(route, operationID: operationID)
            let path = route.template
            if let index = paths.firstIndex(where: { $0.0 == path }) {
                paths[index].1.append((route.httpMethod.lowercased(), operation))
            } else {
                paths.append((path, [(route.httpMethod.lowercased(), operation)]))
            }
        }
        var components = schemas.schemas
        components.append(("Error", errorSchema))
        return .object([
            ("openapi", .string("3.1.0")),
            ("info", .object([
                ("title", .string("Client Analyze API")),
                ("version", .string(version)),
                ("description", .string("""
                    Counterparty due diligence for Russian companies. Every operation needs an API key: \
                    `Authorization: Bearer cla_…`. Roles: viewer (read), analyst (also submit, feedback, raw \
                    look-ups), admin (everything). Messages follow the proto3 JSON mapping of the \
                    clientanalyze.gateway.v1 contracts with the .proto field names; lowerCamelCase names, enum \
                    numbers and integers as strings are accepted on input. Errors: \
                    {"error": {"code", "message", "details"}}. What each data provider is asked and how its \
                    answer becomes findings: docs/providers/{dadata,casebook,infosphere,tavily,perplexity}.md in \
                    the repository, also served to AI agents by the MCP endpoint (/mcp) as \
                    clientanalyze://providers/{name}/spec.
                    """)),
            ])),
            ("servers", .array([.object([("url", .string("/"))])])),
            ("security", .array([.object([("bearer", .array([]))])])),
            ("paths", .object(paths.map { ($0.0, .object($0.1)) })),
            ("components", .object([
                ("securitySchemes", .object([
                    ("bearer", .object([("type", .string("http")), ("scheme", .string("bearer")), ("description", .string("An API key, cla_<id>_<secret>."))]))
                ])),
                ("schemas", .object(components)),
            ])),
        ])
    }

    private static func operation(_ route: RESTRoute, operationID: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("operationId", .string(operationID)),
            ("summary", .string(route.summary)),
            ("tags", .array([.string(String(route.rpcName.split(separator: "/")[0]))])),
            ("x-grpc-method", .string(route.rpc.path)),
            ("x-required-role", .string(AccessPolicy.name(AccessPolicy.requiredRole(route.rpcName)))),
        ]
        var parameters: [JSONValue] = []
        let pathNames = route.segments.filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
        for name in pathNames {
            let field = route.request.field(named: name)
            parameters.append(.object([
                ("name", .string(name)), ("in", .string("path")), ("required", .bool(true)),
                ("schema", field.map { fieldSchema($0, singular: true) } ?? .object([("type", .string("string"))])),
            ]))
        }
        if route.body == .none {
            for (name, field) in queryFields(route.request, prefix: "", depth: 0) where !pathNames.contains(name) {
                parameters.append(.object([
                    ("name", .string(name)), ("in", .string("query")), ("required", .bool(false)),
                    ("schema", fieldSchema(field, singular: false)),
                    ("explode", .bool(true)),
                ]))
            }
        }
        for binding in route.headers {
            parameters.append(.object([
                ("name", .string(binding.header)), ("in", .string("header")), ("required", .bool(false)),
                ("schema", route.request.field(named: binding.field).map { fieldSchema($0, singular: true) } ?? .object([("type", .string("string"))])),
            ]))
        }
        if !parameters.isEmpty { members.append(("parameters", .array(parameters))) }
        if route.body != .none {
            members.append(("requestBody", .object([
                ("required", .bool(route.body == .required)),
                ("content", .object([("application/json", .object([("schema", reference(route.request.name))]))])),
            ])))
        }
        let success: JSONValue
        switch route.answer {
        case .json:
            success = .object([
                ("description", .string("OK")),
                ("content", .object([("application/json", .object([("schema", reference(route.response.name))]))])),
            ])
        case .events:
            success = .object([
                ("description", .string("`progress` events (data: a clientanalyze.common.v1.ProgressEvent as JSON, id: its sequence), then `end` or `error`")),
                ("content", .object([("text/event-stream", .object([("schema", .object([("type", .string("string"))]))]))])),
            ])
        case .download:
            success = .object([
                ("description", .string("The file, with Content-Disposition naming it")),
                ("content", .object([("application/octet-stream", .object([("schema", .object([("type", .string("string")), ("contentMediaType", .string("application/octet-stream"))]))]))])),
            ])
        }
        var responses: [(String, JSONValue)] = [(String(route.successStatus), success)]
        for (status, meaning) in [
            ("400", "Invalid argument: the message names the field and the rule"), ("401", "Missing, malformed, unknown or revoked API key"),
            ("403", "The key's role does not allow this"), ("404", "Not found"), ("429", "Rate limit reached; see Retry-After"),
            ("503", "A service behind the gateway is unavailable"), ("504", "The call ran out of its deadline budget"),
        ] {
            responses.append((status, .object([
                ("description", .string(meaning)),
                ("content", .object([("application/json", .object([("schema", reference("Error"))]))])),
            ])))
        }
        members.append(("responses", .object(responses)))
        return .object(members)
    }

    /// Scalar fields settable as query parameters: top-level ones and those of nested messages (`filter.inn`,
    /// `page.page_size`), two levels deep.
    private static func queryFields(_ schema: MessageSchema, prefix: String, depth: Int) -> [(String, MessageSchema.Field)] {
        var result: [(String, MessageSchema.Field)] = []
        for field in schema.fields {
            if field.kind == .message {
                guard !field.isRepeated, depth < 2, let child = field.messageName.flatMap(SchemaRegistry.shared.schema(named:)) else { continue }
                result += queryFields(child, prefix: prefix + field.name + ".", depth: depth + 1)
            } else {
                result.append((prefix + field.name, field))
            }
        }
        return result
    }

    static func reference(_ name: String) -> JSONValue {
        .object([("$ref", .string("#/components/schemas/\(name)"))])
    }

    static func fieldSchema(_ field: MessageSchema.Field, singular: Bool) -> JSONValue {
        let element: JSONValue
        switch field.kind {
        case .string: element = .object([("type", .string("string"))])
        case .bytes: element = .object([("type", .string("string")), ("contentEncoding", .string("base64"))])
        case .bool: element = .object([("type", .string("boolean"))])
        case .int32, .sint32, .sfixed32: element = .object([("type", .string("integer")), ("format", .string("int32"))])
        case .uint32, .fixed32: element = .object([("type", .string("integer")), ("format", .string("int32")), ("minimum", .integer(0))])
        case .int64, .sint64, .sfixed64: element = .object([("type", .string("integer")), ("format", .string("int64"))])
        case .uint64, .fixed64: element = .object([("type", .string("integer")), ("format", .string("int64")), ("minimum", .integer(0))])
        case .double: element = .object([("type", .string("number")), ("format", .string("double"))])
        case .float: element = .object([("type", .string("number")), ("format", .string("float"))])
        case .enum:
            element = .object([
                ("type", .string("string")),
                ("enum", .array((field.enumType?.values ?? []).map { .string($0.name) })),
            ])
        case .message:
            if let entry = ProtoJSON.mapEntrySchema(field), entry.fields.count == 2 {
                return .object([("type", .string("object")), ("additionalProperties", fieldSchema(entry.fields[1], singular: true))])
            }
            element = reference(field.messageName ?? "")
        }
        if field.isRepeated && !singular { return .object([("type", .string("array")), ("items", element)]) }
        return element
    }

    private static let errorSchema: JSONValue = .object([
        ("type", .string("object")),
        ("required", .array([.string("error")])),
        ("properties", .object([
            ("error", .object([
                ("type", .string("object")),
                ("required", .array([.string("code"), .string("message")])),
                ("properties", .object([
                    ("code", .object([("type", .string("string")), ("description", .string("The gRPC status name, e.g. INVALID_ARGUMENT"))])),
                    ("message", .object([("type", .string("string"))])),
                    ("details", .object([("type", .string("array")), ("items", .object([("type", .string("object"))]))])),
                ])),
            ]))
        ])),
    ])

    /// The component schemas of every message reachable from the routes.
    struct SchemaCollector {
        var schemas: [(String, JSONValue)] = []
        private var seen: Set<String> = []

        mutating func collect(_ schema: MessageSchema) {
            guard !schema.isMapEntry, seen.insert(schema.name).inserted else { return }
            var properties: [(String, JSONValue)] = []
            for field in schema.fields {
                properties.append((field.name, fieldSchema(field, singular: false)))
                if field.kind == .message, let child = field.messageName.flatMap(SchemaRegistry.shared.schema(named:)) {
                    if child.isMapEntry {
                        if let value = child.fields.last, value.kind == .message, let nested = value.messageName.flatMap(SchemaRegistry.shared.schema(named:)) {
                            collect(nested)
                        }
                    } else {
                        collect(child)
                    }
                }
            }
            schemas.append((schema.name, .object([("type", .string("object")), ("properties", .object(properties))])))
        }
    }
}
