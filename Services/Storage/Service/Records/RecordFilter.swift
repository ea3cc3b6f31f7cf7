package import Contracts
package import RPCCore

/// A validated `ReportFilter`, shared by thread and report listings.
package struct RecordFilter: Sendable, Equatable {
    package var inn: String?
    /// Lower-cased (Unicode-aware), matched as a substring of the lower-cased company name.
    package var nameContains: String?
    package var levels: [CommonV1.RiskLevel] = []
    package var createdFromMs: Int64?
    package var createdToMs: Int64?
    package var minScore: Double?
    package var maxScore: Double?
    package var threadID: String?
    package var latestOnly = false

    package init() {}

    package init(_ filter: CommonV1.ReportFilter?) throws {
        guard let filter else { return }
        inn = filter.inn.isEmpty ? nil : filter.inn
        nameContains = filter.nameContains.isEmpty ? nil : filter.nameContains.lowercased()
        levels = filter.levels
        createdFromMs = filter.createdFromMs == 0 ? nil : filter.createdFromMs
        createdToMs = filter.createdToMs == 0 ? nil : filter.createdToMs
        if let from = createdFromMs, let to = createdToMs, from >= to {
            throw RPCError(.invalidArgument, "filter.created_to_ms: must be after created_from_ms (\(from)), got \(to)")
        }
        minScore = filter.minScore
        maxScore = filter.maxScore
        for (field, score) in [("min_score", minScore), ("max_score", maxScore)] {
            if let score, !(0...100).contains(score) {
                throw RPCError(.invalidArgument, "filter.\(field): must be from 0 to 100, got \(score)")
            }
        }
        if let low = minScore, let high = maxScore, low > high {
            throw RPCError(.invalidArgument, "filter.max_score: must not be below min_score (\(low)), got \(high)")
        }
        threadID = filter.threadId.isEmpty ? nil : filter.threadId
        latestOnly = filter.latestOnly
    }
}
