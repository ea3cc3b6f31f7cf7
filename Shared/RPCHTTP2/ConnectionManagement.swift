/// Keepalive, idle timeout and ping-strike policing of one server connection, as a value-type state
/// machine: the handler reports events and performs the returned action. (Modelled on grpc-swift-nio-
/// transport's `ServerConnectionManagementHandler+StateMachine`.)
struct ConnectionManagement {
    typealias Policy = ConnectionPolicy

    enum Action: Equatable {
        case none
        case sendKeepalivePing
        /// GOAWAY with the given HTTP/2 error code and debug text, then close once streams are done.
        case goAway(errorCode: UInt32, debug: String)
        case close
    }

    private let policy: Policy
    private(set) var openStreams = 0
    private var lastActivity: ContinuousClock.Instant
    private var lastPingReceived: ContinuousClock.Instant?
    private var pingStrikes = 0
    private var awaitingKeepaliveAck: ContinuousClock.Instant?

    init(policy: Policy, now: ContinuousClock.Instant) {
        self.policy = policy
        lastActivity = now
    }

    mutating func streamOpened(now: ContinuousClock.Instant) {
        openStreams += 1
        lastActivity = now
    }

    mutating func streamClosed(now: ContinuousClock.Instant) {
        openStreams = max(0, openStreams - 1)
        lastActivity = now
    }

    /// The server sent HEADERS or DATA: the client's next pings are legitimate again.
    mutating func framesSent(now: ContinuousClock.Instant) {
        pingStrikes = 0
        lastActivity = now
    }

    mutating func bytesReceived(now: ContinuousClock.Instant) {
        lastActivity = now
        awaitingKeepaliveAck = nil
    }

    /// A PING (not an acknowledgement) from the client.
    mutating func pingReceived(now: ContinuousClock.Instant) -> Action {
        defer { lastPingReceived = now }
        guard openStreams == 0, let last = lastPingReceived, now - last < policy.minPingIntervalWithoutCalls else {
            return .none
        }
        pingStrikes += 1
        return pingStrikes > policy.maxPingStrikes ? .goAway(errorCode: 0xB, debug: "too_many_pings") : .none
    }

    mutating func keepaliveAckReceived() { awaitingKeepaliveAck = nil }

    /// Called periodically by the handler's timer.
    mutating func tick(now: ContinuousClock.Instant) -> Action {
        if let sent = awaitingKeepaliveAck, now - sent >= policy.keepaliveTimeout {
            return .close
        }
        if openStreams == 0, let idle = policy.idleTimeout, now - lastActivity >= idle {
            return .goAway(errorCode: 0, debug: "idle")
        }
        if awaitingKeepaliveAck == nil, let interval = policy.keepaliveInterval, now - lastActivity >= interval {
            awaitingKeepaliveAck = now
            return .sendKeepalivePing
        }
        return .none
    }
}

/// Keepalive and idle limits of server connections (`HTTP2ServerTransport.Configuration.connectionPolicy`).
package struct ConnectionPolicy: Sendable, Hashable {
    /// Close a connection that has had no open stream for this long (nil: never).
    package var idleTimeout: Duration? = .seconds(300)
    /// Ping a connection that has been quiet for this long, to find dead peers (nil: never).
    package var keepaliveInterval: Duration? = .seconds(7200)
    /// How long to wait for the keepalive ping's acknowledgement before closing.
    package var keepaliveTimeout = Duration.seconds(20)
    /// Pings from the client closer together than this while no stream is open count as strikes
    /// (grpc core's `permit_keepalive_time`).
    package var minPingIntervalWithoutCalls = Duration.seconds(300)
    /// Strikes tolerated before GOAWAY ENHANCE_YOUR_CALM "too_many_pings".
    package var maxPingStrikes = 2

    package init() {}
}
