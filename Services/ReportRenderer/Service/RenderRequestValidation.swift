internal import Contracts

/// What a render request must satisfy. A report that breaks these would print nonsense (a score of 140, a
/// negative version), so the caller gets INVALID_ARGUMENT naming the field and the rule instead.
enum RenderRequestValidation {
    struct Failure: Error, CustomStringConvertible {
        var field: String
        var rule: String
        var description: String { "\(field): \(rule)" }
    }

    /// Limits that keep one request's document within reason.
    static let maxCourtCases = 20_000
    static let maxMentions = 20_000
    static let maxMarkers = 2_000

    static func validate(_ request: RenderV1.RenderRequest) throws(Failure) {
        switch request.format {
        case .pdf, .html, .markdown, .csv: break
        default: throw Failure(field: "format", rule: "one of FORMAT_PDF, FORMAT_HTML, FORMAT_MARKDOWN, FORMAT_CSV")
        }
        if let options = request.options {
            guard options.locale.isEmpty || options.locale == "ru" else { throw Failure(field: "options.locale", rule: "only \"ru\" is supported") }
            guard options.maxCourtCases >= 0 else { throw Failure(field: "options.max_court_cases", rule: "must not be negative") }
            guard abs(options.utcOffsetMinutes) <= 14 * 60 else {
                throw Failure(field: "options.utc_offset_minutes", rule: "must be within ±840 minutes")
            }
            guard options.watermark.count <= 64 else { throw Failure(field: "options.watermark", rule: "at most 64 characters") }
        }
        guard let report = request.report else { throw Failure(field: "report", rule: "required") }
        guard report.inn.count == 10 || report.inn.count == 12, report.inn.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw Failure(field: "report.inn", rule: "10 or 12 digits")
        }
        guard report.version >= 1 else { throw Failure(field: "report.version", rule: "must be at least 1") }
        guard report.createdAtMs >= 0 else { throw Failure(field: "report.created_at_ms", rule: "must not be negative") }
        guard report.courtCases.count <= maxCourtCases else { throw Failure(field: "report.court_cases", rule: "at most \(maxCourtCases)") }
        guard report.webMentions.count <= maxMentions else { throw Failure(field: "report.web_mentions", rule: "at most \(maxMentions)") }
        if let risk = report.risk {
            guard risk.score.isFinite, (0...100).contains(risk.score) else { throw Failure(field: "report.risk.score", rule: "a number from 0 to 100") }
            guard risk.confidence.isFinite, (0...1).contains(risk.confidence) else {
                throw Failure(field: "report.risk.confidence", rule: "a number from 0 to 1")
            }
            guard risk.sourceCoverage.isFinite, (0...1).contains(risk.sourceCoverage) else {
                throw Failure(field: "report.risk.source_coverage", rule: "a number from 0 to 1")
            }
            guard risk.markers.count <= maxMarkers else { throw Failure(field: "report.risk.markers", rule: "at most \(maxMarkers)") }
            for (index, marker) in risk.markers.enumerated() where !marker.contribution.isFinite {
                throw Failure(field: "report.risk.markers[\(index)].contribution", rule: "a finite number")
            }
            for (index, category) in risk.categories.enumerated() {
                guard category.score.isFinite, (0...100).contains(category.score) else {
                    throw Failure(field: "report.risk.categories[\(index)].score", rule: "a number from 0 to 100")
                }
                guard category.weight.isFinite, (0...1).contains(category.weight) else {
                    throw Failure(field: "report.risk.categories[\(index)].weight", rule: "a number from 0 to 1")
                }
            }
        }
        if let diff = report.diffFromParent {
            guard diff.scoreBefore.isFinite, diff.scoreAfter.isFinite else {
                throw Failure(field: "report.diff_from_parent", rule: "scores must be finite numbers")
            }
        }
    }
}
