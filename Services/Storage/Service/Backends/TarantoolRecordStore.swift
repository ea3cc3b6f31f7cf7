package import Contracts
internal import RPCCore
package import Tarantool

/// Threads, reports, feedback and documents in Tarantool (`storage.backend: tarantool`): the
/// `cla.records_*` functions of compose/tarantool/cla_records.lua over the namespace's spaces.
///
/// Ids, serialized records and search words are made here; each Lua function is one transaction. A report
/// is stored compare-and-set on its thread's last version (a lost race is prepared again), a document and
/// a revocation on the record they change, as the job store does for jobs.
package struct TarantoolRecordStore: RecordStore {
    private let client: TarantoolClient
    private let namespace: String

    /// Compare-and-set attempts before giving up on a record that keeps changing underneath.
    static let attempts = 20
    /// Document chunks fetched per call: cla_chunks.lua cuts blobs into chunks of at most 8000 bytes, so a call
    /// answers at most 4 MB, well inside the client's 64 MiB answer limit.
    static let chunksPerRead = 512

    package init(client: TarantoolClient, namespace: String) {
        self.client = client
        self.namespace = namespace
    }

    // MARK: Threads

    package func createThread(inn: String, companyName: String, notes: String, now: Int64) async throws -> (CommonV1.Thread, created: Bool) {
        let answer = try await call(
            "create_thread", .string(RecordID.make("t", now: now)), .string(inn), .string(companyName), .string(companyName.lowercased()),
            .string(notes), .int(now), Self.words(SearchWords.of(inn, companyName, notes)))
        guard let pair = answer.first?.array, pair.count == 2 else { throw TarantoolError.protocolViolation("create_thread answered \(answer)") }
        return (try Self.thread(pair[0]).thread, try field(pair[1].bool))
    }

    package func thread(id: String?, inn: String?) async throws -> (CommonV1.Thread, [CommonV1.ReportSummary])? {
        guard let value = try await call("thread", Self.optional(id), Self.optional(inn)).first, let pair = value.array, pair.count == 2 else { return nil }
        return (try Self.thread(pair[0]).thread, try field(pair[1].array).map(Self.summary))
    }

    package func listThreads(_ filter: RecordFilter, before: Int64?, limit: Int) async throws -> [(thread: CommonV1.Thread, position: Int64)] {
        try await threads(call("list_threads", Self.map(filter), before.map(MessagePack.int) ?? .null, .uint(limit)))
    }

    package func countThreads(_ filter: RecordFilter) async throws -> Int64 {
        try field(try await call("count_threads", Self.map(filter)).first?.int)
    }

    package func searchThreads(_ query: String, before: Int64?, limit: Int) async throws -> [(thread: CommonV1.Thread, position: Int64)] {
        let words = try SearchWords.query(query).map(SearchWords.fold)
        return try await threads(call("search_threads", Self.words(words), before.map(MessagePack.int) ?? .null, .uint(limit)))
    }

    package func deleteThread(id: String) async throws -> StorageV1.DeleteThreadResponse? {
        guard let counts = try await call("delete_thread", .string(id)).first?.array, counts.count == 3 else { return nil }
        return try .with {
            $0.reportsDeleted = try field(counts[0].int)
            $0.documentsDeleted = try field(counts[1].int)
            $0.feedbackDeleted = try field(counts[2].int)
        }
    }

    // MARK: Reports

    package func putReport(_ report: CommonV1.Report, jobID: String, now: Int64) async throws -> (CommonV1.Report, created: Bool) {
        for _ in 0..<Self.attempts {
            let prepared = try await call("prepare_report", .string(report.threadId), .string(report.inn), .string(jobID)).first?.array ?? []
            switch prepared.first?.string {
            case "duplicate":
                return (try CommonV1.Report(serializedBytes: try field(prepared.last?.bytes)), false)
            case "none":
                guard report.threadId.isEmpty else { throw RPCError(.notFound, "report.thread_id: thread \(report.threadId) not found") }
                _ = try await createThread(inn: report.inn, companyName: ReportRecord.companyName(report), notes: report.notes, now: now)
            case "thread":
                let thread = try field(prepared.last?.array)
                guard thread.count == 13 else { throw TarantoolError.protocolViolation("a thread tuple of \(thread)") }
                let lastVersion = try field(thread[8].int)
                var stored = report
                ReportRecord.assign(id: RecordID.make("r", now: now), to: &stored)
                stored.threadId = try field(thread[0].string)
                stored.inn = try field(thread[1].string)
                stored.version = Int32(lastVersion + 1)
                if stored.parentReportId.isEmpty { stored.parentReportId = try field(thread[9].string) }
                stored.createdAtMs = now
                stored.jobId = jobID
                let summary = ReportRecord.summary(of: stored)
                let name = summary.companyName.isEmpty ? try field(thread[2].string) : summary.companyName
                let notes = report.notes.isEmpty ? try field(thread[4].string) : report.notes
                let row: MessagePack = .array([
                    .string(stored.id), .string(stored.threadId), .int(Int64(stored.version)), .string(stored.parentReportId), .string(jobID),
                    .string(stored.inn), .string(summary.companyName), .string(summary.companyName.lowercased()), .double(summary.score),
                    .uint(summary.level.protoNumber), .double(summary.confidence), .uint(summary.markerCount), .bool(summary.hasPdf),
                    .int(now),
                ])
                let words = SearchWords.of(stored.inn, name, stored.narrative?.summary ?? "", notes)
                let outcome = try await call(
                    "insert_report", row, .binary(try stored.serializedBytes()), .int(lastVersion), .string(name), .string(name.lowercased()), .string(notes), Self.words(words)
                ).first?.array ?? []
                switch outcome.first?.string {
                case "stored": return (stored, true)
                case "duplicate": return (try CommonV1.Report(serializedBytes: try field(outcome.last?.bytes)), false)
                default: continue  // another version arrived meanwhile: prepare again
                }
            default:
                throw TarantoolError.protocolViolation("prepare_report answered \(prepared)")
            }
        }
        throw TarantoolError.unavailable("thread of INN \(report.inn) kept changing while a report was stored")
    }

    package func report(id: String) async throws -> CommonV1.Report? {
        try await record(call("report", .string(id)))
    }

    package func latestReport(threadID: String?, inn: String?) async throws -> CommonV1.Report? {
        try await record(call("latest_report", Self.optional(threadID), Self.optional(inn)))
    }

    package func listReports(_ filter: RecordFilter, before: String?, limit: Int) async throws -> [CommonV1.ReportSummary] {
        try (try await call("list_reports", Self.map(filter), Self.optional(before), .uint(limit)).first?.array ?? []).map(Self.summary)
    }

    package func deleteReports(ids: [String], now: Int64) async throws -> (deleted: Int64, notFound: [String]) {
        guard let pair = try await call("delete_reports", .array(ids.map(MessagePack.string)), .int(now)).first?.array, pair.count == 2 else {
            throw TarantoolError.protocolViolation("delete_reports answered without counts")
        }
        return (try field(pair[0].int), try field(pair[1].array).map { try field($0.string) })
    }

    package func stats(_ filter: RecordFilter, utcOffsetMinutes: Int32, now: Int64) async throws -> CommonV1.ReportStats {
        let (todayStart, weekStart) = ReportCalendar.window(utcOffsetMinutes: utcOffsetMinutes, now: now)
        let points = try await points(filter, from: nil)
        var byLevel: [String: Int64] = [:]
        for point in points { byLevel[ProtoLabel.of(point.level.protoName, prefix: "RISK_LEVEL_"), default: 0] += 1 }
        return .with {
            $0.totalReports = Int64(points.count)
            $0.totalThreads = Int64(Set(points.map(\.threadID)).count)
            $0.averageScore = points.isEmpty ? 0 : points.map(\.score).reduce(0, +) / Double(points.count)
            $0.today = Int64(points.count { $0.createdAtMs >= todayStart })
            $0.thisWeek = Int64(points.count { $0.createdAtMs >= weekStart })
            $0.highRisk = Int64(points.count(where: \.isHighRisk))
            $0.byLevel = byLevel
        }
    }

    package func timeline(_ filter: RecordFilter, days: Int, now: Int64) async throws -> [CommonV1.TimelinePoint] {
        let range = ReportCalendar.days(days, now: now)
        let byDay = Dictionary(grouping: try await points(filter, from: range.lowerBound * ReportCalendar.day)) {
            $0.createdAtMs.floorDivided(by: ReportCalendar.day)
        }
        return range.map { day in
            let points = byDay[day] ?? []
            return .with {
                $0.date = ReportCalendar.date(day)
                $0.count = Int64(points.count)
                $0.averageScore = points.isEmpty ? 0 : points.map(\.score).reduce(0, +) / Double(points.count)
                $0.highRisk = Int64(points.count(where: \.isHighRisk))
            }
        }
    }

    // MARK: Feedback and documents

    package func addFeedback(_ feedback: CommonV1.Feedback, now: Int64) async throws -> CommonV1.Feedback {
        let notFound = RPCError(.notFound, "feedback.report_id: report \(feedback.reportId) not found")
        guard let threadID = try await call("report_thread", .string(feedback.reportId)).first?.string else { throw notFound }
        var stored = feedback
        stored.id = RecordID.make("f", now: now)
        stored.threadId = threadID
        stored.createdAtMs = now
        let added = try await call(
            "add_feedback", .string(stored.id), .string(stored.reportId), .string(threadID), .binary(try stored.serializedBytes()))
        guard added.first?.bool == true else { throw notFound }  // the report went meanwhile
        return stored
    }

    package func listFeedback(reportID: String?, threadID: String?, before: String?, limit: Int) async throws -> [CommonV1.Feedback] {
        let rows = try await call(
            "list_feedback", .string(reportID != nil ? "report" : "thread"), .string(reportID ?? threadID ?? ""), Self.optional(before), .uint(limit)
        ).first?.array ?? []
        return try rows.map { try CommonV1.Feedback(serializedBytes: try field($0.bytes)) }
    }

    package func putDocument(reportID: String, format: String, contentType: String, data: [UInt8], now: Int64) async throws -> (size: Int64, sha256: String) {
        let notFound = RPCError(.notFound, "report_id: report \(reportID) not found")
        let digest = ReportRecord.sha256Hex(data)
        for _ in 0..<Self.attempts {
            guard let current = try await call("document_report", .string(reportID)).first?.bytes else { throw notFound }
            var report = try CommonV1.Report(serializedBytes: current)
            if !report.documentFormats.contains(format) { report.documentFormats.append(format) }
            let outcome = try await call(
                "put_document", .string(reportID), .string(format), .string(contentType), .binary(data), .string(digest), .int(now),
                .binary(current), .binary(try report.serializedBytes()), .bool(report.documentFormats.contains("pdf")))
            switch outcome.first?.string {
            case "stored": return (Int64(data.count), digest)
            case "missing": throw notFound
            default: continue  // the report changed meanwhile (another format): read it again
            }
        }
        throw TarantoolError.unavailable("report \(reportID) kept changing while its document was stored")
    }

    package func document(reportID: String, format: String) async throws -> (contentType: String, data: [UInt8])? {
        for _ in 0..<Self.attempts {
            guard let header = try await call("document", .string(reportID), .string(format)).first?.array, header.count == 4 else { return nil }
            let (contentType, size, count, digest) = (try field(header[0].string), try field(header[1].int), try field(header[2].int), try field(header[3].string))
            var data: [UInt8] = []
            data.reserveCapacity(Int(size))
            var next: Int64 = 1
            while next <= count {
                let chunks = try await call("document_chunks", .string(reportID), .string(format), .int(next), .uint(Self.chunksPerRead)).first?.array ?? []
                if chunks.isEmpty { break }
                for chunk in chunks { data += try field(chunk.bytes) }
                next += Int64(chunks.count)
            }
            data.removeLast(max(0, data.count - Int(size)))
            // A document replaced while it was read does not match the digest it was read under: read the new one.
            if data.count == size, ReportRecord.sha256Hex(data) == digest { return (contentType, data) }
        }
        throw TarantoolError.unavailable("document \(format) of report \(reportID) kept changing while it was read")
    }

    // MARK: Rows

    /// What stats and timelines count: one report's time, score, level and thread.
    private struct Point {
        var createdAtMs: Int64
        var score: Double
        var level: CommonV1.RiskLevel
        var threadID: String
        var isHighRisk: Bool { level == .high || level == .critical }
    }

    private func points(_ filter: RecordFilter, from: Int64?) async throws -> [Point] {
        try (try await call("report_points", Self.map(filter), from.map(MessagePack.int) ?? .null).first?.array ?? []).map { value in
            guard let row = value.array, row.count == 4 else { throw TarantoolError.protocolViolation("a report point of \(value)") }
            return Point(
                createdAtMs: try field(row[0].int), score: try Self.double(row[1]), level: .init(protoNumber: Int32(try field(row[2].int))),
                threadID: try field(row[3].string))
        }
    }

    private func threads(_ answer: [MessagePack]) throws -> [(thread: CommonV1.Thread, position: Int64)] {
        try (answer.first?.array ?? []).map { value in
            guard let pair = value.array, pair.count == 2 else { throw TarantoolError.protocolViolation("a listed thread of \(value)") }
            return try Self.thread(pair[0])
        }
    }

    private func record(_ answer: [MessagePack]) throws -> CommonV1.Report? {
        guard let value = answer.first, !value.isNull else { return nil }
        return try CommonV1.Report(serializedBytes: try field(value.bytes))
    }

    /// A thread view `{thread tuple, latest summary or nil}` and the thread's position (`seq`).
    static func thread(_ value: MessagePack) throws -> (thread: CommonV1.Thread, position: Int64) {
        guard let pair = value.array, pair.count >= 1, let row = pair[0].array, row.count == 13 else {
            throw TarantoolError.protocolViolation("a thread of \(value)")
        }
        let latest = pair.count > 1 && !pair[1].isNull ? try summary(pair[1]) : nil
        let thread = try CommonV1.Thread.with {
            $0.id = try field(row[0].string)
            $0.inn = try field(row[1].string)
            $0.companyName = try field(row[2].string)
            $0.notes = try field(row[4].string)
            $0.createdAtMs = try field(row[5].int)
            $0.updatedAtMs = try field(row[6].int)
            $0.reportCount = Int32(try field(row[7].int))
            $0.latest = latest
        }
        return (thread, try field(row[12].int))
    }

    /// A report tuple without its record: `{id, thread_id, version, parent_report_id, job_id, inn,
    /// company_name, name_folded, score, level, confidence, marker_count, has_pdf, created_at}`.
    static func summary(_ value: MessagePack) throws -> CommonV1.ReportSummary {
        guard let row = value.array, row.count == 14 else { throw TarantoolError.protocolViolation("a report summary of \(value)") }
        return try .with {
            $0.id = try field(row[0].string)
            $0.threadId = try field(row[1].string)
            $0.version = Int32(try field(row[2].int))
            $0.parentReportId = try field(row[3].string)
            $0.inn = try field(row[5].string)
            $0.companyName = try field(row[6].string)
            $0.score = try double(row[8])
            $0.level = .init(protoNumber: Int32(try field(row[9].int)))
            $0.confidence = try double(row[10])
            $0.markerCount = Int32(try field(row[11].int))
            $0.hasPdf = try field(row[12].bool)
            $0.createdAtMs = try field(row[13].int)
        }
    }

    /// A Lua number: MessagePack gives integral values as integers.
    static func double(_ value: MessagePack) throws -> Double {
        switch value {
        case .double(let number): number
        case .int(let number): Double(number)
        default: throw TarantoolError.protocolViolation("a number of \(value)")
        }
    }

    /// The filter as cla_records.lua's `matches` reads it (absent keys: any).
    static func map(_ filter: RecordFilter) -> MessagePack {
        var pairs: [MessagePackPair] = []
        func add(_ key: String, _ value: MessagePack?) {
            if let value { pairs.append(MessagePackPair(.string(key), value)) }
        }
        add("inn", filter.inn.map(MessagePack.string))
        add("name", filter.nameContains.map(MessagePack.string))
        add("levels", filter.levels.isEmpty ? nil : .array(filter.levels.map { .uint($0.protoNumber) }))
        add("from", filter.createdFromMs.map(MessagePack.int))
        add("to", filter.createdToMs.map(MessagePack.int))
        add("min_score", filter.minScore.map(MessagePack.double))
        add("max_score", filter.maxScore.map(MessagePack.double))
        add("thread", filter.threadID.map(MessagePack.string))
        add("latest_only", filter.latestOnly ? .bool(true) : nil)
        return .map(pairs)
    }

    static func optional(_ text: String?) -> MessagePack { text.map(MessagePack.string) ?? .null }

    static func words(_ words: [String]) -> MessagePack { .array(words.map(MessagePack.string)) }

    private func call(_ function: String, _ arguments: MessagePack...) async throws -> [MessagePack] {
        try await client.call("cla.records_" + function, [.string(namespace)] + arguments)
    }
}
