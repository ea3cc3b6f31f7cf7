package import Contracts
internal import Foundation
internal import GRDB
internal import ServiceKit

/// Counts and averages over reports, for dashboards: `ReportStats` and `ReportTimeline`.
extension SQLiteRecordStore {
    private static let day: Int64 = 86_400_000

    package func stats(_ filter: RecordFilter, utcOffsetMinutes: Int32, now: Int64) async throws -> CommonV1.ReportStats {
        let offset = Int64(utcOffsetMinutes) * 60_000
        let localDay = (now + offset).floorDivided(by: Self.day)
        let todayStart = localDay * Self.day - offset
        // 1970-01-01 was a Thursday: Monday-based weekday index of a day number is (day + 3) mod 7.
        let weekStart = (localDay - (localDay + 3).positiveModulo(7)) * Self.day - offset
        let (conditions, arguments) = Self.reportConditionsForAnalytics(filter)
        let filterSQL = Self.whereClause(conditions)
        return try database.readNow { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*) AS total, count(DISTINCT thread_id) AS threads, avg(score) AS average,
                    sum(created_at_ms >= ?) AS today, sum(created_at_ms >= ?) AS week, sum(level IN (?, ?)) AS high
                    FROM reports \(filterSQL)
                    """,
                arguments: [todayStart, weekStart, CommonV1.RiskLevel.high.protoNumber, CommonV1.RiskLevel.critical.protoNumber] + arguments)!
            var byLevel: [String: Int64] = [:]
            for levelRow in try Row.fetchAll(db, sql: "SELECT level, count(*) AS n FROM reports \(filterSQL) GROUP BY level", arguments: arguments) {
                byLevel[ProtoLabel.of(CommonV1.RiskLevel(protoNumber: levelRow["level"]).protoName, prefix: "RISK_LEVEL_")] = levelRow["n"]
            }
            return .with {
                $0.totalReports = row["total"]
                $0.totalThreads = row["threads"]
                $0.averageScore = row["average"] ?? 0
                $0.today = row["today"] ?? 0
                $0.thisWeek = row["week"] ?? 0
                $0.highRisk = row["high"] ?? 0
                $0.byLevel = byLevel
            }
        }
    }

    /// One point per UTC day for the last `days` days (today included), zero where there were no reports.
    package func timeline(_ filter: RecordFilter, days: Int, now: Int64) async throws -> [CommonV1.TimelinePoint] {
        let today = now.floorDivided(by: Self.day)
        let first = today - Int64(days) + 1
        var (conditions, arguments) = Self.reportConditionsForAnalytics(filter)
        conditions.append("created_at_ms >= ?")
        arguments += [first * Self.day]
        let filterSQL = Self.whereClause(conditions)
        let bound = arguments
        let rows = try database.readNow { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT created_at_ms / \(Self.day) AS day, count(*) AS n, avg(score) AS average, sum(level IN (?, ?)) AS high
                    FROM reports \(filterSQL) GROUP BY day
                    """,
                arguments: [CommonV1.RiskLevel.high.protoNumber, CommonV1.RiskLevel.critical.protoNumber] + bound
            ).map { row -> (Int64, Int64, Double, Int64) in (row["day"], row["n"], row["average"], row["high"]) }
        }
        let byDay = Dictionary(rows.map { ($0.0, $0) }, uniquingKeysWith: { a, _ in a })
        return (first...today).map { day in
            .with {
                $0.date = Self.date(day)
                $0.count = byDay[day]?.1 ?? 0
                $0.averageScore = byDay[day]?.2 ?? 0
                $0.highRisk = byDay[day]?.3 ?? 0
            }
        }
    }

    /// Every report summary matching the filter, newest first, in pages (for export).
    package func allReports(_ filter: RecordFilter, _ body: ([CommonV1.ReportSummary]) async throws -> Void) async throws {
        var before: String?
        repeat {
            let page = try await listReports(filter, before: before, limit: 1000)
            if !page.isEmpty { try await body(page) }
            before = page.count == 1000 ? page.last?.id : nil
        } while before != nil
    }

    /// `YYYY-MM-DD` of a day number since 1970-01-01.
    static func date(_ day: Int64) -> String { UnixTime.isoDate(milliseconds: day * 86_400_000) }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    func positiveModulo(_ divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
