internal import Foundation
internal import Hummingbird
internal import HTTPTypes
package import Logging
internal import MCP

private typealias HTTPRequest = MCP.HTTPRequest
private typealias HTTPResponse = MCP.HTTPResponse
internal import NIOCore
internal import RPCCore
package import ServiceKit

/// `/mcp` on the REST port: MCP's Streamable HTTP transport. Every request carries an API key, checked before
/// anything else (so `initialize` needs one too); a session belongs to the key that opened it, and its tool
/// calls are gateway operations made with that key, under the same roles, rate limits and audit as REST and
/// gRPC. Sessions are closed after `mcp.session_idle_timeout` and capped at `mcp.max_sessions`.
package actor MCPEndpoint {
    struct Session {
        let transport: MCPSessionTransport
        let server: Server
        let caller: Caller
        var lastUsed: ContinuousClock.Instant
    }

    private let access: GatewayAccess
    private let tools: MCPToolRunner
    private let settings: @Sendable () -> GatewaySettings
    private let logger: Logger
    private var sessions: [String: Session] = [:]

    package init(access: GatewayAccess, local: LocalCalls, settings: @escaping @Sendable () -> GatewaySettings, version: String, logger: Logger) {
        self.access = access
        self.settings = settings
        self.logger = logger
        tools = MCPToolRunner(
            operations: GatewayOperations(local: local, timeout: { settings().defaultTimeout }), version: version)
    }

    /// The answer to one HTTP request on `/mcp`.
    func respond(to request: Request, body: ByteBuffer, peer: String, requestID: String) async -> Response {
        let settings = settings()
        let authorization = request.headers[.authorization]
        let caller: Caller
        do {
            caller = try await access.authenticate(authorization: authorization, method: "MCP/Connect", peer: peer, requestID: requestID)
        } catch let error as RPCError {
            var response = Self.response(.error(statusCode: error.code == .resourceExhausted ? 429 : 401, .invalidRequest(error.message)))
            if error.code == .unauthenticated {
                response.headers[.wwwAuthenticate] = "Bearer realm=\"client-analyze\", error=\"invalid_token\", error_description=\"\(Self.headerText(error.message))\""
            }
            if let retry = error.metadata.string("retry-after") { response.headers[.retryAfter] = retry }
            return response
        } catch {
            return Self.response(.error(statusCode: 503, .internalError("cannot check the API key: \(error)")))
        }

        guard [.post, .get, .delete].contains(request.method) else {
            var response = Self.response(.error(statusCode: 405, .invalidRequest("Method Not Allowed: \(request.method.rawValue); use POST, GET or DELETE")))
            response.headers[.allow] = "GET, POST, DELETE"
            return response
        }
        let mcpRequest = Self.request(request, body: body)
        if let id = mcpRequest.header(HTTPHeaderName.sessionID) {
            guard var session = sessions[id], !Self.idle(session, settings: settings) else {
                await close(id)
                return Self.response(.error(statusCode: 404, .invalidRequest("Not Found: no such MCP session (it ended or expired); initialize a new one")))
            }
            guard session.caller.keyID == caller.keyID else {
                return Self.response(.error(statusCode: 403, .invalidRequest("Forbidden: the session was opened with another API key")))
            }
            session.lastUsed = .now
            sessions[id] = session
            let answer = await session.transport.handle(mcpRequest)
            if mcpRequest.method == "DELETE", answer.statusCode == 200 { await close(id) }
            return Self.response(answer)
        }
        guard mcpRequest.method == "POST", let data = mcpRequest.body, MCPMessage(data)?.isInitialize == true else {
            return Self.response(.error(statusCode: 400, .invalidRequest("Bad Request: send initialize first, then the \(HTTPHeaderName.sessionID) header it returns")))
        }
        // Idle sessions are closed here, where a new one would take their room, not on every request.
        for (id, session) in sessions where Self.idle(session, settings: settings) { await close(id) }
        guard sessions.count < settings.mcpMaxSessions else {
            return Self.response(.error(statusCode: 503, .internalError("too many open MCP sessions (\(settings.mcpMaxSessions), mcp.max_sessions); close one with DELETE or retry later")))
        }
        return await open(mcpRequest, caller: caller, authorization: authorization ?? "", peer: peer, settings: settings)
    }

    private func open(_ request: HTTPRequest, caller: Caller, authorization: String, peer: String, settings: GatewaySettings) async -> Response {
        let id = UUID().uuidString.lowercased()
        let who = MCPCaller(caller: caller, authorization: authorization, peer: peer, sessionID: id)
        let tools = tools
        let transport = MCPSessionTransport(sessionID: id, validation: Self.validation(settings), logger: logger) { body, emit in
            await tools.callTool(body, as: who, emit: emit)
        }
        let server = await tools.server(for: who)
        do {
            try await server.start(transport: transport)
        } catch {
            return Self.response(.error(statusCode: 500, .internalError("cannot start the MCP session: \(error)")))
        }
        let answer = await transport.handle(request)
        guard answer.statusCode < 300 else {
            await server.stop()
            return Self.response(answer)
        }
        sessions[id] = Session(transport: transport, server: server, caller: caller, lastUsed: .now)
        logger.info("MCP session opened", metadata: ["mcp.session": "\(id)", "key.id": "\(caller.keyID)", "mcp.sessions": "\(sessions.count)"])
        return Self.response(answer)
    }

    private func close(_ id: String) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        await session.server.stop()
        logger.info("MCP session closed", metadata: ["mcp.session": "\(id)", "mcp.sessions": "\(sessions.count)"])
    }

    private static func idle(_ session: Session, settings: GatewaySettings) -> Bool {
        ContinuousClock.now - session.lastUsed > settings.mcpSessionIdleTimeout
    }

    /// Origin and Host against `mcp.allowed_hosts` (DNS rebinding), then Accept, Content-Type and the protocol
    /// version, as the MCP specification asks.
    private static func validation(_ settings: GatewaySettings) -> StandardValidationPipeline {
        let hosts = settings.mcpHosts
        return StandardValidationPipeline(validators: [
            OriginValidator(
                allowedHosts: hosts.flatMap { [$0, "\($0):*"] },
                allowedOrigins: hosts.flatMap { ["http://\($0)", "http://\($0):*", "https://\($0)", "https://\($0):*"] }),
            AcceptHeaderValidator(mode: .sseRequired),
            ContentTypeValidator(),
            ProtocolVersionValidator(),
        ])
    }

    /// A message as a quoted header value: printable ASCII only (RFC 9110), without its quotes.
    static func headerText(_ message: String) -> String {
        String(message.replacingOccurrences(of: "…", with: "...").unicodeScalars
            .filter { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F && $0 != "\"" && $0 != "\\" }
            .map(Character.init))
    }

    // MARK: HTTP adapter

    private static func request(_ request: Request, body: ByteBuffer) -> HTTPRequest {
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = headers[field.name.canonicalName].map { "\($0), \(field.value)" } ?? field.value
        }
        if let authority = request.head.authority { headers[HTTPHeaderName.host] = authority }
        return HTTPRequest(
            method: request.method.rawValue, headers: headers, body: body.readableBytes > 0 ? Data(body.readableBytesView) : nil, path: request.uri.path)
    }

    private static func response(_ answer: HTTPResponse) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        switch answer {
        case .stream(let events, _):
            headers[.init("x-accel-buffering")!] = "no"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                do {
                    for try await event in events { try await writer.write(ByteBuffer(bytes: event)) }
                } catch {}  // the session ended: the stream ends with it
                try await writer.finish(nil)
            })
        default:
            let body = answer.bodyData.map { ByteBuffer(bytes: $0) }
            if body != nil { headers[.contentType] = "application/json" }
            return Response(status: .init(code: answer.statusCode), headers: headers, body: body.map { .init(byteBuffer: $0) } ?? .init())
        }
    }
}
