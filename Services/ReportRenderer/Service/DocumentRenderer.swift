package import Contracts

/// A rendered document and what the client needs to save it.
package struct RenderedDocument: Sendable {
    package var bytes: [UInt8]
    package var contentType: String
    package var fileName: String
    /// Pages of a PDF; 0 for the text formats.
    package var pageCount: Int
}

/// Renders a validated request into one of the four formats. Pure and synchronous: the PDF path uses pango's
/// per-thread font map, so a render must stay on one thread (`RenderService` runs it on a thread pool).
package enum DocumentRenderer {
    package static func render(_ request: RenderV1.RenderRequest, generatedAtMs: Int64) throws -> RenderedDocument {
        try RenderRequestValidation.validate(request)
        let report = request.report ?? CommonV1.Report()
        let options = ReportDocument.Options(request.options, generatedAtMs: generatedAtMs)
        let document = ReportDocument(report: report, options: options)
        let stem = report.inn + "-v\(report.version)"
        switch request.format {
        case .pdf:
            let (bytes, pages) = try PDFReportWriter.write(document)
            return RenderedDocument(bytes: bytes, contentType: "application/pdf", fileName: stem + ".pdf", pageCount: pages)
        case .html:
            return RenderedDocument(
                bytes: Array(HTMLReportWriter.write(document).utf8), contentType: "text/html; charset=utf-8", fileName: stem + ".html", pageCount: 0)
        case .markdown:
            return RenderedDocument(
                bytes: Array(MarkdownReportWriter.write(document).utf8), contentType: "text/markdown; charset=utf-8", fileName: stem + ".md",
                pageCount: 0)
        case .csv:
            return RenderedDocument(
                bytes: Array(CSVReportWriter.write(report).utf8), contentType: "text/csv; charset=utf-8", fileName: stem + ".csv", pageCount: 0)
        case .unspecified, .unrecognized:
            throw RenderRequestValidation.Failure(field: "format", rule: "one of FORMAT_PDF, FORMAT_HTML, FORMAT_MARKDOWN, FORMAT_CSV")
        }
    }
}
