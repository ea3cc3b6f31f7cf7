// `cla`: the command line of Client Analyze, a gRPC client of the gateway.
internal import ArgumentParser
internal import Contracts
internal import AsyncHTTPClient
internal import Foundation
internal import NIOSSL
internal import ProtoJSON
internal import RPCCore
internal import RPCHTTP2
internal import ServiceKit
internal import ServiceTLS
internal import Logging

@main
struct CLA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cla",
        abstract: "Client Analyze: counterparty due diligence for Russian companies, from the command line.",
        discussion: """
            Talks gRPC to the gateway (over TLS with --tls or --ca-file). The API key comes from --key, CLA_API_KEY, \
            or the file --key-file (default data/admin.key, which `make run` writes). Exit codes: 0 done, 1 the call failed, 2 bad usage, \
            3 the analysis itself failed.
            """,
        subcommands: [Analyze.self, Status.self, Report.self, List.self, Search.self, Compare.self, Feedback.self, Keys.self, MCPRelayCommand.self])

    /// ArgumentParser's own entry point, with two differences the docs promise: bad usage exits 2 (not
    /// sysexits' 64), and the common options work before the subcommand too (`cla --json status J`).
    static func main() async {
        let arguments = Connection.movingLeadingOptions(Array(CommandLine.arguments.dropFirst()), after: subcommandNames)
        do {
            var command = try parseAsRoot(arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(ExitCode.usage.rawValue)
        }
    }

    static var subcommandNames: Set<String> {
        Set(configuration.subcommands.map { $0.configuration.commandName ?? String(describing: $0).lowercased() })
    }
}

extension ExitCode {
    /// Bad usage (a missing argument, an unknown option, a value out of range).
    static let usage = ExitCode(2)
    /// The analysis itself failed, or was cancelled.
    static let analysisFailed = ExitCode(3)
}

/// Options every subcommand takes.
struct Connection: ParsableArguments {
    @Option(help: "Gateway address, host:port.")
    var gateway = ProcessInfo.processInfo.environment["CLA_GATEWAY"] ?? "127.0.0.1:50051"

    @Option(help: "API key (cla_…); default: $CLA_API_KEY or the key file.")
    var key: String?

    @Option(help: "File holding the API key.")
    var keyFile = "data/admin.key"

    @Flag(help: "Print JSON (the proto3 JSON of the answers) instead of text.")
    var json = false

    @Flag(help: "Speak TLS to the gateway, trusting the system's CAs (or --ca-file's).")
    var tls = false

    @Option(help: "PEM file of the CAs to trust for the gateway's certificate; implies --tls. Default: $CLA_CA_FILE.")
    var caFile = ProcessInfo.processInfo.environment["CLA_CA_FILE"]

    /// The options of this group that come before the subcommand, moved to just after it: ArgumentParser only
    /// reads a subcommand's options after its name.
    static func movingLeadingOptions(_ arguments: [String], after subcommands: Set<String>) -> [String] {
        let valued: Set<String> = ["--gateway", "--key", "--key-file", "--ca-file"], flags: Set<String> = ["--json", "--tls"]
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
            if flags.contains(argument) || (valued.contains(name) && argument.contains("=")) {
                leading.append(argument)
                index += 1
            } else if valued.contains(argument), index + 1 < arguments.count {
                leading += arguments[index...index + 1]
                index += 2
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < arguments.count, subcommands.contains(arguments[index]) else { return arguments }
        return [arguments[index]] + leading + arguments[(index + 1)...]
    }

    func client() throws -> GatewayClient {
        let parts = gateway.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--gateway: expected host:port, got \(gateway)") }
        let transport = HTTP2ClientTransport(host: String(parts[0]), port: port, security: try security())
        return GatewayClient(transport: transport, key: try apiKey())
    }

    /// TLS when --tls or --ca-file asks for it.
    private func security() throws -> ClientTLS? {
        let caFile = caFile.flatMap { $0.isEmpty ? nil : $0 }
        guard tls || caFile != nil else { return nil }
        var settings = TLSSettings()
        settings.client.enabled = true
        settings.client.caFile = caFile ?? ""
        do {
            if let caFile { _ = try TLSIdentity.certificates(in: caFile, key: "--ca-file") }  // its errors name the option
            let source = try TLSContextSource(
                .client(protocols: ["h2"]), settings: { [settings] in settings }, use: "cli", logger: Logger(label: "cla"))
            return ClientTLS(source: source, serverName: "")
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The HTTP client for the gateway's REST side (`cla mcp`), trusting --ca-file when given.
    func httpClient() throws -> HTTPClient {
        guard let caFile, !caFile.isEmpty else { return HTTPClient.shared }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.trustRoots = .certificates(try TLSIdentity.certificates(in: caFile, key: "--ca-file"))
        } catch {
            throw ValidationError("\(error)")
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }

    /// The API key: --key, else $CLA_API_KEY, else the key file.
    func apiKey() throws -> String {
        let key = key ?? ProcessInfo.processInfo.environment["CLA_API_KEY"]
            ?? (try? String(contentsOfFile: keyFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key, !key.isEmpty else { throw ValidationError("no API key: pass --key, set CLA_API_KEY, or point --key-file at one") }
        return key
    }

    func print<Message: ProtoMessage>(_ message: Message, text: () -> String) throws {
        Swift.print(json ? try ProtoJSON.encode(message).prettyText : text())
    }
}

/// The gateway's API with the key attached; failures become one readable line and exit code 1.
struct GatewayClient {
    let transport: HTTP2ClientTransport
    let key: String
    var rpc: RPCClient { RPCClient(transport: transport) }
    var metadata: Metadata { ["authorization": "Bearer \(key)"] }

    func unary<M: ProtoMethod>(_ method: M.Type, _ request: M.Input) async throws -> M.Output {
        do {
            return try await rpc.unary(method, request, metadata: metadata, timeout: .seconds(60)).message
        } catch let error as RPCError {
            throw Failure(error)
        }
    }

    func stream<M: ProtoMethod>(_ method: M.Type, _ request: M.Input, _ body: (M.Output) async throws -> Void) async throws {
        do {
            _ = try await rpc.streaming(method, [request], metadata: metadata) { responses in
                for try await response in responses { try await body(response) }
            }
        } catch let error as RPCError {
            throw Failure(error)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let error: RPCError
        init(_ error: RPCError) { self.error = error }
        var description: String { "\(error.code.name): \(error.message)" }
    }
}

/// A failure on this machine (a file that cannot be written), said as a sentence.
struct LocalFailure: Error {
    let message: String
}

/// Writes `data` to `path`, or fails saying why in the system's words ("No such file or directory").
func save(_ data: Data, to path: String, what: String) throws {
    guard let file = fopen(path, "wb") else {
        throw LocalFailure(message: "cannot write the \(what) to \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    let written = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    guard written == data.count, fflush(file) == 0 else {
        throw LocalFailure(message: "cannot write the \(what) to \(path): \(String(cString: strerror(errno)))")
    }
}

/// Runs a command body, turning failures into a message on stderr and an exit code.
enum CLAKit {
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as GatewayClient.Failure {
            FileHandle.standardError.write(Data("cla: \(failure)\n".utf8))
            throw ExitCode(1)
        } catch let failure as LocalFailure {
            FileHandle.standardError.write(Data("cla: \(failure.message)\n".utf8))
            throw ExitCode(1)
        }
    }
}

extension CommonV1.RiskLevel {
    var label: String { protoName.replacingOccurrences(of: "RISK_LEVEL_", with: "").lowercased() }
}

extension CommonV1.JobState {
    var label: String { protoName.replacingOccurrences(of: "JOB_STATE_", with: "").lowercased() }
}

func describe(_ report: CommonV1.Report) -> String {
    let risk = report.risk ?? CommonV1.RiskAssessment()
    var lines = [
        "\(report.company?.shortName ?? report.inn) (ИНН \(report.inn)), version \(report.version), report \(report.id)",
        "risk \(risk.level.label), score \(risk.score) of 100, confidence \(Int((risk.confidence * 100).rounded())) %",
    ]
    for marker in risk.markers.prefix(8) {
        lines.append("  • \(marker.severity.protoName.replacingOccurrences(of: "SEVERITY_", with: "").lowercased()) \(marker.title)")
    }
    if let summary = report.narrative?.summary, !summary.isEmpty { lines.append("\n" + summary) }
    return lines.joined(separator: "\n")
}
