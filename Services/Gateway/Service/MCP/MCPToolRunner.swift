internal import Contracts
internal import Foundation
internal import MCP
internal import ProtoJSON
internal import RPCCore

/// Who an MCP session acts for: the key that opened it, as presented, so each tool call is a gateway
/// operation made with that key.
struct MCPCaller: Sendable {
    var caller: Caller
    var authorization: String
    var peer: String
    var sessionID: String
}

/// Makes the MCP server of one session: tools over gateway operations, the provider specs and reports as
/// resources, and prompts that steer an agent through a check.
struct MCPToolRunner: Sendable {
    private let operations: GatewayOperations
    private let version: String
    private let toolList: [Tool]

    init(operations: GatewayOperations, version: String) {
        self.operations = operations
        self.version = version
        toolList = MCPTools.all.map(Self.descriptor)
    }

    func server(for caller: MCPCaller) async -> Server {
        let server = Server(
            name: "client-analyze", version: version, title: "Client Analyze",
            instructions: MCPPrompts.instructions,
            capabilities: .init(prompts: .init(listChanged: false), resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)))
        let visible = zip(MCPTools.all, toolList).filter { AccessPolicy.allows(caller.caller.role, $0.0.policyName) }.map(\.1)
        let resources = MCPResources(operations: operations)
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: visible) }
        // tools/call is answered by `callTool`, which the session's transport calls directly.
        await server.withMethodHandler(ListResources.self) { _ in .init(resources: resources.list) }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in .init(templates: resources.templates) }
        await server.withMethodHandler(ReadResource.self) { parameters in
            try await resources.read(parameters.uri, as: Self.operationCaller(caller, tool: "resources/read"))
        }
        await server.withMethodHandler(ListPrompts.self) { _ in .init(prompts: MCPPrompts.all) }
        await server.withMethodHandler(GetPrompt.self) { parameters in try MCPPrompts.get(parameters.name, arguments: parameters.arguments ?? [:]) }
        return server
    }

    // MARK: Tools

    private static func descriptor(_ tool: MCPTool) -> Tool {
        Tool(
            name: tool.name, title: tool.title, description: tool.description, inputSchema: tool.inputSchema.mcpValue,
            annotations: .init(
                title: tool.title, readOnlyHint: tool.readOnly, destructiveHint: tool.name == "cancel_job",
                idempotentHint: tool.readOnly, openWorldHint: ["analyze_company", "lookup_source"].contains(tool.name)),
            outputSchema: MCPSchemas.output(tool.output).mcpValue)
    }

    private static func operationCaller(_ caller: MCPCaller, tool: String) -> OperationCaller {
        OperationCaller(
            authorization: caller.authorization, peer: caller.peer, requestID: UUID().uuidString.lowercased(),
            metadata: [("x-mcp-tool", tool), ("x-mcp-session", caller.sessionID)])
    }

    /// A `tools/call` request, answered without the SDK's server: it re-encodes every result through
    /// `Codable` three times, which cost a report's answer about 3 ms. The answer is the JSON-RPC response;
    /// `emit` sends the call's progress notifications. A tool whose arguments or call fail answers a result
    /// with `isError` naming what was wrong (the agent can correct its arguments); only a tool that does not
    /// exist is a protocol error.
    func callTool(_ body: Data, as caller: MCPCaller, emit: @escaping @Sendable (Data) async -> Void) async -> Data {
        let request = (try? JSONValue.parse(Array(body))) ?? .null
        let id = request["id"] ?? .null
        let parameters = request["params"]
        guard let name = parameters?["name"]?.stringValue, let tool = MCPTools.all.first(where: { $0.name == name }) else {
            let name = parameters?["name"]?.stringValue ?? ""
            return Self.response(id, error: -32602, "Unknown tool: \(name); tools/list names the tools this key may call")
        }
        let arguments = parameters?["arguments"] ?? .object([])
        if let problem = MCPSchemas.check(arguments, against: tool.inputSchema) {
            return Self.response(id, result: Self.failure(.invalidRequest(problem)))
        }
        let who = Self.operationCaller(caller, tool: tool.name)
        do throws(OperationFailure) {
            let answer: JSONValue
            if tool.name == "analyze_company" {
                answer = try await analyze(arguments, tool: tool, as: who, progress: progress(parameters?["_meta"]?["progressToken"], emit: emit))
            } else {
                answer = try await operations.call(tool.operation, tool.request(arguments), as: who)
            }
            return Self.response(id, result: Self.success(answer, summary: tool.summary(answer)))
        } catch {
            return Self.response(id, result: Self.failure(error))
        }
    }

    /// Submit, then (unless `wait` is false) follow the job's events, sending each as a progress notification,
    /// and answer with the job and its report.
    private func analyze(
        _ arguments: JSONValue, tool: MCPTool, as caller: OperationCaller, progress: @escaping @Sendable (JSONValue) async -> Void
    ) async throws(OperationFailure) -> JSONValue {
        let submitted = try await operations.call(tool.operation, tool.request(arguments), as: caller)
        guard arguments["wait"] != .bool(false), let jobID = submitted["job"]?["id"]?.stringValue else { return submitted }
        try await operations.stream(MCPTools.watchJob, .object([("job_id", .string(jobID))]), as: caller, each: progress)
        let job = try await operations.call(MCPTools.getJob, .object([("job_id", .string(jobID))]), as: caller)
        var answer: [(String, JSONValue)] = [("job", job["job"] ?? .null)]
        if let created = submitted["created"] { answer.append(("created", created)) }
        guard job["job"]?["state"]?.stringValue == "JOB_STATE_SUCCEEDED", let reportID = job["job"]?["report_id"]?.stringValue else {
            let state = job["job"]?["state"]?.stringValue ?? "?"
            let error = job["job"]?["error"]?.stringValue ?? ""
            throw .status(RPCStatus(code: .aborted, message: "job \(jobID) ended \(state)\(error.isEmpty ? "" : ": \(error)")"))
        }
        let report = try await operations.call(MCPTools.getReport, .object([("id", .string(reportID))]), as: caller)
        answer.append(("report", report["report"] ?? .null))
        return .object(answer)
    }

    /// Each job event as `notifications/progress` for `token` (none without one).
    private func progress(_ token: JSONValue?, emit: @escaping @Sendable (Data) async -> Void) -> @Sendable (JSONValue) async -> Void {
        guard let token, token != .null else { return { _ in } }
        return { event in
            var message = MCPTools.stageName(event["stage"]?.stringValue)
            if let text = event["message"]?.stringValue, !text.isEmpty { message += ": \(text)" }
            let notification: JSONValue = .object([
                ("jsonrpc", .string("2.0")), ("method", .string("notifications/progress")),
                ("params", .object([
                    ("progressToken", token), ("progress", .number(event["percent"]?.doubleValue ?? 0)), ("total", .number(100)),
                    ("message", .string(message)),
                ])),
            ])
            await emit(Data(notification.text.utf8))
        }
    }

    private static func response(_ id: JSONValue, result: JSONValue) -> Data {
        Data(JSONValue.object([("jsonrpc", .string("2.0")), ("id", id), ("result", result)]).text.utf8)
    }

    private static func response(_ id: JSONValue, error code: Int64, _ message: String) -> Data {
        let error: JSONValue = .object([("code", .integer(code)), ("message", .string(message))])
        return Data(JSONValue.object([("jsonrpc", .string("2.0")), ("id", id), ("error", error)]).text.utf8)
    }

    private static func success(_ answer: JSONValue, summary: String) -> JSONValue {
        .object([
            ("content", .array([text(summary), text(answer.text)])), ("structuredContent", answer), ("isError", .bool(false)),
        ])
    }

    private static func failure(_ failure: OperationFailure) -> JSONValue {
        .object([("content", .array([text("\(failure.code): \(failure.message)")])), ("isError", .bool(true))])
    }

    private static func text(_ text: String) -> JSONValue {
        .object([("type", .string("text")), ("text", .string(text))])
    }
}

extension JSONValue {
    /// The same document as the MCP SDK's `Value`.
    var mcpValue: Value {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .integer(let value): .int(Int(value))
        case .unsigned(let value): value <= UInt64(Int.max) ? .int(Int(value)) : .double(Double(value))
        case .number(let value): .double(value)
        case .string(let value): .string(value)
        case .array(let values): .array(values.map(\.mcpValue))
        case .object(let members): .object(Dictionary(members.map { ($0.0, $0.1.mcpValue) }) { _, last in last })
        }
    }
}
