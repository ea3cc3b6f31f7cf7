internal import Contracts
internal import Foundation
package import Hummingbird
internal import HummingbirdCore
internal import HTTPTypes
package import Logging
internal import NIOCore
internal import ProtoJSON
package import RPCCore
package import ServiceKit
package import ServiceTLS

/// The REST/JSON API under `/api/v1`: each route becomes a call of the gateway's own `gateway.v1` RPC,
/// served in-process, so keys, roles, rate limits, validation, audit, logs and metrics are the ones gRPC
/// callers get. Answers are JSON, Server-Sent Events or file downloads; errors the JSON error body.
package struct RESTServer: Sendable {
    private let local: LocalCalls
    private let settings: @Sendable () -> GatewaySettings
    private let routes: [RESTRoute]
    private let openAPI: String
    private let mcp: MCPEndpoint?
    private let web: WebApp?

    package init(
        local: LocalCalls, settings: @escaping @Sendable () -> GatewaySettings, version: String, mcp: MCPEndpoint? = nil, web: WebApp? = nil
    ) {
        self.local = local
        self.settings = settings
        self.mcp = mcp
        self.web = web
        routes = RESTRoutes.all
        openAPI = OpenAPIDocument.make(routes: RESTRoutes.all, version: version).text
    }

    /// - Parameter tls: serves HTTPS only when set.
    package func application(
        host: String, port: Int, tls: ServerTLS? = nil, logger: Logger, onListening: @escaping @Sendable (String, Int) -> Void
    ) -> some ApplicationProtocol {
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [ExpectContinueHandler()])
        return Application(
            responder: RESTResponder(server: self),
            server: tls.map { .http1(configuration: http1, tls: $0) } ?? .http1(configuration: http1),
            configuration: .init(address: .hostname(host, port: port), serverName: "client-analyze-gateway"),
            onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? port) },
            logger: logger)
    }

    struct RESTResponder: HTTPResponder {
        let server: RESTServer

        func respond(to request: Request, context: RESTContext) async throws -> Response {
            await server.respond(to: request, context: context)
        }
    }

    // MARK: Requests

    func respond(to request: Request, context: RESTContext) async -> Response {
        let requestID = Self.requestID(request.headers[.init("x-request-id")!])
        var response = await answer(request, context: context, requestID: requestID)
        decorate(&response, request: request, requestID: requestID)
        return response
    }

    private func answer(_ request: Request, context: RESTContext, requestID: String) async -> Response {
        let path = request.uri.path
        let settings = settings()
        if request.method == .options { return preflight(request, settings: settings, requestID: requestID) }
        if path == "/api/v1/openapi.json" || path == "/api/v1/openapi.json/" {
            guard request.method == .get || request.method == .head else {
                return error(405, "METHOD_NOT_ALLOWED", "only GET", requestID: requestID)
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: openAPI)))
        }
        if path == "/mcp", let mcp {
            return await front(request, context: context, surface: "mcp", settings: settings, requestID: requestID) { body, peer in
                await mcp.respond(to: request, body: body, peer: peer, requestID: requestID)
            }
        }
        if let web, settings.webEnabled, path != "/api/v1", !path.hasPrefix("/api/v1/") {
            return await front(request, context: context, surface: "web", settings: settings, requestID: requestID) { body, peer in
                await web.respond(to: request, body: body, peer: peer, requestID: requestID)
            }
        }
        let segments = path.split(separator: "/")
        var allowed: [String] = []
        for route in routes {
            guard let parameters = route.match(segments) else { continue }
            guard route.httpMethod == request.method.rawValue else {
                allowed.append(route.httpMethod)
                continue
            }
            return await call(route, parameters: parameters, request: request, context: context, settings: settings, requestID: requestID)
        }
        if !allowed.isEmpty {
            var response = error(405, "METHOD_NOT_ALLOWED", "\(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: ", "))", requestID: requestID)
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
        return error(404, "NOT_FOUND", "no such endpoint: \(request.method.rawValue) \(path); see /api/v1/openapi.json", requestID: requestID)
    }

    private func call(
        _ route: RESTRoute, parameters: [String: String], request: Request, context: RESTContext, settings: GatewaySettings, requestID: String
    ) async -> Response {
        let message: [UInt8]
        do {
            var body: JSONValue?
            if route.body != .none {
                let buffer: ByteBuffer
                switch await self.body(of: request, settings: settings, requestID: requestID) {
                case .success(let read): buffer = read
                case .failure(let refusal): return refusal.response
                }
                if buffer.readableBytes > 0 {
                    let type = request.headers[.contentType] ?? ""
                    guard type.lowercased().hasPrefix("application/json") else {
                        return error(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json, got \(type.isEmpty ? "no content type" : type)", requestID: requestID)
                    }
                    body = try JSONValue.parse(buffer.readableBytesView)
                }
            }
            let query = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            let headers = route.headers.compactMap { binding in
                HTTPField.Name(binding.header).flatMap { request.headers[$0] }.map { (binding.field, $0) }
            }
            let json = try RESTBinding.request(schema: route.request, body: body, path: parameters, query: query, headers: headers)
            message = try ProtoJSON.encodeWire(json, schema: route.request)
        } catch {
            return self.error(400, "INVALID_ARGUMENT", error.description, requestID: requestID)
        }

        var metadata = Metadata()
        metadata.add("x-request-id", requestID)
        var surface = "rest"
        var session: WebSessions.Session?
        if let authorization = request.headers[.authorization] {
            metadata.add("authorization", authorization)
        } else if let web, settings.webEnabled, web.hasSessionCookie(request) {
            // A call from the web app: the session's key, and for a change its CSRF token.
            switch web.apiSession(request) {
            case .success(let live):
                metadata.add("authorization", live.authorization)
                session = live
            case .failure(let refusal): return error(refusal.status, refusal.code, refusal.message, requestID: requestID)
            }
            surface = "web"
        }
        if let traceparent = request.headers[.init("traceparent")!] { metadata.add("traceparent", traceparent) }
        let peer = Self.peer(context, surface)
        let deadline: ContinuousClock.Instant? = route.rpc.kind == .unary ? .now + settings.defaultTimeout : nil
        let call = LocalCall(local: local, path: route.rpc.path, metadata: metadata, deadline: deadline, peer: peer, message: message)

        let response: Response
        switch route.answer {
        case .json: response = await json(call, route: route, requestID: requestID)
        case .events: response = await events(call, route: route, requestID: requestID)
        case .download: response = await download(call, route: route, requestID: requestID)
        }
        // The session's key was revoked (or expired): the session ends with it.
        if let session, response.status == .unauthorized { web?.end(session) }
        return response
    }

    /// A front end sharing the REST port (`/mcp`, the web app): it gets the body, read under
    /// `rest.max_body_bytes` like every REST body, and the client's peer name for its logs and audit.
    private func front(
        _ request: Request, context: RESTContext, surface: String, settings: GatewaySettings, requestID: String,
        _ respond: (ByteBuffer, String) async -> Response
    ) async -> Response {
        switch await body(of: request, settings: settings, requestID: requestID) {
        case .success(let body): return await respond(body, Self.peer(context, surface))
        case .failure(let refusal): return refusal.response
        }
    }

    /// How logs and the audit name the client: `rest:10.0.0.7:41000`, `mcp:…`, `web:…`.
    private static func peer(_ context: RESTContext, _ surface: String) -> String {
        context.remoteAddress.map { "\(surface):\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? surface
    }

    private func json(_ call: LocalCall, route: RESTRoute, requestID: String) async -> Response {
        var message: [UInt8]?
        for await part in call.parts() {
            switch part {
            case .metadata: continue
            case .message(let bytes): message = bytes
            case .status(let status, let trailers):
                guard status.code == .ok, let message else { return failure(status, trailers, requestID: requestID) }
                do {
                    let json = try ProtoJSON.encode(message[...], schema: route.response)
                    return Response(
                        status: .init(code: route.successStatus), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: json.text)))
                } catch {
                    return self.error(500, "INTERNAL", "the answer could not be written as JSON", requestID: requestID)
                }
            }
        }
        return error(500, "INTERNAL", "the call ended without a status", requestID: requestID)
    }

    /// The first response message, or the answer to give instead: the call's error, or 204 for a stream that
    /// ended OK without messages. Streams wait for it before answering, so that a bad request still gets its
    /// proper status rather than a 200 with a broken body.
    private func firstMessage(_ parts: AsyncStream<RPCResponsePart>, requestID: String) async -> Result<[UInt8], ImmediateAnswer> {
        for await part in parts {
            switch part {
            case .metadata: continue
            case .message(let bytes): return .success(bytes)
            case .status(let status, let trailers):
                return .failure(ImmediateAnswer(status.code == .ok ? Response(status: .noContent) : failure(status, trailers, requestID: requestID)))
            }
        }
        return .failure(ImmediateAnswer(error(500, "INTERNAL", "the call ended without a status", requestID: requestID)))
    }

    struct ImmediateAnswer: Error {
        let response: Response
        init(_ response: Response) { self.response = response }
    }

    private func download(_ call: LocalCall, route: RESTRoute, requestID: String) async -> Response {
        let parts = call.parts()
        let first: GatewayV1.DownloadChunk
        switch await firstMessage(parts, requestID: requestID) {
        case .failure(let answer): return answer.response
        case .success(let bytes):
            guard let chunk = try? GatewayV1.DownloadChunk(serializedBytes: bytes) else {
                return error(500, "INTERNAL", "malformed download chunk", requestID: requestID)
            }
            first = chunk
        }
        var headers: HTTPFields = [.contentType: first.contentType.isEmpty ? "application/octet-stream" : first.contentType]
        if !first.fileName.isEmpty { headers[.contentDisposition] = "attachment; filename=\"\(first.fileName)\"" }
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(bytes: first.data))
            // The same stream, read on from where `firstMessage` stopped.
            for await part in parts {
                switch part {
                case .message(let bytes): try await writer.write(ByteBuffer(bytes: try GatewayV1.DownloadChunk(serializedBytes: bytes).data))
                case .status(let status, _) where status.code != .ok:
                    // The headers are gone: end the body early; the client sees a short file and a reset.
                    throw DownloadAborted(status: status)
                default: continue
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    struct DownloadAborted: Error {
        var status: RPCStatus
    }

    /// Progress as Server-Sent Events: `id` is the event's sequence (resume with `Last-Event-ID`), `event`
    /// is `progress`, then one `end` (or `error`) event.
    private func events(_ call: LocalCall, route: RESTRoute, requestID: String) async -> Response {
        let parts = call.parts()
        let first: [UInt8]
        switch await firstMessage(parts, requestID: requestID) {
        case .failure(let answer): return answer.response
        case .success(let bytes): first = bytes
        }
        let schema = route.response
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: Self.event(first, schema: schema)))
            for await part in parts {
                switch part {
                case .metadata: continue
                case .message(let bytes): try await writer.write(ByteBuffer(string: Self.event(bytes, schema: schema)))
                case .status(let status, _):
                    let payload = HTTPStatusMapping.body(code: status.code.name, message: status.message, requestID: requestID)
                    let name = status.code == .ok ? "end" : "error"
                    try await writer.write(ByteBuffer(string: "event: \(name)\ndata: \(status.code == .ok ? "{}" : payload.text)\n\n"))
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .init("x-accel-buffering")!: "no"], body: body)
    }

    private static func event(_ bytes: [UInt8], schema: MessageSchema) -> String {
        guard let json = try? ProtoJSON.encode(bytes[...], schema: schema) else { return "event: error\ndata: {}\n\n" }
        var sequence = ""
        if case .integer(let value)? = json["sequence"] { sequence = "id: \(value)\n" }
        return "\(sequence)event: progress\ndata: \(json.text)\n\n"
    }

    // MARK: Answers

    private func failure(_ status: RPCStatus, _ trailers: Metadata, requestID: String) -> Response {
        var response = error(HTTPStatusMapping.status(for: status.code), status.code.name, status.message, requestID: requestID)
        if let retry = trailers.string("retry-after") { response.headers[.retryAfter] = retry }
        if status.code == .unauthenticated { response.headers[.wwwAuthenticate] = "Bearer realm=\"client-analyze\"" }
        return response
    }

    private func error(_ status: Int, _ code: String, _ message: String, requestID: String) -> Response {
        Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: HTTPStatusMapping.body(code: code, message: message, requestID: requestID).text)))
    }

    /// Why a body was not read: the answer to give.
    struct BodyRefusal: Error {
        let response: Response
    }

    /// The request's body, up to `rest.max_body_bytes` (413 above it).
    private func body(of request: Request, settings: GatewaySettings, requestID: String) async -> Result<ByteBuffer, BodyRefusal> {
        do {
            return .success(try await request.body.collect(upTo: settings.maxBodyBytes))
        } catch let problem as HTTPError where problem.status == .contentTooLarge {
            return .failure(BodyRefusal(response: tooLarge(settings, requestID: requestID)))
        } catch is NIOTooManyBytesError {
            return .failure(BodyRefusal(response: tooLarge(settings, requestID: requestID)))
        } catch {
            return .failure(BodyRefusal(response: self.error(400, "INVALID_ARGUMENT", "cannot read the body: \(error)", requestID: requestID)))
        }
    }

    /// 413: the body is over `rest.max_body_bytes` (Hummingbird's server and a collected stream say so with
    /// different errors).
    private func tooLarge(_ settings: GatewaySettings, requestID: String) -> Response {
        error(413, "PAYLOAD_TOO_LARGE", "the body is larger than \(settings.maxBodyBytes) bytes (rest.max_body_bytes)", requestID: requestID)
    }

    /// CORS preflight: allowed only for configured origins.
    private func preflight(_ request: Request, settings: GatewaySettings, requestID: String) -> Response {
        guard let origin = request.headers[.origin], settings.allowedOrigins.contains(origin) else {
            return error(403, "PERMISSION_DENIED", "cross-origin requests are not allowed from this origin (rest.cors_origins)", requestID: requestID)
        }
        return Response(status: .noContent, headers: [
            .accessControlAllowMethods: "GET, POST, DELETE, OPTIONS",
            .accessControlAllowHeaders: "authorization, content-type, idempotency-key, x-request-id, last-event-id",
            .accessControlMaxAge: "600",
        ])
    }

    /// Headers every answer carries: the request id, security headers, and CORS for allowed origins.
    private func decorate(_ response: inout Response, request: Request, requestID: String) {
        response.headers[.init("x-request-id")!] = requestID
        response.headers[.init("x-content-type-options")!] = "nosniff"
        response.headers[.init("x-frame-options")!] = "DENY"
        response.headers[.init("referrer-policy")!] = "no-referrer"
        // The web app's answers set their own (its pages load their scripts and styles, assets are cached).
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'" }
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if let origin = request.headers[.origin], settings().allowedOrigins.contains(origin) {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = "x-request-id, retry-after, content-disposition"
            // Added to what the answer varies on already (assets vary on Accept-Encoding).
            response.headers[.vary] = response.headers[.vary].map { "\($0), Origin" } ?? "Origin"
        }
    }

    /// The caller's request id when it is a sane token, else a new one.
    private static func requestID(_ presented: String?) -> String {
        if let presented, (1...64).contains(presented.utf8.count),
            presented.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f })
        {
            return presented
        }
        return String(UInt64.random(in: .min ... .max), radix: 16)
    }
}

/// The request context of REST calls: Hummingbird's core plus the peer address for logs and the audit log.
struct RESTContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
