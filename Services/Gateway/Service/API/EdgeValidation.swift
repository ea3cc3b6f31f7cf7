package import Contracts
internal import Domain
package import RPCCore

/// Checks at the edge, before anything reaches another service: every failure is INVALID_ARGUMENT naming
/// the field and the rule ("request.inn: checksum digit 10 must be 3, got 4").
package enum EdgeValidation {
    package static func inn(_ value: String, _ field: String) throws -> String {
        if let problem = INN.problem(value) { throw invalid(field, problem) }
        return value
    }

    /// An id: present, printable, at most 128 bytes.
    package static func id(_ value: String, _ field: String) throws -> String {
        guard !value.isEmpty else { throw invalid(field, "must be set") }
        try text(value, field, maxBytes: 128)
        return value
    }

    /// Free text up to `maxBytes` of UTF-8, without control characters other than line breaks and tabs.
    package static func text(_ value: String, _ field: String, maxBytes: Int) throws {
        guard value.utf8.count <= maxBytes else { throw invalid(field, "at most \(maxBytes) bytes, got \(value.utf8.count)") }
        if value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" }) {
            throw invalid(field, "control characters are not allowed")
        }
    }

    /// A declared, non-zero enum value.
    package static func known<Value: ProtoEnum>(_ value: Value, _ field: String) throws {
        guard value.protoNumber != 0, Value.knownCases.contains(value) else {
            let names = Value.knownCases.filter { $0.protoNumber != 0 }.map(\.protoName)
            throw invalid(field, "unknown value \(value.protoNumber); expected one of \(names.joined(separator: ", "))")
        }
    }

    package static func page(_ page: CommonV1.PageRequest?, _ field: String = "page") throws {
        guard let page else { return }
        guard (0...1000).contains(page.pageSize) else { throw invalid("\(field).page_size", "must be 0–1000 (0: the default 50), got \(page.pageSize)") }
        try text(page.cursor, "\(field).cursor", maxBytes: 512)
    }

    package static func filter(_ filter: CommonV1.ReportFilter?, _ field: String = "filter") throws {
        guard let filter else { return }
        if !filter.inn.isEmpty { _ = try inn(filter.inn, "\(field).inn") }
        try text(filter.nameContains, "\(field).name_contains", maxBytes: 300)
        for (index, level) in filter.levels.enumerated() { try known(level, "\(field).levels[\(index)]") }
        for (name, score) in [("min_score", filter.minScore), ("max_score", filter.maxScore)] {
            if let score, !(0...100).contains(score) { throw invalid("\(field).\(name)", "must be 0–100, got \(score)") }
        }
        if let low = filter.minScore, let high = filter.maxScore, low > high {
            throw invalid("\(field).min_score", "must not exceed max_score (\(low) > \(high))")
        }
        if filter.createdFromMs < 0 || filter.createdToMs < 0 { throw invalid("\(field).created_from_ms", "times must not be negative") }
        if filter.createdToMs != 0, filter.createdFromMs > filter.createdToMs {
            throw invalid("\(field).created_from_ms", "must not be after created_to_ms")
        }
        if !filter.threadId.isEmpty { _ = try id(filter.threadId, "\(field).thread_id") }
    }

    package static func analysis(_ request: CommonV1.AnalysisRequest?, _ field: String) throws -> CommonV1.AnalysisRequest {
        guard let request else { throw invalid(field, "must be set") }
        if request.inn.isEmpty, request.ogrn.isEmpty { throw invalid("\(field).inn", "must be set (or give request.ogrn)") }
        _ = try inn(request.inn, "\(field).inn")
        if !request.ogrn.isEmpty, let problem = OGRN.problem(request.ogrn) { throw invalid("\(field).ogrn", problem) }
        try text(request.clientName, "\(field).client_name", maxBytes: 500)
        try text(request.notes, "\(field).notes", maxBytes: 4000)
        if let options = request.options {
            for (index, source) in options.sources.enumerated() { try known(source, "\(field).options.sources[\(index)]") }
            for (index, source) in options.refreshSources.enumerated() { try known(source, "\(field).options.refresh_sources[\(index)]") }
            guard options.extraIntents.count <= 10 else { throw invalid("\(field).options.extra_intents", "at most 10, got \(options.extraIntents.count)") }
            for (index, intent) in options.extraIntents.enumerated() { try text(intent, "\(field).options.extra_intents[\(index)]", maxBytes: 300) }
        }
        if !request.parentReportId.isEmpty { _ = try id(request.parentReportId, "\(field).parent_report_id") }
        return request
    }

    /// A scheduled start: 0 (now), or a time at most a year ahead. A time over a day in the past is refused
    /// rather than run at once: it is almost always seconds sent for milliseconds.
    package static func runAt(_ milliseconds: Int64, _ field: String, now: Int64) throws {
        guard milliseconds != 0 else { return }
        let day: Int64 = 86_400_000
        guard milliseconds >= now - day else {
            throw invalid(field, "\(milliseconds) is over a day in the past (milliseconds since 1970, or 0 for now)")
        }
        guard milliseconds <= now + 366 * day else {
            throw invalid(field, "\(milliseconds) is more than a year ahead (milliseconds since 1970, or 0 for now)")
        }
    }

    package static func invalid(_ field: String, _ rule: String) -> RPCError {
        RPCError(.invalidArgument, "\(field): \(rule)")
    }
}
