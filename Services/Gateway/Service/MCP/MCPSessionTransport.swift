internal import Foundation
internal import Logging
internal import MCP
internal import ProtoJSON

/// One MCP session's Streamable HTTP transport. The SDK's `StatefulHTTPServerTransport` keeps every event it
/// ever sent for replay, so a long session (an agent polling reports) grows without bound; and it sends a
/// request's progress notifications to the standalone GET stream, which a client may never open. This one
/// keeps nothing once a response is sent, and answers a POSTed request with an SSE stream that carries the
/// request's own progress notifications (from `tools/call`, see `toolCalls`) and then its response. Other
/// server messages go to the GET stream if one is open. It has no resumption (`Last-Event-ID`): a client that
/// loses a stream repeats the request.
actor MCPSessionTransport: Transport {
    nonisolated let logger: Logger
    nonisolated let sessionID: String
    private let validation: StandardValidationPipeline

    private let incoming: AsyncThrowingStream<Data, any Error>
    private let incomingContinuation: AsyncThrowingStream<Data, any Error>.Continuation
    /// Open request streams by JSON-RPC id.
    private var requestStreams: [String: AsyncThrowingStream<Data, any Error>.Continuation] = [:]
    private var standalone: AsyncThrowingStream<Data, any Error>.Continuation?
    private var initialized = false
    private var terminated = false

    /// Answers `tools/call` requests, which bypass the SDK's server (see `MCPToolRunner.callTool`): the
    /// request body and a way to send progress notifications in, the response out.
    typealias ToolCalls = @Sendable (Data, _ emit: @escaping @Sendable (Data) async -> Void) async -> Data
    private let toolCalls: ToolCalls

    init(sessionID: String, validation: StandardValidationPipeline, logger: Logger, toolCalls: @escaping ToolCalls) {
        self.sessionID = sessionID
        self.validation = validation
        self.toolCalls = toolCalls
        self.logger = logger
        (incoming, incomingContinuation) = AsyncThrowingStream<Data, any Error>.makeStream()
    }

    // MARK: Transport

    func connect() async throws {}

    func disconnect() async { terminate() }

    func receive() -> AsyncThrowingStream<Data, any Error> { incoming }

    func send(_ data: Data) async throws {
        guard !terminated else { throw MCPError.connectionClosed }
        if let id = MCPMessage.responseID(data) {
            send(data, to: id, finishing: true)
        } else {
            standalone?.yieldEvent(data, finishing: false)
        }
    }

    /// A message on request `id`'s stream; the response ends it.
    private func send(_ data: Data, to id: String, finishing: Bool = false) {
        if finishing {
            requestStreams.removeValue(forKey: id)?.yieldEvent(data, finishing: true)
        } else {
            requestStreams[id]?.yieldEvent(data, finishing: false)
        }
    }

    // MARK: HTTP

    /// The answer to one HTTP request of this session (already authenticated and sized by `MCPEndpoint`).
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard !terminated else { return .error(statusCode: 404, .invalidRequest("Not Found: the session has ended")) }
        switch request.method {
        case "POST": return post(request)
        case "GET": return get(request)
        case "DELETE":
            if let problem = validate(request, initializing: false) { return problem }
            terminate()
            return .ok(headers: headers())
        default:
            return .error(statusCode: 405, .invalidRequest("Method Not Allowed: use POST, GET or DELETE"), extraHeaders: ["Allow": "GET, POST, DELETE"])
        }
    }

    private func post(_ request: HTTPRequest) -> HTTPResponse {
        guard let body = request.body, !body.isEmpty else {
            return .error(statusCode: 400, .parseError("Empty request body"), sessionID: sessionID)
        }
        guard let message = MCPMessage(body) else {
            return .error(statusCode: 400, .parseError("Not a JSON-RPC 2.0 message (batches are not supported)"), sessionID: sessionID)
        }
        let initializing = message.isInitialize
        if let problem = validate(request, initializing: initializing) { return problem }
        if initializing {
            guard !initialized else {
                return .error(statusCode: 400, .invalidRequest("Bad Request: the session is already initialized"), sessionID: sessionID)
            }
            initialized = true
        }
        switch message {
        case .request(let id, let method):
            let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
            requestStreams[id] = continuation
            if method == "tools/call" {
                Task {
                    let response = await toolCalls(body) { [weak self] notification in await self?.send(notification, to: id) }
                    await self.send(response, to: id, finishing: true)
                }
            } else {
                incomingContinuation.yield(body)
            }
            return .stream(stream, headers: streamHeaders())
        case .notification, .response:
            incomingContinuation.yield(body)
            return .accepted(headers: headers())
        }
    }

    private func get(_ request: HTTPRequest) -> HTTPResponse {
        if let problem = validate(request, initializing: false) { return problem }
        guard request.header(HTTPHeaderName.accept)?.contains("text/event-stream") == true else {
            return .error(statusCode: 406, .invalidRequest("Not Acceptable: GET opens an event stream; accept text/event-stream"), sessionID: sessionID)
        }
        guard standalone == nil else {
            return .error(statusCode: 409, .invalidRequest("Conflict: this session's event stream is already open"), sessionID: sessionID)
        }
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        continuation.onTermination = { [weak self] _ in
            Task { await self?.standaloneClosed() }
        }
        standalone = continuation
        return .stream(stream, headers: streamHeaders())
    }

    private func standaloneClosed() { standalone = nil }

    private func validate(_ request: HTTPRequest, initializing: Bool) -> HTTPResponse? {
        let context = HTTPValidationContext(
            httpMethod: request.method, sessionID: initializing ? nil : sessionID, isInitializationRequest: initializing,
            supportedProtocolVersions: Version.supported)
        if !initializing, !initialized {
            return .error(statusCode: 400, .invalidRequest("Bad Request: initialize the session first"), sessionID: sessionID)
        }
        return validation.validate(request, context: context)
    }

    private func headers() -> [String: String] { [HTTPHeaderName.sessionID: sessionID] }

    private func streamHeaders() -> [String: String] {
        [HTTPHeaderName.sessionID: sessionID, HTTPHeaderName.contentType: "text/event-stream", HTTPHeaderName.cacheControl: "no-cache, no-transform"]
    }

    private func terminate() {
        guard !terminated else { return }
        terminated = true
        for continuation in requestStreams.values { continuation.finish() }
        requestStreams = [:]
        standalone?.finish()
        standalone = nil
        incomingContinuation.finish()
    }
}

extension AsyncThrowingStream<Data, any Error>.Continuation {
    /// One SSE `message` event holding a JSON-RPC message.
    fileprivate func yieldEvent(_ message: Data, finishing: Bool) {
        var event = Data("event: message\ndata: ".utf8)
        event.append(message)
        event.append(contentsOf: Array("\n\n".utf8))
        yield(event)
        if finishing { finish() }
    }
}

/// What a JSON-RPC message is, as far as routing needs. Ids are compared as JSON text: `7` and `"7"` are
/// different ids, and the server echoes an id as it was sent.
enum MCPMessage {
    case request(id: String, method: String)
    case notification(method: String)
    case response(id: String)

    /// A message a client sent (small: a request's parameters).
    init?(_ data: Data) {
        guard let message = try? JSONValue.parse(Array(data)), message["jsonrpc"] == .string("2.0") else { return nil }
        let id = message["id"].flatMap { $0 == .null ? nil : $0.text }
        if let method = message["method"]?.stringValue {
            self = id.map { .request(id: $0, method: method) } ?? .notification(method: method)
        } else if let id, message["result"] != nil || message["error"] != nil {
            self = .response(id: id)
        } else {
            return nil
        }
    }

    /// The id of a response the server sends, found by reading only the top level of the document: answers
    /// such as tools/list or a report's PDF blob run to hundreds of kilobytes, and need no parse to be routed.
    static func responseID(_ data: Data) -> String? {
        data.withUnsafeBytes { bytes -> String? in
            var scanner = TopLevelScanner(bytes: bytes)
            guard let members = scanner.members(), members["method"] == nil, let id = members["id"],
                  members["result"] != nil || members["error"] != nil else { return nil }
            // Re-written as this side writes ids: the SDK's encoder may escape a string id differently.
            return (try? JSONValue.parse(UnsafeRawBufferPointer(rebasing: bytes[id])))?.text
        }
    }

    var isInitialize: Bool {
        if case .request(_, "initialize") = self { return true }
        return false
    }
}

/// The members of a JSON object's top level, as byte ranges of their raw values, skipping over nested values
/// without parsing them. Keys are taken as written (the SDK writes no escapes in them).
struct TopLevelScanner {
    let bytes: UnsafeRawBufferPointer
    private var index = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func members() -> [String: Range<Int>]? {
        var result: [String: Range<Int>] = [:]
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        skipSpace()
        if take(UInt8(ascii: "}")) { return result }
        while true {
            skipSpace()
            let keyStart = index + 1
            guard peek == UInt8(ascii: "\""), skipString() else { return nil }
            let key = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[keyStart..<index - 1]), as: UTF8.self)
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            let valueStart = index
            guard skipValue() else { return nil }
            result[key] = valueStart..<index
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}")) ? result : nil
        }
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    /// From an opening quote to just past its closing one.
    private mutating func skipString() -> Bool {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): index += 1; return true
            default: index += 1
            }
        }
        return false
    }

    private mutating func skipValue() -> Bool {
        guard let first = peek else { return false }
        switch first {
        case UInt8(ascii: "\""):
            return skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while let byte = peek {
                switch byte {
                case UInt8(ascii: "\""): guard skipString() else { return false }; continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { index += 1; return true }
                default: break
                }
                index += 1
            }
            return false
        default:
            while let byte = peek, byte != UInt8(ascii: ","), byte != UInt8(ascii: "}"), byte != 0x20, byte != 0x0A, byte != 0x0D, byte != 0x09 { index += 1 }
            return true
        }
    }
}
