package import Contracts

/// Everything collection produced for one subject: what scoring and the narrative work from.
package struct Findings: Sendable {
    package var company: CommonV1.CompanyCard?
    package var courtCases: [CommonV1.CourtCase] = []
    package var registryHits: [CommonV1.RegistryHit] = []
    package var webMentions: [CommonV1.WebMention] = []
    package var sources: [CommonV1.SourceStatus] = []
    /// The day the analysis runs, ISO "YYYY-MM-DD": "recent" is measured from it.
    package var asOf: String

    package init(
        company: CommonV1.CompanyCard? = nil, courtCases: [CommonV1.CourtCase] = [], registryHits: [CommonV1.RegistryHit] = [],
        webMentions: [CommonV1.WebMention] = [], sources: [CommonV1.SourceStatus] = [], asOf: String
    ) {
        self.company = company
        self.courtCases = courtCases
        self.registryHits = registryHits
        self.webMentions = webMentions
        self.sources = sources
        self.asOf = asOf
    }

    /// True when the source gave data (fresh, cached, or a definite "not found").
    package func answered(_ source: CommonV1.Source) -> Bool {
        sources.contains { $0.source == source && [.ok, .cached, .notFound].contains($0.state) }
    }

    /// True when the source was asked (it is configured and enabled) whatever it answered.
    package func asked(_ source: CommonV1.Source) -> Bool {
        sources.contains { $0.source == source && $0.state.asked }
    }

    /// True when the source was asked but failed or answered partly (`State.incomplete`).
    package func missing(_ source: CommonV1.Source) -> Bool {
        sources.contains { $0.source == source && $0.state.incomplete }
    }

    /// The statuses of the sources that failed or answered partly.
    package var incompleteSources: [CommonV1.SourceStatus] { sources.filter(\.state.incomplete) }

    /// How much of what the source was asked it answered: 1 for a full answer, the share of queries answered
    /// for a partial one, 0 otherwise.
    package func answeredShare(_ source: CommonV1.Source) -> Double {
        guard let status = sources.first(where: { $0.source == source }) else { return 0 }
        switch status.state {
        case .ok, .cached, .notFound: return 1
        case .partial where status.queries > 0: return Double(status.queriesAnswered) / Double(status.queries)
        default: return 0
        }
    }

    /// True when a registry knows the subject: DaData gave its card, or InfoSphere answered with records of it.
    /// An unidentified subject's "nothing found" anywhere is knowledge of nothing, not a clean record.
    package var identified: Bool {
        company != nil || answered(.infosphere) && !registryHits.isEmpty
    }

    func hits(_ kind: CommonV1.RegistryKind) -> [CommonV1.RegistryHit] { registryHits.filter { $0.kind == kind } }
}

/// Calendar arithmetic on ISO dates, enough for "within the last N months/years".
enum ISODate {
    /// (year, month, day) of "YYYY-MM-DD…".
    static func parts(_ iso: String) -> (Int, Int, Int)? {
        let fields = iso.prefix(10).split(separator: "-").compactMap { Int($0) }
        guard fields.count == 3, (1...12).contains(fields[1]), (1...31).contains(fields[2]) else { return nil }
        return (fields[0], fields[1], fields[2])
    }

    /// Whole months from `from` to `to` (negative when `from` is later).
    static func months(from: String, to: String) -> Int? {
        guard let a = parts(from), let b = parts(to) else { return nil }
        return (b.0 - a.0) * 12 + (b.1 - a.1) - (b.2 < a.2 ? 1 : 0)
    }
}
