import RPCCore
import Testing

@Suite("RPC status")
struct RPCStatusTests {
    @Test("codes have their wire numbers and canonical names")
    func codes() {
        #expect(RPCStatus.Code.ok.rawValue == 0)
        #expect(RPCStatus.Code.unauthenticated.rawValue == 16)
        #expect(RPCStatus.Code.resourceExhausted.name == "RESOURCE_EXHAUSTED")
        #expect(RPCStatus.Code(name: "DEADLINE_EXCEEDED") == .deadlineExceeded)
        #expect(RPCStatus.Code(name: "deadline_exceeded") == nil)
        #expect(RPCStatus.Code(rawValue: 42).name == "CODE_42")
    }

    @Test("HTTP mapping at the REST edge", arguments: [
        (RPCStatus.Code.ok, 200), (.cancelled, 499), (.unknown, 500), (.invalidArgument, 400),
        (.deadlineExceeded, 504), (.notFound, 404), (.alreadyExists, 409), (.permissionDenied, 403),
        (.unauthenticated, 401), (.resourceExhausted, 429), (.failedPrecondition, 409), (.aborted, 409),
        (.outOfRange, 400), (.unimplemented, 501), (.internal, 500), (.unavailable, 503), (.dataLoss, 500),
    ])
    func httpStatus(code: RPCStatus.Code, http: Int) {
        #expect(code.httpStatus == http)
    }

    @Test("errors describe themselves with their cause, but compare without it")
    func errors() {
        struct Disk: Error { }
        let error = RPCError(.unavailable, "storage is down", cause: Disk())
        #expect(error.status == RPCStatus(code: .unavailable, message: "storage is down"))
        #expect("\(error)".contains("UNAVAILABLE: storage is down"))
        #expect("\(error)".contains("Disk"))
        #expect(error == RPCError(.unavailable, "storage is down"))
        #expect(error.rpcError.code == .unavailable)
    }
}
