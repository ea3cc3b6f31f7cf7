import BackendTestSupport
import Foundation
import Logging
import Tarantool

/// A Tarantool instance for the tests: `tarantool compose/tarantool/init.lua` on a free loopback port with
/// a throw-away data directory, started once per test process (it exits when the process does). Tests
/// that need it fail, not skip, when it cannot start: `make deps` installs `tarantool`.
enum TarantoolServer {
    static let password = "test-secret"

    /// The running instance's port.
    static func port() async throws -> Int { try await started.value.port }

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

    /// A separate instance the caller owns (to stop and restart it), on its own port and directory.
    static func launch(environment: [String: String] = [:]) async throws -> Instance { try await start(environment: environment) }

    final class Instance: @unchecked Sendable {  // Process: used by one test at a time
        let port: Int
        let directory: URL
        let process: Process

        init(port: Int, directory: URL, process: Process) {
            self.port = port
            self.directory = directory
            self.process = process
        }

        /// Kills it (SIGKILL: a crash, not a shutdown) and waits until it has gone.
        func kill() async throws {
            Foundation.kill(process.processIdentifier, SIGKILL)
            // Polled: Process.waitUntilExit spins a run loop, which never turns on a concurrency thread.
            while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        }

        /// Starts it again on the same port and data directory.
        func restarted() async throws -> Instance { try await TarantoolServer.start(port: port, directory: directory) }
    }

    private static func start(
        port requested: Int? = nil, directory reused: URL? = nil, environment extra: [String: String] = [:]
    ) async throws -> Instance {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let script = repository.appendingPathComponent("compose/tarantool/init.lua").path
        let directory = reused ?? FileManager.default.temporaryDirectory.appendingPathComponent("cla-tarantool-\(UUID().uuidString)")
        let port = try requested ?? freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tarantool")
        process.arguments = [script]
        process.environment = [
            "CLA_TARANTOOL_LISTEN": "127.0.0.1:\(port)", "CLA_TARANTOOL_DIR": directory.path, "CLA_TARANTOOL_PASSWORD": password,
            "CLA_TARANTOOL_PARENT_PID": String(getpid()), "CLA_TARANTOOL_LOG_LEVEL": "4", "CLA_TARANTOOL_MEMORY": String(256 << 20),
        ].merging(extra) { $1 }
        let log = directory.appendingPathExtension("log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardError = handle
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
                return Instance(port: port, directory: directory, process: process)
            } catch {
                guard process.isRunning, ContinuousClock.now < deadline else {
                    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                    throw TarantoolError.unavailable("tarantool did not start (\(error)); its log:\n\(output.suffix(2000))")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
