package import Contracts
internal import Foundation
internal import GRDB
internal import ServiceKit

/// Counts and averages over reports, for dashboards: `ReportStats` and `ReportTimeline`.
extension SQLiteRecordStore {
    package func stats(_ filter: RecordFilter, utcOffsetMinutes: Int32, now: Int64) async throws -> CommonV1.ReportStats {
        let (todayStart, weekStart) = ReportCalendar.window(utcOffsetMinutes: utcOffsetMinutes, now: now)
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
        let range = ReportCalendar.days(days, now: now)
        let day = ReportCalendar.day
        var (conditions, arguments) = Self.reportConditionsForAnalytics(filter)
        conditions.append("created_at_ms >= ?")
        arguments += [range.lowerBound * day]
        let filterSQL = Self.whereClause(conditions)
        let bound = arguments
        let rows = try database.readNow { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT created_at_ms / \(day) AS day, count(*) AS n, avg(score) AS average, sum(level IN (?, ?)) AS high
                    FROM reports \(filterSQL) GROUP BY day
                    """,
                arguments: [CommonV1.RiskLevel.high.protoNumber, CommonV1.RiskLevel.critical.protoNumber] + bound
            ).map { row -> (Int64, Int64, Double, Int64) in (row["day"], row["n"], row["average"], row["high"]) }
        }
        let byDay = Dictionary(rows.map { ($0.0, $0) }, uniquingKeysWith: { a, _ in a })
        return range.map { day in
            .with {
                $0.date = ReportCalendar.date(day)
                $0.count = byDay[day]?.1 ?? 0
                $0.averageScore = byDay[day]?.2 ?? 0
                $0.highRisk = byDay[day]?.3 ?? 0
            }
        }
    }
}
