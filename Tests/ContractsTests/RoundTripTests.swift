import Contracts
import ContractsTestSupport
import Testing

/// Every generated message type survives encode → decode unchanged, for many random values.
@Suite("Round trip")
struct RoundTripTests {
    static let typeNames = ArbitraryRegistry.messages.map { $0.protoName }.sorted()

    @Test("every message type round-trips random values", arguments: typeNames)
    func randomValues(typeName: String) throws {
        guard let type = ArbitraryRegistry.messages.first(where: { $0.protoName == typeName }) else {
            Issue.record("no generated type named \(typeName)")
            return
        }
        let failures = try type.roundTripFailures(seeds: 0..<60)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("a default message encodes to zero bytes and decodes from them")
    func emptyMessages() throws {
        #expect(try CommonV1.Report().serializedBytes().isEmpty)
        #expect(try CommonV1.Report(serializedBytes: []) == CommonV1.Report())
        #expect(try GrpcTesting.Empty(serializedBytes: []) == GrpcTesting.Empty())
    }

    @Test("the realistic full report round-trips")
    func fullReport() throws {
        let report = SampleReport.full()
        let decoded = try CommonV1.Report(serializedBytes: report.serializedBytes())
        #expect(decoded == report)
        #expect(decoded.courtCases.count == 50)
        #expect(decoded.company?.shortName == "ПАО СБЕРБАНК")
    }

    @Test("large values: 4 MiB of bytes, a 1 MiB Cyrillic string, 10 000 repeated elements")
    func largeValues() throws {
        var chunk = StorageV1.Chunk()
        chunk.data = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try StorageV1.Chunk(serializedBytes: chunk.serializedBytes()) == chunk)

        var thread = CommonV1.Thread()
        thread.companyName = String(repeating: "Ж", count: 512 * 1024)
        #expect(try CommonV1.Thread(serializedBytes: thread.serializedBytes()).companyName.utf8.count == 1 << 20)

        let many = CommonV1.Report.with { r in
            r.courtCases = (0..<10_000).map { i in .with { $0.number = "А40-\(i)/2024" } }
        }
        #expect(try CommonV1.Report(serializedBytes: many.serializedBytes()) == many)
    }

    @Test("extreme scalars keep their exact values")
    func extremeScalars() throws {
        let finance = CommonV1.Finance.with {
            $0.year = .min
            $0.incomeKopecks = .max
            $0.expenseKopecks = .min
            $0.debtKopecks = 0
        }
        let decoded = try CommonV1.Finance(serializedBytes: finance.serializedBytes())
        #expect(decoded.year == .min)
        #expect(decoded.incomeKopecks == .max)
        #expect(decoded.expenseKopecks == .min)
        #expect(decoded.debtKopecks == 0)
        let bucket = OpsV1.Bucket.with {
            $0.upperBound = .greatestFiniteMagnitude
            $0.cumulativeCount = .max
        }
        #expect(try OpsV1.Bucket(serializedBytes: bucket.serializedBytes()) == bucket)
    }
}

extension Arbitrary {
    /// Seeds whose random message did not come back equal, or whose re-encoding differed.
    static func roundTripFailures(seeds: Range<UInt64>) throws -> [String] {
        var failures: [String] = []
        for seed in seeds {
            let message = arbitrary(seed: seed)
            let bytes = try message.serializedBytes()
            let decoded = try Self(serializedBytes: bytes)
            if decoded != message { failures.append("\(protoName) seed \(seed): decoded value differs") }
            // Encoding is deterministic (maps are sorted), so the bytes must come back identical too.
            if try decoded.serializedBytes() != bytes { failures.append("\(protoName) seed \(seed): bytes differ") }
        }
        return failures
    }
}
