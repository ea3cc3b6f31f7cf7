import Contracts
import Gateway
import Synchronization
import Testing

@Suite struct WebSessionTests {
    private static let caller = Caller(keyID: "key1", name: "analyst", role: .analyst, ratePerMinute: 0)

    /// A clock the test moves.
    final class Clock: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        var now: ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
    }

    private static func sessions(
        lifetime: Duration = .seconds(3600), idle: Duration = .seconds(600), max: Int = 10, clock: Clock
    ) -> WebSessions {
        WebSessions(limits: { .init(lifetime: lifetime, idleTimeout: idle, maxSessions: max) }, now: { clock.now })
    }

    @Test func aSessionHasRandomIDsAndCarriesItsKeysAuthorization() throws {
        let clock = Clock()
        let sessions = Self.sessions(clock: clock)
        let first = sessions.open(caller: Self.caller, authorization: "Bearer cla_key1_secret")
        let second = sessions.open(caller: Self.caller, authorization: "Bearer cla_key1_secret")
        #expect(first.id.count == 64 && first.csrfToken.count == 64)
        #expect(Set<String>([first.id, first.csrfToken, second.id, second.csrfToken]).count == 4)
        let found = try #require(sessions.session(first.id))
        #expect(found.authorization == "Bearer cla_key1_secret" && found.caller == Self.caller)
        #expect(sessions.session("no such id") == nil)
    }

    @Test func aSessionEndsWhenIdleTooLongOrPastItsLifetimeOrSignedOut() {
        let clock = Clock()
        let sessions = Self.sessions(lifetime: .seconds(100), idle: .seconds(30), clock: clock)
        let session = sessions.open(caller: Self.caller, authorization: "Bearer x")
        // Used every 20 s it stays alive past the idle timeout, but not past its lifetime.
        for _ in 0..<4 {
            clock.advance(.seconds(20))
            #expect(sessions.session(session.id) != nil)
        }
        clock.advance(.seconds(21))
        #expect(sessions.session(session.id) == nil)

        let idle = sessions.open(caller: Self.caller, authorization: "Bearer x")
        clock.advance(.seconds(31))
        #expect(sessions.session(idle.id) == nil)

        let closed = sessions.open(caller: Self.caller, authorization: "Bearer x")
        sessions.close(closed.id)
        #expect(sessions.session(closed.id) == nil)
    }

    @Test func theLeastRecentlyUsedSessionMakesRoomAtTheCap() {
        let clock = Clock()
        let sessions = Self.sessions(max: 2, clock: clock)
        let old = sessions.open(caller: Self.caller, authorization: "Bearer x")
        clock.advance(.seconds(1))
        let used = sessions.open(caller: Self.caller, authorization: "Bearer x")
        clock.advance(.seconds(1))
        _ = sessions.session(old.id)  // now `used` is the least recently used
        clock.advance(.seconds(1))
        let new = sessions.open(caller: Self.caller, authorization: "Bearer x")
        #expect(sessions.count == 2)
        #expect(sessions.session(used.id) == nil && sessions.session(old.id) != nil && sessions.session(new.id) != nil)
    }

    @Test func signingInAgainAndAgainReplacesTheKeysOwnSessionsNotOthers() {
        let clock = Clock()
        let sessions = Self.sessions(max: 1000, clock: clock)
        let other = Caller(keyID: "key2", name: "other", role: .viewer, ratePerMinute: 0)
        let theirs = sessions.open(caller: other, authorization: "Bearer y")
        var mine: [WebSessions.Session] = []
        for _ in 0..<(WebSessions.perKey + 5) {
            clock.advance(.seconds(1))
            mine.append(sessions.open(caller: Self.caller, authorization: "Bearer x"))
        }
        #expect(sessions.count == WebSessions.perKey + 1)
        #expect(sessions.session(theirs.id) != nil && sessions.session(mine.last!.id) != nil && sessions.session(mine[0].id) == nil)
        // Signing in over a live session replaces it.
        let again = sessions.open(caller: Self.caller, authorization: "Bearer x", replacing: mine.last!.id)
        #expect(sessions.session(mine.last!.id) == nil && sessions.session(again.id) != nil)
    }

    @Test func csrfTokensCompareWhole() {
        #expect(WebSessions.same("abc", "abc"))
        #expect(!WebSessions.same("abd", "abc") && !WebSessions.same("ab", "abc") && !WebSessions.same("", "abc"))
    }

    @Test(arguments: [
        ("/history?x=1", "/history?x=1"), (nil, "/"), ("", "/"), ("//evil.example/x", "/"), ("/\\evil.example", "/"),
        ("https://evil.example", "/"), ("history", "/"), ("/reports/r1#markers", "/reports/r1#markers"),
        ("/\t/evil.example", "/"), ("/\n/evil.example", "/"), ("/x\u{7f}", "/"), ("/\u{0}", "/"),
    ] as [(String?, String)])
    func afterSignInOnlyOurOwnPathsAreFollowed(_ next: String?, _ expected: String) {
        #expect(WebApp.safeNext(next) == expected)
    }
}
