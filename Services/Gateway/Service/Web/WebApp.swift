internal import Contracts
internal import Foundation
package import Hummingbird
internal import HTTPTypes
internal import NIOCore
internal import ProtoJSON
internal import RPCCore
internal import ServiceKit

/// The analysts' web app on the REST port: pages at `/`, their assets under `/assets/`, the Russian labels
/// at `/web/labels.json`, and sign-in at `/web/session`. Pages are one static shell whose scripts draw each
/// page from the REST API (`/api/v1`), called with the session cookie; so the pages see exactly what the API
/// allows the key behind the session. The server checks the session before it serves a page (no session: to
/// the sign-in page; a page the role may not see: 403), and the API checks it again on every call.
package struct WebApp: Sendable {
    static let csrfHeader = "x-csrf-token"

    private let sessions: WebSessions
    private let access: GatewayAccess
    private let settings: @Sendable () -> GatewaySettings
    private let embedded: WebAssetStore
    /// Sign-ins per client address: opening sessions without end would push other people's out.
    private let signIns = RateLimiter()

    package init(sessions: WebSessions, access: GatewayAccess, settings: @escaping @Sendable () -> GatewaySettings) {
        self.sessions = sessions
        self.access = access
        self.settings = settings
        embedded = WebAssetStore()
    }

    /// The embedded assets, or with `web.assets_dir` set (while working on the pages) the files there, read
    /// on every request.
    private var assets: WebAssetStore {
        let directory = settings().webAssetsDir
        return directory.isEmpty ? embedded : WebAssetStore(directory: directory) ?? embedded
    }

    /// The pages (the routes of `js/app.js`) and the role each needs; `*` is one path segment, an id.
    private static let pages: [(pattern: [String], role: StorageV1.Role)] = [
        ([], .viewer), (["analyses", "new"], .analyst), (["jobs", "*"], .viewer), (["reports", "*"], .viewer),
        (["threads", "*"], .viewer), (["history"], .viewer), (["admin"], .admin), (["admin", "keys"], .admin),
        (["admin", "audit"], .admin), (["admin", "dead-letters"], .admin), (["admin", "cache"], .admin),
    ]

    private static func role(for path: String) -> StorageV1.Role? {
        let segments = path.split(separator: "/").map(String.init)
        return pages.first { page in
            page.pattern.count == segments.count && zip(page.pattern, segments).allSatisfy { $0 == "*" || $0 == $1 }
        }?.role
    }

    /// The answer for a path outside `/api/v1` and `/mcp`.
    func respond(to request: Request, body: ByteBuffer, peer: String, requestID: String) async -> Response {
        let path = request.uri.path
        if path.hasPrefix("/assets/") || path == "/favicon.ico" {
            return asset(path == "/favicon.ico" ? "icon.svg" : String(path.dropFirst("/assets/".count)), request: request)
        }
        if path == "/web/session" { return await session(request, body: body, peer: peer, requestID: requestID) }
        if path == "/web/labels.json" { return Self.serve(WebLabels.asset, request: request) }
        let needed = Self.role(for: path)
        guard path == "/sign-in" || needed != nil else { return Self.page(status: .notFound, shell: assets.shell) }
        guard request.method == .get || request.method == .head else {
            var response = Self.page(status: .methodNotAllowed, shell: assets.shell)
            response.headers[.allow] = "GET, HEAD"
            return response
        }
        let session = current(request)
        guard let needed else {
            // The sign-in page; signed in already, there is nothing to do here.
            if session != nil { return Self.redirect(to: Self.safeNext(request.uri.queryParameters["next"].map(String.init))) }
            return Self.page(status: .ok, shell: assets.shell)
        }
        guard let session else {
            let next = request.uri.query.map { "\(path)?\($0)" } ?? path
            return Self.redirect(to: "/sign-in?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
        }
        guard AccessPolicy.rank(session.caller.role) >= AccessPolicy.rank(needed) else {
            return Self.page(status: .forbidden, shell: assets.shell)
        }
        return Self.page(status: .ok, shell: assets.shell)
    }

    // MARK: Sessions

    /// The session cookie's name: with `Secure`, the `__Host-` prefix, which a browser accepts only from this
    /// host, on `/`, over TLS, so no sibling domain or network attacker can plant one.
    private func cookieName(secure: Bool) -> String { secure ? "__Host-cla_session" : "cla_session" }

    private func secure(_ request: Request) -> Bool {
        settings().webSecureCookies || request.headers[.init("x-forwarded-proto")!]?.lowercased() == "https"
    }

    /// The session ids the request's cookies name. More than one is refused as none: a planted second cookie
    /// (sent first, on a longer path) must not swap the session of the page.
    private func cookieValues(_ request: Request) -> [String] {
        request.headers[values: .cookie].flatMap { $0.split(separator: ";") }.compactMap { pair -> String? in
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0] == "cla_session" || parts[0] == "__Host-cla_session", !parts[1].isEmpty else { return nil }
            return parts[1]
        }
    }

    /// Whether the request names a web session (live or not): such an API call is the web app's.
    func hasSessionCookie(_ request: Request) -> Bool { !cookieValues(request).isEmpty }

    /// The session named by the request's cookie, if it is live and the only one named.
    func current(_ request: Request) -> WebSessions.Session? {
        let values = cookieValues(request)
        guard values.count == 1 else { return nil }
        return sessions.session(values[0])
    }

    /// The session an `/api/v1` call made with the session cookie runs under, or the answer refusing it: the
    /// session must be live, and a call that changes anything must carry the session's CSRF token.
    func apiSession(_ request: Request) -> Result<WebSessions.Session, RefusedSession> {
        guard let session = current(request) else {
            return .failure(RefusedSession(status: 401, code: "UNAUTHENTICATED", message: "the web session ended or is unknown; sign in again"))
        }
        if let refusal = csrfRefusal(request, session) { return .failure(refusal) }
        return .success(session)
    }

    /// A call made under a session whose key the API no longer accepts ends the session, so the sign-in page
    /// does not send the browser straight back.
    func end(_ session: WebSessions.Session) { sessions.close(session.id) }

    /// Nil for a reading method or a change carrying the session's CSRF token.
    private func csrfRefusal(_ request: Request, _ session: WebSessions.Session) -> RefusedSession? {
        guard ![.get, .head].contains(request.method) else { return nil }
        if let token = request.headers[.init(Self.csrfHeader)!], WebSessions.same(token, session.csrfToken) { return nil }
        return RefusedSession(status: 403, code: "PERMISSION_DENIED", message: "a change from the web app needs the session's \(Self.csrfHeader) header")
    }

    struct RefusedSession: Error {
        let status: Int
        let code: String
        let message: String
    }

    /// `/web/session`: GET who is signed in (and the CSRF token), POST `{"key": "cla_…"}` to sign in,
    /// DELETE to sign out.
    private func session(_ request: Request, body: ByteBuffer, peer: String, requestID: String) async -> Response {
        switch request.method {
        case .get:
            // Not signed in is an answer, not an error: the sign-in page asks before anyone has signed in.
            guard let session = current(request) else { return Response(status: .noContent, headers: [.cacheControl: "no-store"]) }
            return Self.json(200, Self.describe(session))
        case .post:
            return await signIn(request, body: body, peer: peer, requestID: requestID)
        case .delete:
            guard let session = current(request) else { return Self.json(401, ["error": "not signed in"]) }
            if let refusal = csrfRefusal(request, session) { return Self.json(refusal.status, ["error": refusal.message]) }
            sessions.close(session.id)
            await access.recordSignIn(session.caller, method: "Web/SignOut", peer: peer, requestID: requestID)
            var response = Response(status: .noContent)
            response.headers[.setCookie] = cookie("", maxAge: 0, request: request)
            return response
        default:
            var response = Self.json(405, ["error": "use GET, POST or DELETE"])
            response.headers[.allow] = "GET, POST, DELETE"
            return response
        }
    }

    private func signIn(_ request: Request, body: ByteBuffer, peer: String, requestID: String) async -> Response {
        // JSON only: a plain cross-site form cannot send it without a preflight, and the Origin check below
        // refuses a page of another site (SameSite does not cover a request made before there is a cookie).
        guard (request.headers[.contentType] ?? "").lowercased().hasPrefix("application/json") else {
            return Self.json(415, ["error": "send {\"key\": \"cla_…\"} as application/json"])
        }
        guard sameOrigin(request) else { return Self.json(403, ["error": "sign-in from another site is refused"]) }
        guard let json = try? JSONValue.parse(body.readableBytesView), case .string(let given)? = json["key"] else {
            return Self.json(400, ["error": "send {\"key\": \"cla_…\"}: the API key to sign in with"])
        }
        let key = given.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty, key.utf8.count <= 512, key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            return Self.json(400, ["error": "an API key is printable ASCII (cla_<id>_<secret>)"])
        }
        let address = ClientAddress(peer: peer).host
        if let wait = signIns.acquire(key: address, perMinute: settings().failedAuthPerMinute) {
            let seconds = max(1, Int(wait.seconds.rounded(.up)))
            var response = Self.json(429, ["error": "too many sign-ins from \(address); retry in \(seconds) s"])
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        let authorization = "Bearer \(key)"
        let caller: Caller
        do {
            caller = try await access.authenticate(authorization: authorization, method: "Web/SignIn", peer: peer, requestID: requestID)
        } catch let error as RPCError where [.unauthenticated, .resourceExhausted].contains(error.code) {
            var response = Self.json(HTTPStatusMapping.status(for: error.code), ["error": error.message])
            if let retry = error.metadata.string("retry-after") { response.headers[.retryAfter] = retry }
            return response
        } catch {
            // Storage is down or slow: the key may well be right; say so rather than "wrong key".
            return Self.json(503, ["error": "the API key cannot be checked now; try again shortly"])
        }
        let session = sessions.open(caller: caller, authorization: authorization, replacing: current(request)?.id)
        await access.recordSignIn(caller, method: "Web/SignIn", peer: peer, requestID: requestID)
        var response = Self.json(200, Self.describe(session))
        response.headers[.setCookie] = cookie(session.id, maxAge: Int(sessions.lifetime.components.seconds), request: request)
        return response
    }

    /// Whether the request's Origin, when it sends one, names this host.
    private func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    private func cookie(_ value: String, maxAge: Int, request: Request) -> String {
        let secure = secure(request)
        return "\(cookieName(secure: secure))=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    private static func describe(_ session: WebSessions.Session) -> JSONValue {
        .object([
            ("key_id", .string(session.caller.keyID)), ("name", .string(session.caller.name)),
            ("role", .string(AccessPolicy.name(session.caller.role))), ("csrf_token", .string(session.csrfToken)),
            ("expires_at_ms", .integer(session.expiresAtMilliseconds)),
        ])
    }

    /// Where to go after signing in: a path of ours, never another site. Browsers drop tabs and line breaks
    /// from a URL and read `\` as `/`, so `/\evil`, `/%09/evil` and `//evil` all lead away.
    package static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return "/" }
        let second = next.dropFirst().first
        guard second != "/", second != "\\" else { return "/" }
        return next
    }

    // MARK: Answers

    private func asset(_ name: String, request: Request) -> Response {
        guard let asset = assets.files[name] else { return Response(status: .notFound) }
        return Self.serve(asset, request: request)
    }

    /// A file as a cacheable answer: revalidated by its ETag, gzip-compressed when it has that form and the
    /// client takes it.
    private static func serve(_ asset: WebAssetStore.Asset, request: Request) -> Response {
        guard request.method == .get || request.method == .head else { return Response(status: .methodNotAllowed, headers: [.allow: "GET, HEAD"]) }
        var headers: HTTPFields = [
            .contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "no-cache", .vary: "Accept-Encoding",
        ]
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.etag }) {
            return Response(status: .notModified, headers: headers)
        }
        if let gzip = asset.gzip, (request.headers[.acceptEncoding] ?? "").lowercased().contains("gzip") {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: gzip))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.identity))
    }

    /// The page shell, with the pages' Content-Security-Policy: scripts, styles and calls to this origin
    /// only, nothing inline.
    private static func page(status: HTTPResponse.Status, shell: WebAssetStore.Asset) -> Response {
        Response(status: status, headers: [
            .contentType: shell.contentType, .cacheControl: "no-cache", .contentSecurityPolicy: contentSecurityPolicy,
        ], body: .init(byteBuffer: shell.identity))
    }

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    private static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    private static func json(_ status: Int, _ value: JSONValue) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: value.text)))
    }

    private static func json(_ status: Int, _ fields: [String: String]) -> Response {
        json(status, .object(fields.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
    }
}
