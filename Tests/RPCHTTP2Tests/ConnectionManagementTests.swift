import Glibc
import NIOCore
@testable import RPCHTTP2
import Testing

@Suite("Connection management state machine")
struct ConnectionManagementTests {
    let start = ContinuousClock.now

    func machine(_ change: (inout ConnectionManagement.Policy) -> Void = { _ in }) -> ConnectionManagement {
        var policy = ConnectionManagement.Policy()
        change(&policy)
        return ConnectionManagement(policy: policy, now: start)
    }

    @Test("an idle connection is told to go away after the idle timeout, not before, and not while busy")
    func idle() {
        var state = machine { $0.idleTimeout = .seconds(10) }
        #expect(state.tick(now: start + .seconds(9)) == .none)
        #expect(state.tick(now: start + .seconds(10)) == .goAway(errorCode: 0, debug: "idle"))

        var busy = machine { $0.idleTimeout = .seconds(10) }
        busy.streamOpened(now: start)
        #expect(busy.tick(now: start + .seconds(60)) == .none)
        busy.streamClosed(now: start + .seconds(60))
        #expect(busy.tick(now: start + .seconds(65)) == .none)
        #expect(busy.tick(now: start + .seconds(70)) == .goAway(errorCode: 0, debug: "idle"))
    }

    @Test("a quiet connection gets a keepalive ping and is closed if it never answers")
    func keepalive() {
        var state = machine { $0.idleTimeout = nil; $0.keepaliveInterval = .seconds(30); $0.keepaliveTimeout = .seconds(5) }
        state.streamOpened(now: start)
        #expect(state.tick(now: start + .seconds(30)) == .sendKeepalivePing)
        #expect(state.tick(now: start + .seconds(32)) == .none)  // one ping at a time
        #expect(state.tick(now: start + .seconds(35)) == .close)

        var alive = machine { $0.idleTimeout = nil; $0.keepaliveInterval = .seconds(30); $0.keepaliveTimeout = .seconds(5) }
        #expect(alive.tick(now: start + .seconds(30)) == .sendKeepalivePing)
        alive.keepaliveAckReceived()
        alive.bytesReceived(now: start + .seconds(31))
        #expect(alive.tick(now: start + .seconds(40)) == .none)
    }

    @Test("pings too close together without calls are strikes; past the limit: GOAWAY too_many_pings")
    func pingStrikes() {
        var state = machine { $0.minPingIntervalWithoutCalls = .seconds(300); $0.maxPingStrikes = 2 }
        #expect(state.pingReceived(now: start) == .none)
        #expect(state.pingReceived(now: start + .seconds(1)) == .none)  // strike 1
        #expect(state.pingReceived(now: start + .seconds(2)) == .none)  // strike 2
        #expect(state.pingReceived(now: start + .seconds(3)) == .goAway(errorCode: 0xB, debug: "too_many_pings"))
    }

    @Test("pings during calls, pings far apart, and pings after server frames are fine")
    func legitimatePings() {
        var duringCalls = machine { $0.maxPingStrikes = 0 }
        duringCalls.streamOpened(now: start)
        for second in 0..<10 { #expect(duringCalls.pingReceived(now: start + .seconds(second)) == .none) }

        var farApart = machine { $0.minPingIntervalWithoutCalls = .seconds(60); $0.maxPingStrikes = 0 }
        for minute in 0..<5 { #expect(farApart.pingReceived(now: start + .seconds(61 * minute)) == .none) }

        var reset = machine { $0.maxPingStrikes = 1 }
        #expect(reset.pingReceived(now: start) == .none)
        #expect(reset.pingReceived(now: start + .seconds(1)) == .none)  // strike 1
        reset.framesSent(now: start + .seconds(2))
        #expect(reset.pingReceived(now: start + .seconds(3)) == .none)  // strike 1 again, not 2
    }
}

@Suite("Connection failure reasons")
struct ConnectionFailureReasonTests {
    @Test("a refused connect says only that; a failing socket option names the call")
    func reasons() {
        #expect(HTTP2ClientTransport.reason(IOError(errnoCode: ECONNREFUSED, reason: "connect(descriptor:addr:size:)")) == "connection refused")
        #expect(HTTP2ClientTransport.reason(IOError(errnoCode: EACCES, reason: "setsockopt")) == "permission denied (setsockopt)")
    }
}
