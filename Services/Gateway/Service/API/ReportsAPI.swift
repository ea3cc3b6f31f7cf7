package import Contracts
package import RPCCore

/// `gateway.v1.Reports`: reports from storage, their documents (stored PDFs, or rendered on demand in the
/// other formats), comparisons, aggregates and exports.
struct ReportsAPI: Sendable {
    let storage: RPCClient
    let renderer: RPCClient

    private typealias Method = GatewayV1.Reports.Method
    private typealias Store = StorageV1.Reports.Method

    func register(in router: inout RPCRouter) {
        router.registerUnary(Method.GetReport.self) { request, _ in
            let report = try await report(request.key)
            return ServerResponse(.with { $0.report = report })
        }
        router.registerServerStreaming(Method.DownloadReport.self) { request, writer, _ in
            try await download(request) { try await writer.write($0) }
            return [:]
        }
        router.registerUnary(Method.ListReports.self) { request, _ in
            try EdgeValidation.filter(request.filter)
            try EdgeValidation.page(request.page)
            let response = try await storage.unary(Store.ListReports.self, .with {
                $0.filter = request.filter
                $0.page = request.page
            }).message
            return ServerResponse(.with {
                $0.reports = response.reports
                $0.page = response.page
            })
        }
        router.registerUnary(Method.CompareReports.self) { request, _ in ServerResponse(try await compare(request)) }
        router.registerUnary(Method.Stats.self) { request, _ in
            try EdgeValidation.filter(request.filter)
            let response = try await storage.unary(Store.ReportStats.self, .with {
                $0.filter = request.filter
                $0.utcOffsetMinutes = 180  // "today" and "this week" as users in Moscow count them
            }).message
            return ServerResponse(.with { $0.stats = response.stats })
        }
        router.registerUnary(Method.Timeline.self) { request, _ in
            try EdgeValidation.filter(request.filter)
            guard (0...366).contains(request.days) else { throw EdgeValidation.invalid("days", "must be 1–366 (0: 30), got \(request.days)") }
            let response = try await storage.unary(Store.ReportTimeline.self, .with {
                $0.filter = request.filter
                $0.days = request.days == 0 ? 30 : request.days
            }).message
            return ServerResponse(.with { $0.points = response.points })
        }
        router.registerServerStreaming(Method.ExportReports.self) { request, writer, _ in
            try EdgeValidation.filter(request.filter)
            let format = request.format == .unspecified ? StorageV1.ExportFormat.csv : request.format
            try EdgeValidation.known(format, "format")
            let export = StorageV1.ExportReportsRequest.with {
                $0.filter = request.filter
                $0.format = format
            }
            try await forward(Store.ExportReports.self, export, fileName: format == .csv ? "reports.csv" : "reports.json") {
                try await writer.write($0)
            }
            return [:]
        }
        router.registerUnary(Method.DeleteReports.self) { request, _ in
            guard (1...1000).contains(request.ids.count) else { throw EdgeValidation.invalid("ids", "1–1000 report ids, got \(request.ids.count)") }
            for (index, id) in request.ids.enumerated() { _ = try EdgeValidation.id(id, "ids[\(index)]") }
            AuditTrail.note(target: request.ids.joined(separator: ","))
            let response = try await storage.unary(Store.DeleteReports.self, .with { $0.ids = request.ids }).message
            return ServerResponse(.with {
                $0.deleted = response.deleted
                $0.notFound = response.notFound
            })
        }
    }

    /// The report by id, or the latest of an INN.
    func report(_ key: GatewayV1.GetReportRequest.Key?) async throws -> CommonV1.Report {
        let response: StorageV1.GetReportResponse
        switch key {
        case .id(let id)?:
            response = try await storage.unary(Store.GetReport.self, .with { $0.id = try EdgeValidation.id(id, "id") }).message
        case .inn(let inn)?:
            response = try await storage.unary(Store.GetLatestReport.self, .with { $0.key = .inn(try EdgeValidation.inn(inn, "inn")) }).message
        case nil:
            throw EdgeValidation.invalid("key", "set id or inn")
        }
        return response.report ?? CommonV1.Report()
    }

    /// The stored PDF; other formats (or a PDF that was never stored) are rendered from the report now.
    func download(_ request: GatewayV1.DownloadReportRequest, write: (GatewayV1.DownloadChunk) async throws -> Void) async throws {
        let format = request.format == .unspecified ? RenderV1.Format.pdf : request.format
        try EdgeValidation.known(format, "format")
        let report = try await report(.id(request.reportId))
        let fileName = "\(report.inn)-v\(report.version).\(Self.fileExtension(format))"
        if format == .pdf, report.documentFormats.contains("pdf") {
            let document = StorageV1.GetDocumentRequest.with {
                $0.reportId = report.id
                $0.format = "pdf"
            }
            try await forward(Store.GetDocument.self, document, fileName: fileName, fallbackType: "application/pdf", write: write)
            return
        }
        var first = true
        _ = try await renderer.streaming(RenderV1.Renderer.Method.Render.self, [.with {
            $0.report = report
            $0.format = format
            $0.options = .with {
                $0.locale = "ru"
                $0.utcOffsetMinutes = 180
                if report.sandbox { $0.watermark = "ТЕСТОВЫЕ ДАННЫЕ" }
            }
        }]) { chunks in
            for try await chunk in chunks {
                try await write(.with {
                    $0.data = chunk.data
                    if first {
                        $0.contentType = chunk.contentType
                        $0.fileName = fileName
                    }
                    $0.totalSize = chunk.totalSize
                })
                first = false
            }
        }
    }

    /// Passes storage's chunks on as download chunks; the first names the file (and its type, when storage
    /// has none).
    private func forward<M: ProtoMethod>(
        _ method: M.Type, _ request: M.Input, fileName: String, fallbackType: String = "",
        write: (GatewayV1.DownloadChunk) async throws -> Void
    ) async throws where M.Output == StorageV1.Chunk {
        var first = true
        _ = try await storage.streaming(method, [request]) { chunks in
            for try await chunk in chunks {
                try await write(.with {
                    $0.data = chunk.data
                    if first {
                        $0.contentType = chunk.contentType.isEmpty ? fallbackType : chunk.contentType
                        $0.fileName = fileName
                        $0.totalSize = chunk.totalSize
                    }
                })
                first = false
            }
        }
    }

    static func fileExtension(_ format: RenderV1.Format) -> String {
        switch format {
        case .html: "html"
        case .markdown: "md"
        case .csv: "csv"
        default: "pdf"
        }
    }

    func compare(_ request: GatewayV1.CompareReportsRequest) async throws -> GatewayV1.CompareReportsResponse {
        guard (2...10).contains(request.reportIds.count) else {
            throw EdgeValidation.invalid("report_ids", "2–10 report ids, got \(request.reportIds.count)")
        }
        for (index, id) in request.reportIds.enumerated() { _ = try EdgeValidation.id(id, "report_ids[\(index)]") }
        var reports: [CommonV1.Report] = []
        for id in request.reportIds { reports.append(try await report(.id(id))) }
        var diffs: [CommonV1.ReportDiff] = []
        for other in request.reportIds.dropFirst() {
            let response = try await storage.unary(Store.CompareReports.self, .with {
                $0.baseReportId = request.reportIds[0]
                $0.reportId = other
            }).message
            diffs.append(response.diff ?? CommonV1.ReportDiff())
        }
        let scores = reports.map { $0.risk?.score ?? 0 }
        let markerSets = reports.map { Set(($0.risk?.markers ?? []).map(\.code)) }
        let common = markerSets.dropFirst().reduce(markerSets[0]) { $0.intersection($1) }
        return .with {
            $0.diffs = diffs
            $0.minScore = scores.min() ?? 0
            $0.maxScore = scores.max() ?? 0
            $0.commonMarkers = common.sorted()
        }
    }
}
