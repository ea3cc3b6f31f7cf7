import Contracts
import ContractsTestSupport
import Testing

/// Bad bytes give a `ProtoError` and never crash or read out of bounds (`make check-memory` runs the same
/// inputs under valgrind).
@Suite("Malformed input")
struct MalformedInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let code: ProtoError.Code
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "length prefix larger than the data", bytes: [0x0A, 0x05, 0x61], code: .malformed),
        Case(name: "length prefix near 4 GiB", bytes: [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x61], code: .malformed),
        Case(name: "length prefix over 2^63", bytes: [0x0A] + Array(repeating: 0xFF, count: 9) + [0x01], code: .malformed),
        Case(name: "varint longer than 10 bytes", bytes: [0x10] + Array(repeating: 0xFF, count: 10) + [0x01], code: .malformed),
        Case(name: "truncated varint", bytes: [0x10, 0xFF], code: .malformed),
        Case(name: "truncated fixed64", bytes: [0x09, 0x00, 0x00, 0x00], code: .malformed),
        Case(name: "field number 0", bytes: [0x00, 0x01], code: .malformed),
        Case(name: "start-group wire type", bytes: [0x0B, 0x0C], code: .malformed),
        Case(name: "reserved wire type 6", bytes: [0x0E, 0x00], code: .malformed),
        Case(name: "truncated tag", bytes: [0x80], code: .malformed),
        Case(name: "garbage nested message", bytes: [0x4A, 0x02, 0xFF, 0xFF], code: .malformed),
        Case(name: "string with a lone continuation byte", bytes: [0x32, 0x01, 0x80], code: .invalidUTF8),
        Case(name: "string with an overlong encoding", bytes: [0x32, 0x02, 0xC0, 0xAF], code: .invalidUTF8),
        Case(name: "string with a UTF-16 surrogate", bytes: [0x32, 0x03, 0xED, 0xA0, 0x80], code: .invalidUTF8),
        Case(
            name: "invalid UTF-8 deep inside a repeated nested message",
            // Report.court_cases (10) → CourtCase.counterparties (10) = [0xFF]
            bytes: [0x52, 0x03, 0x52, 0x01, 0xFF],
            code: .invalidUTF8
        ),
        Case(
            name: "invalid UTF-8 in a map key",
            // Report.registry_hits (11) → RegistryHit.fields (8) → entry key = [0xFE]
            bytes: [0x5A, 0x05, 0x42, 0x03, 0x0A, 0x01, 0xFE],
            code: .invalidUTF8
        ),
    ]

    @Test("hand-made malformed inputs are rejected as a Report", arguments: cases)
    func rejected(_ input: Case) throws {
        let error = try #require(throws: ProtoError.self) { try CommonV1.Report(serializedBytes: input.bytes) }
        #expect(error.code == input.code)
        #expect(error.message.contains("Report") || error.message.contains("."))
    }

    @Test("every prefix of a valid encoding decodes or fails cleanly")
    func prefixes() throws {
        let job = CommonV1.Job.with {
            $0.id = "job_01JDQ8Z3K4M5N6P7Q8R9S0T1V3"
            $0.request = .with { $0.inn = "7707083893"; $0.options = .with { $0.narrativeLlm = false } }
            $0.labels = ["источник": "cli"]
            $0.state = .running
        }
        let bytes = try job.serializedBytes()
        var rejected = 0
        for length in 0..<bytes.count {
            do {
                _ = try CommonV1.Job(serializedBytes: bytes.prefix(length))
            } catch is ProtoError {
                rejected += 1
            }
        }
        // Cutting inside a field must be detected; only cuts at field boundaries give valid messages.
        #expect(rejected > bytes.count / 2)

        let report = try SampleReport.full().serializedBytes()
        for length in stride(from: 1, to: report.count, by: 101) {
            _ = try? CommonV1.Report(serializedBytes: report.prefix(length))
        }
    }

    @Test("random corruption never crashes; whatever decodes re-encodes")
    func corruption() throws {
        var rng = SplitMix64(seed: 20261125)
        let samples = try (0..<40).map { try CommonV1.Report.arbitrary(seed: $0).serializedBytes() }.filter { !$0.isEmpty }
        var decoded = 0
        var rejected = 0
        for round in 0..<3000 {
            var bytes = samples[round % samples.count]
            switch rng.next() % 3 {
            case 0: bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(bytes.count)))
            default: bytes.remove(at: Int(rng.next() % UInt64(bytes.count)))
            }
            do {
                let report = try CommonV1.Report(serializedBytes: bytes)
                _ = try report.serializedBytes()
                decoded += 1
            } catch is ProtoError {
                rejected += 1
            }
        }
        #expect(decoded + rejected == 3000)
        #expect(rejected > 0)
    }
}
