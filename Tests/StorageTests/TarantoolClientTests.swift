import Foundation
import Logging
import Tarantool
import Testing

/// The IPROTO client against a real tarantool: the protocol pieces, errors as the server words them,
/// many requests sharing one connection, and reconnection after the server restarts.
@Suite("Tarantool client")
struct TarantoolClientTests {
    static let quiet = Logger(label: "tarantool", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("MessagePack values survive encoding through msgpuck, and malformed input is an error, not a crash")
    func messagePack() throws {
        let value = MessagePack.array([
            .int(42), .string("hé"), .int(-7), .null, .map([MessagePackPair(.int(1), .bool(true))]), .binary([0, 255]),
            .double(1.5), .int(Int64.max), .int(Int64.min),
        ])
        let bytes = value.encoded()
        #expect(Array(bytes.prefix(8)) == [0x99, 0x2a, 0xa3, 0x68, 0xc3, 0xa9, 0xf9, 0xc0])
        #expect(try MessagePack.decode(bytes) == value)
        #expect(throws: MessagePackError.self) { try MessagePack.decode(Array(bytes.dropLast())) }
        #expect(throws: MessagePackError.self) { try MessagePack.decode([0xdb, 0xff, 0xff, 0xff, 0xff]) }  // a 4 GB string, 0 bytes
        #expect(throws: MessagePackError.self) { try MessagePack.decode(bytes + [0x01]) }
    }

    @Test("chap-sha1 scrambles as the protocol specifies; the greeting gives version and salt")
    func handshakePieces() throws {
        // sha1("pw") XOR sha1(salt[0..<20] + sha1(sha1("pw"))), computed independently (Python hashlib).
        let salt = Array(0..<32).map(UInt8.init)
        let scramble = IProto.scramble(password: "pw", salt: salt)
        #expect(scramble.map { String(format: "%02x", $0) }.joined() == "c240bb20be464e6a00310bf70095910c89d96cbe")
        var greeting = Array("Tarantool 2.6.0 (Binary) 617013f3-e8b5-4821-8ef2-4ef343931a21".utf8)
        greeting += Array(repeating: UInt8(ascii: " "), count: 63 - greeting.count) + [10]
        var saltLine = Array(Data(salt).base64EncodedString().utf8)
        saltLine += Array(repeating: UInt8(ascii: " "), count: 63 - saltLine.count) + [10]
        let parsed = try IProto.Greeting(greeting + saltLine)
        #expect(parsed.version.hasPrefix("Tarantool 2.6.0") && parsed.salt == salt)
        #expect(throws: TarantoolError.self) { try IProto.Greeting(Array(repeating: UInt8(ascii: "x"), count: 128)) }
    }

    @Test("a wrong password, an unknown function and a SELECT without limit are the server's own errors")
    func serverErrors() async throws {
        let port = try await TarantoolServer.port()
        let wrong = TarantoolClient(.init(host: "127.0.0.1", port: port, user: "cla", password: "guess"), logger: Self.quiet)
        let refused = await #expect(throws: TarantoolError.self) { try await wrong.ping() }
        #expect(refused == .server(code: 47, message: "Incorrect password supplied for user 'cla'"))

        let (client, _) = try await TarantoolServer.client()
        let missing = await #expect(throws: TarantoolError.self) { try await client.call("cla.nope") }
        #expect(missing == .server(code: 33, message: "Procedure 'cla.nope' is not defined"))
        let unlimited = await #expect(throws: TarantoolError.self) {
            try await client.request(.init(.select, [IProto.Key.spaceID: .int(281), IProto.Key.key: .array([])]))
        }
        #expect(unlimited == .server(code: 69, message: "Missing mandatory field 'limit' in request"))
        let selected = try await client.request(.init(.select, [
            IProto.Key.spaceID: .int(281), IProto.Key.indexID: .int(0), IProto.Key.limit: .int(3),
            IProto.Key.iterator: .int(IProto.Iterator.all.rawValue), IProto.Key.key: .array([]),
        ]))
        #expect(selected.data.count == 3)
    }

    @Test("500 concurrent calls share one connection and each gets its own answer")
    func multiplexing() async throws {
        let (client, namespace) = try await TarantoolServer.client()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<500 {
                group.addTask {
                    let key = "k\(index)"
                    _ = try await client.call("cla.cache_set", [.string(namespace), .string(key), .binary(Array("v\(index)".utf8)), .int(1), .int(0), .int(10)])
                    let row = try await client.call("cla.cache_get", [.string(namespace), .string(key), .int(5)]).first?.array
                    #expect(row?[1].bytes == Array("v\(index)".utf8))
                }
            }
            try await group.waitForAll()
        }
        #expect(try await client.call("cla.cache_count", [.string(namespace), .string("k"), .int(5)]).first?.int == 500)
        #expect(client.isConnected)
    }

    @Test("when the server dies, calls fail as unavailable; after it returns the client reconnects on its own and data is there")
    func reconnection() async throws {
        let server = try await TarantoolServer.launch()
        var configuration = TarantoolClient.Configuration(host: "127.0.0.1", port: server.port, user: "cla", password: TarantoolServer.password)
        configuration.maxBackoff = .milliseconds(200)
        let client = TarantoolClient(configuration, logger: Self.quiet) { session in _ = try await session.call("cla.setup", [.string("r")]) }
        _ = try await client.call("cla.cache_set", [.string("r"), .string("kept"), .binary([1, 2, 3]), .int(1), .int(0), .int(Int64.max / 2)])
        try await server.kill()
        let lost = await #expect(throws: TarantoolError.self) { try await client.call("cla.cache_count", [.string("r"), .string(""), .int(0)]) }
        guard case .unavailable? = lost else { Issue.record("expected unavailable, got \(String(describing: lost))"); return }
        #expect(!client.isConnected && client.lastError != nil)
        _ = await #expect(throws: TarantoolError.self) { try await client.ping() }
        let again = try await server.restarted()
        var row: [MessagePack]?
        for _ in 0..<50 where row == nil {
            row = try? await client.call("cla.cache_get", [.string("r"), .string("kept"), .int(1)]).first?.array
            if row == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(row?[1].bytes == [1, 2, 3])
        #expect(client.isConnected)
        try await again.kill()
    }

    @Test("with CLA_TARANTOOL_EXPIRY=1 the instance's own fiber deletes expired entries through the expires_at index")
    func expiryFiber() async throws {
        let server = try await TarantoolServer.launch(environment: ["CLA_TARANTOOL_EXPIRY": "1"])
        let client = TarantoolClient(
            .init(host: "127.0.0.1", port: server.port, user: "cla", password: TarantoolServer.password), logger: Self.quiet
        ) { session in _ = try await session.call("cla.setup", [.string("x")]) }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for (key, expires) in [("gone", now - 1), ("kept", now + 3_600_000)] {
            _ = try await client.call("cla.cache_set", [.string("x"), .string(key), .binary([1]), .int(1), .int(now), .int(expires)])
        }
        // Counted as of time 0 every stored entry is live, so the count falls only when the fiber deletes one.
        var stored: Int64?
        for _ in 0..<100 {
            stored = try await client.call("cla.cache_count", [.string("x"), .string(""), .int(0)]).first?.int
            if stored == 1 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(stored == 1)
        #expect(try await client.call("cla.cache_get", [.string("x"), .string("kept"), .int(now)]).first?.array != nil)
        try await server.kill()
    }
}
