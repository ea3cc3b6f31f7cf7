// `cla`: the command line of Client Analyze, a gRPC client of the gateway.
internal import ArgumentParser
internal import Contracts
internal import Foundation
internal import ProtoJSON
internal import RPCCore
internal import RPCHTTP2

@main
struct CLA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cla",
        abstract: "Client Analyze: counterparty due diligence for Russian companies, from the command line.",
        discussion: """
            Talks gRPC to the gateway. The API key comes from --key, CLA_API_KEY, or the file --key-file \
            (default data/admin.key, which `make run` writes). Exit codes: 0 done, 1 the call failed, 2 bad usage, \
            3 the analysis itself failed.
            """,
        subcommands: [Analyze.self, Status.self, Report.self, List.self, Search.self, Feedback.self, Keys.self])
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

    func client() throws -> GatewayClient {
        let parts = gateway.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--gateway: expected host:port, got \(gateway)") }
        let key = key ?? ProcessInfo.processInfo.environment["CLA_API_KEY"]
            ?? (try? String(contentsOfFile: keyFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key, !key.isEmpty else { throw ValidationError("no API key: pass --key, set CLA_API_KEY, or point --key-file at one") }
        return GatewayClient(transport: HTTP2ClientTransport(host: String(parts[0]), port: port), key: key)
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

/// Runs a command body, turning failures into a message on stderr and an exit code.
enum CLAKit {
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as GatewayClient.Failure {
            FileHandle.standardError.write(Data("cla: \(failure)\n".utf8))
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
