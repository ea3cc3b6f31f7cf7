import Contracts
import ContractsTestSupport
import ProtoJSON
import Testing

@Suite struct ProtoJSONTests {
    static let typeNames = ArbitraryRegistry.messages.map { $0.protoName }.sorted()

    @Test("every message type survives message → JSON text → message", arguments: typeNames)
    func roundTrip(typeName: String) throws {
        let type = try #require(ArbitraryRegistry.messages.first { $0.protoName == typeName })
        for seed in UInt64(0)..<40 {
            let failure = try Self.roundTripFailure(type, seed: seed)
            #expect(failure == nil, "seed \(seed): \(failure ?? "")")
        }
    }

    private static func roundTripFailure<Message: Arbitrary>(_ type: Message.Type, seed: UInt64) throws -> String? {
        let message = Message.arbitrary(seed: seed)
        let text = try ProtoJSON.encode(message).text
        let back = try ProtoJSON.decode(JSONValue.parse(Array(text.utf8)), as: Message.self)
        if back == message { return nil }
        // NaN is not equal to itself in the value types: only then compare the JSON texts instead.
        guard text.contains("NaN") else { return text }
        return try ProtoJSON.encode(back).text == text ? nil : text
    }

    @Test func outputUsesProtoNamesPrintsDefaultsAndNamesEnums() throws {
        let job = CommonV1.Job.with {
            $0.id = "j1"
            $0.state = .running
            $0.request = .with { $0.inn = "7707083893" }
            $0.labels = ["source": "cli"]
        }
        let json = try ProtoJSON.encode(job)
        #expect(json["id"] == .string("j1"))
        #expect(json["state"] == .string("JOB_STATE_RUNNING"))
        #expect(json["percent"] == .integer(0))
        #expect(json["error"] == .string(""))
        #expect(json["labels"] == .object([("source", .string("cli"))]))
        #expect(json["request"]?["inn"] == .string("7707083893"))
        #expect(json["request"]?["options"] == nil)  // an absent message stays absent
        #expect(json["started_at_ms"] == .integer(0))
    }

    @Test func inputAcceptsCamelCaseEnumNumbersAndStringIntegers() throws {
        let json = try JSONValue.parse(Array(#"{"jobId":"j9","afterSequence":"12"}"#.utf8))
        let request = try ProtoJSON.decode(json, as: StorageV1.WatchJobRequest.self)
        #expect(request.jobId == "j9" && request.afterSequence == 12)
        let levels = try ProtoJSON.decode(JSONValue.parse(Array(#"{"levels":["RISK_LEVEL_HIGH",4]}"#.utf8)), as: CommonV1.ReportFilter.self)
        #expect(levels.levels == [.high, .critical])
        // Short names, in any case, for people typing JSON; output keeps the full name.
        let short = try ProtoJSON.decode(JSONValue.parse(Array(#"{"levels":["high","Insufficient-Data"]}"#.utf8)), as: CommonV1.ReportFilter.self)
        #expect(short.levels == [.high, .insufficientData])
        #expect(try ProtoJSON.encode(short)["levels"] == .array([.string("RISK_LEVEL_HIGH"), .string("RISK_LEVEL_INSUFFICIENT_DATA")]))
    }

    @Test func errorsNameTheFieldPath() throws {
        func problem(_ text: String) -> String {
            do {
                _ = try ProtoJSON.decode(JSONValue.parse(Array(text.utf8)), as: GatewayV1.SubmitAnalysisRequest.self)
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(problem(#"{"request":{"innn":"1"}}"#).hasPrefix("request.innn: unknown field of clientanalyze.common.v1.AnalysisRequest"))
        #expect(problem(#"{"request":{"options":{"sources":["SOURCE_DADATA","NOPE"]}}}"#)
            .hasPrefix(#"request.options.sources[1]: unknown value "NOPE"; expected one of"#))
        #expect(problem(#"{"run_at_ms":"soon"}"#) == #"run_at_ms: expected an integer, got the string "soon""#)
        #expect(problem(#"[1]"#) == "expected a JSON object for clientanalyze.gateway.v1.SubmitAnalysisRequest, got an array")
        #expect(problem(#"{"request":"#).hasPrefix("the body is not valid JSON"))
    }

    @Test func stringsAreEscaped() throws {
        let text = JSONValue.object([("s", .string("a\"b\\c\n\u{1}\u{2028}ё"))]).text
        #expect(text == #"{"s":"a\"b\\c\n\u0001\u2028ё"}"#)
    }
}
