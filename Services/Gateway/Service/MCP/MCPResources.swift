internal import Contracts
internal import Foundation
internal import MCP
internal import ProtoJSON

/// The MCP resources: each provider's API spec (`clientanalyze://providers/{name}/spec`), the scoring model,
/// and stored reports as JSON or as their PDF (resource templates). Reports and the model are read through
/// the gateway's operations, with the session's key, like any other call.
struct MCPResources: Sendable {
    let operations: GatewayOperations

    static let scoringModelURI = "clientanalyze://scoring-model"
    private static let reportPrefix = "clientanalyze://reports/"

    static func specURI(_ provider: String) -> String { "clientanalyze://providers/\(provider)/spec" }

    var list: [Resource] {
        ProviderSpecs.all.map { spec in
            Resource(
                name: "\(spec.provider)-spec", uri: Self.specURI(spec.provider),
                title: "API \(Self.title(spec.provider))",
                description: "How Client Analyze uses \(Self.title(spec.provider)): endpoints, auth, fields read, limits and errors, how answers become findings and markers, caching, failure states, an example.",
                mimeType: "text/markdown", size: spec.text.utf8.count)
        } + [
            Resource(
                name: "scoring-model", uri: Self.scoringModelURI, title: "Модель оценки / Scoring model",
                description: "Categories and weights, marker rules, level thresholds (JSON, as describe_scoring_model).",
                mimeType: "application/json"),
        ]
    }

    var templates: [Resource.Template] {
        [
            Resource.Template(
                uriTemplate: "clientanalyze://reports/{id}", name: "report", title: "Отчёт / Report (JSON)",
                description: "A stored report by id, as get_report answers it.", mimeType: "application/json"),
            Resource.Template(
                uriTemplate: "clientanalyze://reports/{id}/pdf", name: "report-pdf", title: "Отчёт PDF / Report PDF",
                description: "A stored report rendered as PDF (a base64 blob).", mimeType: "application/pdf"),
        ]
    }

    func read(_ uri: String, as caller: OperationCaller) async throws -> ReadResource.Result {
        if let spec = ProviderSpecs.all.first(where: { Self.specURI($0.provider) == uri }) {
            return .init(contents: [.text(spec.text, uri: uri, mimeType: "text/markdown")])
        }
        if uri == Self.scoringModelURI {
            let model = try await answer(try await operations.call(.of(GatewayV1.Sources.Method.DescribeScoringModel.self), .object([]), as: caller))
            return .init(contents: [.text(model.text, uri: uri, mimeType: "application/json")])
        }
        if uri.hasPrefix(Self.reportPrefix) {
            let path = uri.dropFirst(Self.reportPrefix.count).split(separator: "/", omittingEmptySubsequences: false)
            let id = String(path.first ?? "")
            guard !id.isEmpty, path.count == 1 || (path.count == 2 && path[1] == "pdf") else {
                throw MCPError.invalidParams("Unknown resource: \(uri); reports are clientanalyze://reports/{id} and clientanalyze://reports/{id}/pdf")
            }
            if path.count == 1 {
                let report = try await answer(try await operations.call(MCPTools.getReport, .object([("id", .string(id))]), as: caller))
                return .init(contents: [.text((report["report"] ?? .null).text, uri: uri, mimeType: "application/json")])
            }
            // The chunks' bytes as they come, not through JSON and base64 and back.
            let request: JSONValue = .object([("report_id", .string(id)), ("format", .string("FORMAT_PDF"))])
            let chunks = try await answer(try await operations.raw(MCPTools.downloadReport, request, as: caller) { bytes in
                try? GatewayV1.DownloadChunk(serializedBytes: bytes).data
            })
            guard !chunks.contains(where: { $0 == nil }) else { throw MCPError.internalError("a chunk of the PDF of report \(id) did not decode") }
            return .init(contents: [.binary(Data(chunks.lazy.compactMap { $0 }.joined()), uri: uri, mimeType: "application/pdf")])
        }
        throw MCPError.invalidParams("Unknown resource: \(uri); resources/list and resources/templates/list name them")
    }

    /// A failed operation as the JSON-RPC error the client sees (resources have no `isError` result).
    private func answer<T>(_ work: @autoclosure () async throws(OperationFailure) -> T) async throws -> T {
        do {
            return try await work()
        } catch {
            switch error.code {
            case "NOT_FOUND", "INVALID_ARGUMENT": throw MCPError.invalidParams("\(error.code): \(error.message)")
            default: throw MCPError.internalError("\(error.code): \(error.message)")
            }
        }
    }

    private static func title(_ provider: String) -> String {
        switch provider {
        case "dadata": "DaData"
        case "casebook": "Casebook"
        case "infosphere": "InfoSphere"
        case "tavily": "Tavily"
        case "perplexity": "Perplexity"
        default: provider
        }
    }
}
