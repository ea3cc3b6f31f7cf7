import Foundation
import Logging
import Tarantool

/// A Tarantool instance for the tests: `tarantool compose/tarantool/init.lua` on a free loopback port with
/// a throw-away data directory, started once per test process (it exits when the process does). Tests
/// that need it fail, not skip, when it cannot start: `make deps` installs `tarantool`.
enum TarantoolServer {
    static let password = "test-secret"

    /// The running instance's port.
    static func port() async throws -> Int { try await started.value }

    /// A client on a namespace of its own, set up (so each test starts empty).
    static func client(namespace: String = "t" + UUID().uuidString.prefix(8).lowercased()) async throws -> (TarantoolClient, String) {
        var configuration = TarantoolClient.Configuration(host: "127.0.0.1", port: try await port(), user: "cla", password: password)
        configuration.timeout = .seconds(10)
        let client = TarantoolClient(configuration, logger: Logger(label: "tarantool", factory: { _ in SwiftLogNoOpLogHandler() })) { session in
            _ = try await session.call("cla.setup", [.string(namespace)])
        }
        return (client, namespace)
    }

    /// A store made on a client of its own namespace.
    static func store<Store>(_ make: (TarantoolClient, String) -> Store) async throws -> Store {
        let (client, namespace) = try await client()
        return make(client, namespace)
    }

    private static let started = Task { try await start() }

    private static func start() async throws -> Int {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let script = repository.appendingPathComponent("compose/tarantool/init.lua").path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cla-tarantool-\(UUID().uuidString)")
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tarantool")
        process.arguments = [script]
        process.environment = [
            "CLA_TARANTOOL_LISTEN": "127.0.0.1:\(port)", "CLA_TARANTOOL_DIR": directory.path, "CLA_TARANTOOL_PASSWORD": password,
            "CLA_TARANTOOL_PARENT_PID": String(getpid()), "CLA_TARANTOOL_LOG_LEVEL": "4", "CLA_TARANTOOL_MEMORY": String(64 << 20),
        ]
        let log = directory.appendingPathExtension("log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = process.standardError
        do {
            try process.run()
        } catch {
            throw TarantoolError.unavailable("cannot start /usr/bin/tarantool (make deps installs it): \(error)")
        }
        // Ready when the schema functions answer, not when the port opens (init.lua is still running then).
        var configuration = TarantoolClient.Configuration(host: "127.0.0.1", port: port, user: "cla", password: password)
        configuration.maxBackoff = .milliseconds(50)
        let probe = TarantoolClient(configuration, logger: Logger(label: "probe", factory: { _ in SwiftLogNoOpLogHandler() }))
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            do {
                _ = try await probe.call("cla_ready")
                await probe.close()
                return port
            } catch {
                guard process.isRunning, ContinuousClock.now < deadline else {
                    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                    throw TarantoolError.unavailable("tarantool did not start (\(error)); its log:\n\(output.suffix(2000))")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        guard bound == 0 else { throw TarantoolError.unavailable("no free port") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
