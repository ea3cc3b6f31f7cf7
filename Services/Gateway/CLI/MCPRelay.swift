internal import ArgumentParser
internal import AsyncHTTPClient
internal import Foundation
internal import NIOCore
internal import NIOHTTP1

/// `cla mcp`: an MCP server on stdin/stdout for desktop clients, relaying each message to the gateway's
/// Streamable HTTP endpoint with the API key, so the client needs no key or URL of its own.
struct MCPRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve MCP on stdin/stdout, relayed to the gateway's /mcp endpoint (for desktop AI clients).",
        discussion: """
            Reads one JSON-RPC message per line and writes each answer and notification as one line. The key \
            comes from --key, CLA_API_KEY or --key-file; the endpoint from --url or CLA_MCP_URL.
            """)

    @OptionGroup var connection: Connection
    @Option(help: "The gateway's MCP endpoint.")
    var url = ProcessInfo.processInfo.environment["CLA_MCP_URL"] ?? "http://127.0.0.1:8080/mcp"

    func run() async throws {
        guard let endpoint = URL(string: url), ["http", "https"].contains(endpoint.scheme ?? "") else {
            throw ValidationError("--url: expected an http(s) URL, got \(url)")
        }
        let client = try connection.httpClient()
        let relay = MCPRelay(url: url, authorization: "Bearer \(try connection.apiKey())", client: client)
        await relay.run(lines: StandardInput.lines())
        if client !== HTTPClient.shared { try? await client.shutdown() }
    }
}

/// Relays lines to the endpoint: `initialize` first and alone (its answer carries the session id), then
/// every other message in its own task, so a long `analyze_company` does not hold up other calls.
actor MCPRelay {
    private let url: String
    private let authorization: String
    private let client: HTTPClient
    private let output = LineWriter()
    private var sessionID: String?
    private var protocolVersion: String?

    init(url: String, authorization: String, client: HTTPClient = .shared) {
        self.url = url
        self.authorization = authorization
        self.client = client
    }

    func run(lines: AsyncStream<String>) async {
        await withTaskGroup(of: Void.self) { group in
            for await line in lines where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                let message = RelayedMessage(line)
                if message.isInitialize {
                    await post(line, message)
                } else {
                    group.addTask { await self.post(line, message) }
                }
            }
        }
        await endSession()
    }

    private func post(_ line: String, _ message: RelayedMessage) async {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers = headers()
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        request.body = .bytes(ByteBuffer(string: line))
        do {
            let response = try await client.execute(request, timeout: .hours(2))
            if message.isInitialize, let id = response.headers.first(name: "Mcp-Session-Id") { sessionID = id }
            if response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true {
                var events = SSEReader()
                for try await chunk in response.body {
                    for data in events.feed(chunk) {
                        if message.isInitialize { noteProtocolVersion(data) }
                        await output.write(data)
                    }
                }
            } else {
                let body = try await response.body.collect(upTo: 64 << 20)
                guard body.readableBytes > 0 else { return }
                let text = String(buffer: body)
                // The endpoint's HTTP-level refusals (401, 413, …) carry a JSON-RPC error with a null id: give it
                // the id of the request it answers, so the client can match it.
                await output.write(message.id.map { RelayedMessage.answering(text, id: $0) } ?? text)
            }
        } catch {
            guard let id = message.id else {
                FileHandle.standardError.write(Data("cla mcp: \(url): \(error)\n".utf8))
                return
            }
            await output.write(RelayedMessage.error(id: id, message: "cannot reach the gateway at \(url): \(error)"))
        }
    }

    private func noteProtocolVersion(_ data: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any],
              let version = (object["result"] as? [String: Any])?["protocolVersion"] as? String else { return }
        protocolVersion = version
    }

    private func headers() -> HTTPHeaders {
        var headers = HTTPHeaders([("Authorization", authorization)])
        if let sessionID { headers.add(name: "Mcp-Session-Id", value: sessionID) }
        if let protocolVersion { headers.add(name: "MCP-Protocol-Version", value: protocolVersion) }
        return headers
    }

    /// Stdin closed: end the session, so the gateway does not keep it until it expires.
    private func endSession() async {
        guard sessionID != nil else { return }
        var request = HTTPClientRequest(url: url)
        request.method = .DELETE
        request.headers = headers()
        _ = try? await client.execute(request, timeout: .seconds(5))
    }
}

/// The JSON-RPC id and kind of a relayed line; a line that is not JSON is still relayed (the endpoint says
/// what is wrong with it).
struct RelayedMessage: Sendable {
    /// The id as JSON text (`7` or `"7"`), for requests.
    let id: String?
    let isInitialize: Bool

    init(_ line: String) {
        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        isInitialize = object?["method"] as? String == "initialize"
        switch object?["id"] {
        case let text as String: id = Self.json(text)
        case let number as Int: id = String(number)
        default: id = nil
        }
    }

    static func answering(_ text: String, id: String) -> String {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              object["id"] == nil || object["id"] is NSNull,
              let idValue = try? JSONSerialization.jsonObject(with: Data(id.utf8), options: .fragmentsAllowed) else { return text }
        object["id"] = idValue
        return (try? JSONSerialization.data(withJSONObject: object)).map { String(decoding: $0, as: UTF8.self) } ?? text
    }

    static func error(id: String, message: String) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32603,"message":\#(json(message))}}"#
    }

    private static func json(_ text: String) -> String {
        (try? JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}

/// Server-Sent Events from byte chunks: the `data` of each complete event. Bytes are kept until an event is
/// whole, so a chunk that splits a UTF-8 character does not garble it.
struct SSEReader {
    private var pending: [UInt8] = []

    mutating func feed(_ chunk: ByteBuffer) -> [String] {
        pending += chunk.readableBytesView.filter { $0 != UInt8(ascii: "\r") }
        var events: [String] = []
        while let end = pending.indices.dropLast().first(where: { pending[$0] == 10 && pending[$0 + 1] == 10 }) {
            let block = String(decoding: pending[..<end], as: UTF8.self)
            pending.removeFirst(end + 2)
            let data = block.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { $0.hasPrefix("data:") }
                .map { $0.dropFirst(5).drop { $0 == " " } }
                .joined(separator: "\n")
            if !data.isEmpty { events.append(data) }
        }
        return events
    }
}

/// Whole lines to stdout, one writer at a time.
actor LineWriter {
    func write(_ line: String) {
        FileHandle.standardOutput.write(Data((line.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
    }
}

enum StandardInput {
    /// Stdin's lines, read on a thread of their own (reading blocks).
    static func lines() -> AsyncStream<String> {
        AsyncStream { continuation in
            Thread.detachNewThread {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
                continuation.finish()
            }
        }
    }
}
