internal import Contracts
internal import Foundation

/// The export formats of report summaries. Both carry the same columns.
enum ReportExport {
    static let columns = ["id", "thread_id", "version", "inn", "company_name", "score", "level", "confidence", "marker_count", "has_pdf", "created_at_ms"]

    static var csvHeader: String { columns.joined(separator: ",") + "\r\n" }

    static func values(_ summary: CommonV1.ReportSummary) -> [String] {
        [
            summary.id, summary.threadId, String(summary.version), summary.inn, summary.companyName, String(summary.score),
            ProtoLabel.of(summary.level.protoName, prefix: "RISK_LEVEL_"), String(summary.confidence),
            String(summary.markerCount), String(summary.hasPdf), String(summary.createdAtMs),
        ]
    }

    /// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled.
    static func csvRow(_ summary: CommonV1.ReportSummary) -> String {
        values(summary).map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",") + "\r\n"
    }

    private struct Row: Encodable {
        var id, thread_id: String
        var version: Int32
        var inn, company_name: String
        var score: Double
        var level: String
        var confidence: Double
        var marker_count: Int32
        var has_pdf: Bool
        var created_at_ms: Int64
    }

    static func json(_ summary: CommonV1.ReportSummary) -> String {
        let row = Row(
            id: summary.id, thread_id: summary.threadId, version: summary.version, inn: summary.inn, company_name: summary.companyName,
            score: summary.score, level: ProtoLabel.of(summary.level.protoName, prefix: "RISK_LEVEL_"),
            confidence: summary.confidence, marker_count: summary.markerCount, has_pdf: summary.hasPdf, created_at_ms: summary.createdAtMs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(row)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
