internal import Foundation
package import RabbitMQ

/// A RabbitMQ broker for the tests (scripts/rabbitmq-test-server.sh): loopback ports of its own, a
/// throw-away data directory, gone when the test process is. Tests that need it fail, not skip, when it
/// cannot start: `make deps` installs `rabbitmq-server`.
package final class RabbitMQServer: @unchecked Sendable {  // Process: driven by one (serialized) suite
    package static let shared = Task { try await RabbitMQServer() }

    package let amqpPort: Int
    private let ports: (dist: Int, epmd: Int)
    private let base: URL
    private var process: Process

    package var address: BrokerAddress { BrokerAddress(host: "127.0.0.1", port: amqpPort, user: "cla", password: "cla-test") }

    /// A broker of its own (`shared` is the one most suites use).
    package init() async throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("cla-rabbitmq-\(UUID().uuidString.prefix(8))")
        amqpPort = try freePort()
        ports = (try freePort(), try freePort())
        process = Process()
        process = try await start()
    }

    /// Stops the broker (cleanly, through rabbitmqctl) and waits until it and its epmd are gone.
    package func stop() async throws {
        _ = FileManager.default.createFile(atPath: base.appendingPathComponent("stop").path, contents: nil)
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
    }

    /// Starts it again on the same ports and data.
    package func restart() async throws { process = try await start() }

    private func start() async throws -> Process {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/rabbitmq-test-server.sh")
        let process = Process()
        process.executableURL = script
        process.arguments = [base.path, String(amqpPort), String(ports.dist), String(ports.epmd), String(getpid())]
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let log = base.appendingPathComponent("broker.log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Ready when a client can log in and declare (about 6 s from a fresh directory).
        let probe = BrokerPublisher(address: address, topology: JobTopology(queue: "cla.probe"), timeout: .seconds(2))
        let deadline = ContinuousClock.now + .seconds(90)
        while true {
            do {
                _ = try await probe.depth()
                return process
            } catch {
                guard process.isRunning, ContinuousClock.now < deadline else {
                    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                    throw BrokerError.unavailable("rabbitmq-server did not start (\(error)); its log:\n\(output.suffix(3000))")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

/// A loopback TCP port nothing listens on, for a server that binds it seconds later (a broker, Tarantool).
///
/// Picked below the kernel's ephemeral range (32768 and up, where `bind` to port 0 and outgoing connections
/// take theirs): a port the kernel hands out could go to another test's server or connection in the
/// meantime, and the broker then failed to start on it (`could_not_start_listener`).
package func freePort() throws -> Int {
    for _ in 0..<100 {
        let port = Int.random(in: 20_000..<32_768)
        if try isFree(port) { return port }
    }
    throw BrokerError.unavailable("no free port below 32768")
}

private func isFree(_ port: Int) throws -> Bool {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw BrokerError.unavailable("no socket") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let length = socklen_t(MemoryLayout<sockaddr_in>.size)
    return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } } == 0
}
