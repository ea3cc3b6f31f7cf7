import Contracts
import RPCCore
import Testing

/// Exact bytes on the wire for the cases where a bridge is most likely to go wrong: presence, oneofs, maps,
/// open enums, strings protobuf-c cannot carry.
@Suite("Wire format")
struct WireFormatTests {
    @Test("a string field encodes as tag, length, UTF-8")
    func stringField() throws {
        let request = GrpcHealthV1.HealthCheckRequest.with { $0.service = "ж" }
        #expect(try request.serializedBytes() == [0x0A, 0x02, 0xD0, 0xB6])
    }

    @Test("proto3 optional: zero is present, nil is absent")
    func optionalPresence() throws {
        var founder = CommonV1.Founder()
        #expect(try founder.serializedBytes().isEmpty)
        founder.sharePercent = 0
        let bytes = try founder.serializedBytes()
        #expect(bytes == [0x21, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try CommonV1.Founder(serializedBytes: bytes).sharePercent == 0)
        #expect(try CommonV1.Founder(serializedBytes: []).sharePercent == nil)
    }

    @Test("proto3 implicit presence: defaults are not written")
    func implicitDefaults() throws {
        let founder = CommonV1.Founder.with {
            $0.name = ""
            $0.kind = .unspecified
        }
        #expect(try founder.serializedBytes().isEmpty)
    }

    @Test("-0.0 is written and keeps its sign, in a plain field and as a map value")
    func negativeZero() throws {
        let score = CommonV1.CategoryScore.with { $0.score = -0.0 }
        let bytes = try score.serializedBytes()
        #expect(bytes == [0x11, 0, 0, 0, 0, 0, 0, 0, 0x80])
        #expect(try CommonV1.CategoryScore(serializedBytes: bytes).score.sign == .minus)
        #expect(try CommonV1.CategoryScore.with { $0.score = 0 }.serializedBytes().isEmpty)

        let diff = CommonV1.ReportDiff.with {
            $0.scoreBefore = -0.0
            $0.scoreAfter = -0.0
            $0.categoryDeltas = ["legal": -0.0, "financial": 1.5]
        }
        let decoded = try CommonV1.ReportDiff(serializedBytes: diff.serializedBytes())
        #expect(decoded.scoreBefore.sign == .minus)
        #expect(decoded.scoreAfter.sign == .minus)
        #expect(decoded.categoryDeltas["legal"]?.sign == .minus)
        #expect(decoded.categoryDeltas["financial"] == 1.5)
    }

    @Test("a oneof member set to the empty string is still present")
    func oneofEmptyString() throws {
        let request = StorageV1.GetThreadRequest.with { $0.key = .id("") }
        let bytes = try request.serializedBytes()
        #expect(bytes == [0x0A, 0x00])
        #expect(try StorageV1.GetThreadRequest(serializedBytes: bytes).key == .id(""))
        #expect(try StorageV1.GetThreadRequest(serializedBytes: []).key == nil)
    }

    @Test("a oneof holding a message")
    func oneofMessage() throws {
        let event = CommonV1.ProgressEvent.with {
            $0.detail = .source(.with { $0.source = .casebook; $0.state = .error; $0.reason = "HTTP 503" })
        }
        #expect(try CommonV1.ProgressEvent(serializedBytes: event.serializedBytes()) == event)
    }

    @Test("maps encode as sorted entries, so equal maps give equal bytes")
    func mapDeterminism() throws {
        let a = CommonV1.Job.with { $0.labels = ["a": "b"] }
        #expect(try a.serializedBytes() == [0xA2, 0x01, 0x06, 0x0A, 0x01, 0x61, 0x12, 0x01, 0x62])
        var first = CommonV1.Job()
        var second = CommonV1.Job()
        let keys = (0..<50).map { "ключ-\($0)" }
        for key in keys { first.labels[key] = key }
        for key in keys.reversed() { second.labels[key] = key }
        #expect(try first.serializedBytes() == second.serializedBytes())
        #expect(try CommonV1.Job(serializedBytes: first.serializedBytes()).labels.count == 50)
    }

    @Test("a map with message values")
    func messageMap() throws {
        let response = GrpcHealthV1.HealthListResponse.with {
            $0.statuses = ["": .with { $0.status = .serving }, "storage": .with { $0.status = .notServing }]
        }
        #expect(try GrpcHealthV1.HealthListResponse(serializedBytes: response.serializedBytes()) == response)
    }

    @Test("enum numbers the schema does not know survive a round trip", arguments: [Int32(99), -5, .max])
    func unknownEnum(number: Int32) throws {
        let risk = CommonV1.RiskAssessment.with { $0.level = CommonV1.RiskLevel(protoNumber: number) }
        #expect(risk.level == .unrecognized(number))
        let decoded = try CommonV1.RiskAssessment(serializedBytes: risk.serializedBytes())
        #expect(decoded.level == .unrecognized(number))
        #expect(decoded.level.protoNumber == number)
    }

    @Test("enum names map both ways")
    func enumNames() {
        #expect(CommonV1.RiskLevel.insufficientData.protoName == "RISK_LEVEL_INSUFFICIENT_DATA")
        #expect(CommonV1.RiskLevel(protoName: "RISK_LEVEL_HIGH") == .high)
        #expect(CommonV1.RiskLevel(protoName: "HIGH") == nil)
        #expect(GrpcHealthV1.HealthCheckResponse.ServingStatus.serviceUnknown.protoNumber == 3)
        #expect(CommonV1.RiskLevel.knownCases.count == 6)
    }

    @Test("a string with U+0000 is refused with the field named, not truncated")
    func embeddedNUL() throws {
        let thread = CommonV1.Thread.with { $0.companyName = "ООО \u{0}Ромашка" }
        let error = try #require(throws: ProtoError.self) { try thread.serializedBytes() }
        #expect(error.code == .embeddedNUL)
        #expect(error.message.contains("Thread.company_name"))

        let nested = CommonV1.Report.with { $0.webMentions = [.with { $0.title = "\u{0}" }] }
        let nestedError = try #require(throws: ProtoError.self) { try nested.serializedBytes() }
        #expect(nestedError.message.contains("WebMention.title"))
    }

    @Test("a received string with U+0000 inside is a decode error, not a silently shortened value")
    func embeddedNULOnDecode() throws {
        // HealthCheckRequest.service = "a\0b", as another runtime may legally send it.
        let error = try #require(throws: ProtoError.self) {
            try GrpcHealthV1.HealthCheckRequest(serializedBytes: [0x0A, 0x03, 0x61, 0x00, 0x62])
        }
        #expect(error.code == .embeddedNUL)
        #expect(error.message.contains("HealthCheckRequest.service"))
        // The caller's value is refused, naming the field: INVALID_ARGUMENT, not a server fault.
        #expect(error.rpcError.code == .invalidArgument)
        #expect(error.rpcError.message.hasPrefix("HealthCheckRequest.service: contains U+0000"))
        let garbage = try #require(throws: ProtoError.self) { try GrpcHealthV1.HealthCheckRequest(serializedBytes: [0x0A, 0x09, 0x61]) }
        #expect(garbage.rpcError.code == .internal)
        // A value of only U+0000 is not mistaken for an absent string; an empty one on the wire is just empty.
        #expect(throws: ProtoError.self) { try GrpcHealthV1.HealthCheckRequest(serializedBytes: [0x0A, 0x01, 0x00]) }
        #expect(try GrpcHealthV1.HealthCheckRequest(serializedBytes: [0x0A, 0x00]).service == "")
        // A trailing NUL is inside the value too.
        #expect(throws: ProtoError.self) {
            try GrpcHealthV1.HealthCheckRequest(serializedBytes: [0x0A, 0x02, 0x61, 0x00])
        }
    }

    @Test("bytes may hold NUL bytes")
    func bytesWithNUL() throws {
        let chunk = StorageV1.Chunk.with { $0.data = [0, 1, 0, 2, 0] }
        #expect(try StorageV1.Chunk(serializedBytes: chunk.serializedBytes()).data == [0, 1, 0, 2, 0])
    }

    @Test("invalid UTF-8 in a string field is a decode error naming the field")
    func invalidUTF8() throws {
        let error = try #require(throws: ProtoError.self) {
            try GrpcHealthV1.HealthCheckRequest(serializedBytes: [0x0A, 0x02, 0xC3, 0x28])
        }
        #expect(error.code == .invalidUTF8)
        #expect(error.message.contains("HealthCheckRequest.service"))
    }

    @Test("fields this schema does not know are skipped, so newer peers can talk to older ones")
    func unknownFieldsSkipped() throws {
        // Field 99 (varint 1), then field 1 = "a".
        let request = try GrpcHealthV1.HealthCheckRequest(serializedBytes: [0x98, 0x06, 0x01, 0x0A, 0x01, 0x61])
        #expect(request.service == "a")
    }

    @Test("the embedded descriptor set holds every .proto file")
    func descriptorSet() {
        let bytes = EmbeddedDescriptorSet.bytes
        #expect(bytes.count > 10_000)
        for file in ["clientanalyze/common/v1/report.proto", "grpc/health/v1/health.proto",
                     "grpc/reflection/v1alpha/reflection.proto", "grpc/testing/test.proto"] {
            #expect(bytes.firstRange(of: Array(file.utf8)) != nil, "\(file) missing")
        }
    }
}
