internal import Foundation
package import Contracts
package import ProtoJSON
package import RPCCore

/// One REST operation: an HTTP method and path template bound to a `gateway.v1` RPC. The request message is
/// assembled from the JSON body, the path parameters and the query parameters (dotted field paths such as
/// `filter.inn` or `page.page_size`, repeated by repeating the parameter), as grpc-gateway does.
package struct RESTRoute: Sendable {
    package enum Answer: Sendable {
        /// One JSON object.
        case json
        /// Server-Sent Events, one `progress` event per message.
        case events
        /// A file: the first chunk names the content type and file name.
        case download
    }

    package let httpMethod: String
    /// `/api/v1/jobs/{job_id}`; a `{name}` segment binds the request field `name`.
    package let template: String
    package let rpc: MethodDescriptor
    package let request: MessageSchema
    package let response: MessageSchema
    package let body: Body
    package let answer: Answer
    package let successStatus: Int
    package let summary: String
    /// Request headers that set a field when the body does not, e.g. `Idempotency-Key` → `idempotency_key`.
    package let headers: [(header: String, field: String)]

    package enum Body: Sendable {
        case none, optional, required
    }

    package static func route<M: ProtoMethod>(
        _ httpMethod: String, _ template: String, _ method: M.Type, body: Body = .none, answer: Answer = .json,
        status: Int = 200, headers: [(header: String, field: String)] = [], _ summary: String
    ) -> RESTRoute {
        RESTRoute(
            httpMethod: httpMethod, template: template, rpc: M.descriptor,
            request: SchemaRegistry.shared.schema(for: M.Input.self), response: SchemaRegistry.shared.schema(for: M.Output.self),
            body: body, answer: answer, successStatus: status, summary: summary, headers: headers)
    }

    package var segments: [Substring] { template.split(separator: "/") }

    /// The path parameters when `path` matches the template.
    package func match(_ path: [Substring]) -> [String: String]? {
        let pattern = segments
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix("{") {
                guard !actual.isEmpty else { return nil }
                parameters[String(expected.dropFirst().dropLast())] = String(actual).removingPercentEncoding ?? String(actual)
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }

    /// `rpc.service/method` without the package, e.g. `Analyses/Submit`.
    package var rpcName: String {
        String(rpc.service.dropFirst(AccessPolicy.gatewayPackage.count)) + "/" + rpc.method
    }
}

/// Builds a request message's JSON from the parts of an HTTP request.
package enum RESTBinding {
    /// Merges the body, path and query parameters into one JSON object for `schema`; a value given twice
    /// (in the path and the body) is an error rather than a silent choice. `headers` (field, value) only fill
    /// fields that are still unset.
    package static func request(
        schema: MessageSchema, body: JSONValue?, path: [String: String], query: [(String, String)], headers: [(String, String)] = []
    ) throws(TranscodeError) -> JSONValue {
        var object: [(String, JSONValue)] = []
        if let body {
            guard case .object(let members) = body else { throw TranscodeError("", "the body must be a JSON object") }
            object = members
        }
        var grouped: [String: [String]] = [:]
        var order: [String] = []
        for (name, value) in query {
            if grouped[name] == nil { order.append(name) }
            grouped[name, default: []].append(value)
        }
        for (name, value) in path.sorted(by: { $0.key < $1.key }) {
            try set(&object, path: [name], values: [value], schema: schema, source: "path parameter")
        }
        for name in order {
            try set(&object, path: name.split(separator: ".").map(String.init), values: grouped[name] ?? [], schema: schema, source: "query parameter")
        }
        for (name, value) in headers {
            guard let field = schema.field(named: name), !object.contains(where: { $0.0 == field.name || $0.0 == field.jsonName }) else { continue }
            try set(&object, path: [name], values: [value], schema: schema, source: "header")
        }
        return .object(object)
    }

    private static func set(
        _ object: inout [(String, JSONValue)], path: [String], values: [String], schema: MessageSchema, source: String
    ) throws(TranscodeError) {
        let dotted = path.joined(separator: ".")
        guard let name = path.first, let field = schema.field(named: name) else {
            throw TranscodeError(dotted, "unknown \(source); known fields: \(schema.fields.map(\.name).joined(separator: ", "))")
        }
        if path.count > 1 {
            guard field.kind == .message, !field.isRepeated, let child = field.messageName.flatMap(SchemaRegistry.shared.schema(named:)) else {
                throw TranscodeError(dotted, "\(name) has no fields")
            }
            var nested: [(String, JSONValue)] = []
            if let index = object.firstIndex(where: { $0.0 == field.name || $0.0 == field.jsonName }) {
                guard case .object(let members) = object[index].1 else { throw TranscodeError(dotted, "given twice") }
                nested = members
                object.remove(at: index)
            }
            do throws(TranscodeError) {
                try set(&nested, path: Array(path.dropFirst()), values: values, schema: child, source: source)
            } catch {
                throw error.under(name)
            }
            object.append((field.name, .object(nested)))
            return
        }
        guard !object.contains(where: { $0.0 == field.name || $0.0 == field.jsonName }) else {
            throw TranscodeError(dotted, "given twice (in the body and as a \(source))")
        }
        guard field.kind != .message else { throw TranscodeError(dotted, "is a message; set its fields as \(dotted).<field>") }
        let converted = try values.map { value throws(TranscodeError) in try scalar(value, field) }
        if field.isRepeated {
            // `levels=A,B` and `levels=A&levels=B` both work, and a path segment lists several the same way
            // (`/reports/r1,r2`); free text in the query is kept whole, commas and all.
            let splits = field.kind != .string || source == "path parameter"
            let split = converted.flatMap { value -> [JSONValue] in
                if case .string(let text) = value, splits {
                    return text.split(separator: ",", omittingEmptySubsequences: false).map { .string(String($0)) }
                }
                return [value]
            }
            object.append((field.name, .array(split)))
        } else {
            guard converted.count == 1, let value = converted.first else { throw TranscodeError(dotted, "given \(converted.count) times") }
            object.append((field.name, value))
        }
    }

    private static func scalar(_ value: String, _ field: MessageSchema.Field) throws(TranscodeError) -> JSONValue {
        guard field.kind == .bool else { return .string(value) }
        switch value.lowercased() {
        case "true", "1", "yes", "": return .bool(true)
        case "false", "0", "no": return .bool(false)
        default: throw TranscodeError(field.name, "expected true or false, got \(value.debugDescription)")
        }
    }
}
