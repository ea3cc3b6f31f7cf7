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
