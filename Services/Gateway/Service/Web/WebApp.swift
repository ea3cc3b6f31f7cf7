internal import Contracts
internal import Crypto
internal import Foundation
package import Hummingbird
internal import HTTPTypes
internal import NIOCore
internal import ProtoJSON
internal import RPCCore

/// The analysts' web app on the REST port: pages at `/`, their assets under `/assets/`, and sign-in at
/// `/web/session`. Pages are one static shell whose scripts draw each page from the REST API (`/api/v1`),
/// called with the session cookie; so the pages see exactly what the API allows the key behind the session.
/// The server checks the session before it serves a page (no session: to the sign-in page; a page the role
/// may not see: 403), and the API checks it again on every call.
package struct WebApp: Sendable {
    static let cookieName = "cla_session"
    static let csrfHeader = "x-csrf-token"

    private let sessions: WebSessions
    private let access: GatewayAccess
    private let settings: @Sendable () -> GatewaySettings
    private let embedded: WebAssetStore

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

    /// Pages and the role each needs (by first path segment; `admin` covers its sub-pages).
    private static let pages: [String: StorageV1.Role] = [
        "": .viewer, "analyses": .analyst, "jobs": .viewer, "reports": .viewer, "threads": .viewer,
        "history": .viewer, "admin": .admin,
    ]

    /// The answer for a path outside `/api/v1` and `/mcp`.
    func respond(to request: Request, body: ByteBuffer, peer: String, requestID: String) async -> Response {
        let path = request.uri.path
        if path.hasPrefix("/assets/") || path == "/favicon.ico" {
            return asset(path == "/favicon.ico" ? "icon.svg" : String(path.dropFirst("/assets/".count)), request: request)
        }
        if path == "/web/session" { return await session(request, body: body, peer: peer, requestID: requestID) }
        guard request.method == .get || request.method == .head else {
            return Self.page(status: .methodNotAllowed, shell: assets.shell)
        }
        let session = current(request)
        if path == "/sign-in" {
            // Signed in already: nothing to do here.
            if session != nil { return Self.redirect(to: Self.safeNext(request.uri.queryParameters["next"].map(String.init))) }
            return Self.page(status: .ok, shell: assets.shell)
        }
        let first = path.split(separator: "/").first.map(String.init) ?? ""
        guard let needed = Self.pages[first] else { return Self.page(status: .notFound, shell: assets.shell) }
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

    /// Whether the request names a web session (live or not): such an API call is the web app's.
    func hasSessionCookie(_ request: Request) -> Bool {
        request.cookies[Self.cookieName].map { !$0.value.isEmpty } ?? false
    }

    /// The session named by the request's cookie, if it is live.
    func current(_ request: Request) -> WebSessions.Session? {
        guard let id = request.cookies[Self.cookieName]?.value, !id.isEmpty else { return nil }
        return sessions.session(id)
    }

    /// The authorization an `/api/v1` call made with the session cookie carries, or the answer refusing it:
    /// the session must be live, and a call that changes anything must carry the session's CSRF token.
    func apiAuthorization(_ request: Request) -> Result<String, RefusedSession> {
        guard let session = current(request) else {
            return .failure(RefusedSession(status: 401, code: "UNAUTHENTICATED", message: "the web session ended or is unknown; sign in again"))
        }
        if ![.get, .head].contains(request.method) {
            guard let token = request.headers[.init(Self.csrfHeader)!], WebSessions.same(token, session.csrfToken) else {
                return .failure(RefusedSession(
                    status: 403, code: "PERMISSION_DENIED", message: "a changing call from the web app needs the session's \(Self.csrfHeader) header"))
            }
        }
        return .success(session.authorization)
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
            guard sameOrigin(request) else { return Self.json(403, ["error": "sign-in from another site is refused"]) }
            guard let key = Self.key(in: body), !key.isEmpty else {
                return Self.json(400, ["error": "send {\"key\": \"cla_…\"}: the API key to sign in with"])
            }
            guard key.utf8.count <= 512, key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
                return Self.json(400, ["error": "an API key is printable ASCII (cla_<id>_<secret>)"])
            }
            let authorization = "Bearer \(key)"
            let caller: Caller
            do {
                caller = try await access.authenticate(authorization: authorization, method: "Web/SignIn", peer: peer, requestID: requestID)
            } catch let error as RPCError {
                var response = Self.json(error.code == .resourceExhausted ? 429 : 401, ["error": error.message])
                if let retry = error.metadata.string("retry-after") { response.headers[.retryAfter] = retry }
                return response
            } catch {
                return Self.json(503, ["error": "cannot check the API key now: \(error)"])
            }
            let session = sessions.open(caller: caller, authorization: authorization)
            await access.recordSignIn(caller, method: "Web/SignIn", peer: peer, requestID: requestID)
            var response = Self.json(200, Self.describe(session))
            response.headers[.setCookie] = cookie(session.id, maxAge: Int(settings().webSessionLifetime.components.seconds), request: request)
            return response
        case .delete:
            guard let session = current(request) else { return Self.json(401, ["error": "not signed in"]) }
            guard let token = request.headers[.init(Self.csrfHeader)!], WebSessions.same(token, session.csrfToken) else {
                return Self.json(403, ["error": "signing out needs the session's \(Self.csrfHeader) header"])
            }
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

    /// A browser's sign-in must come from one of our own pages (SameSite does not cover a request made
    /// before there is a cookie): its Origin, when it sends one, names this host.
    private func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    private func cookie(_ value: String, maxAge: Int, request: Request) -> String {
        let secure = settings().webSecureCookies || request.headers[.init("x-forwarded-proto")!]?.lowercased() == "https"
        return "\(Self.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    private static func describe(_ session: WebSessions.Session) -> JSONValue {
        .object([
            ("key_id", .string(session.caller.keyID)), ("name", .string(session.caller.name)),
            ("role", .string(AccessPolicy.name(session.caller.role))), ("csrf_token", .string(session.csrfToken)),
            ("expires_at_ms", .integer(session.expiresAtMilliseconds)),
        ])
    }

    /// The key from a JSON body `{"key": …}` or a form body `key=…`.
    private static func key(in body: ByteBuffer) -> String? {
        let bytes = Array(body.readableBytesView)
        if let json = try? JSONValue.parse(bytes[...]), case .string(let key)? = json["key"] { return key.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        for pair in text.split(separator: "&") where pair.hasPrefix("key=") {
            return String(pair.dropFirst(4)).replacingOccurrences(of: "+", with: " ").removingPercentEncoding?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }

    /// Where to go after signing in: a path of ours, never another site (`//evil`, `/\evil`).
    package static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), !next.contains("\u{0}") else { return "/" }
        return next
    }

    // MARK: Answers

    private func asset(_ name: String, request: Request) -> Response {
        guard request.method == .get || request.method == .head else { return Response(status: .methodNotAllowed) }
        guard let asset = assets.files[name] else { return Response(status: .notFound) }
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

/// The embedded assets (`WebAssets.generated.swift`) as answers: each with its ETag and its gzip form,
/// both made by `make generate`.
struct WebAssetStore: Sendable {
    struct Asset: Sendable {
        let contentType: String
        let etag: String
        let identity: ByteBuffer
        let gzip: ByteBuffer?
    }

    let files: [String: Asset]
    let shell: Asset

    init() {
        var files: [String: Asset] = [:]
        for file in WebAssets.files {
            files[file.name] = Asset(
                contentType: file.contentType, etag: "\"\(file.etag)\"", identity: ByteBuffer(string: file.text),
                // The generator wrote the base64 from Python's gzip: it always decodes.
                gzip: ByteBuffer(bytes: Data(base64Encoded: file.gzipBase64)!))
        }
        self.files = files
        shell = files["index.html"]!
    }

    /// The files under `directory`, uncompressed, with ETags of their contents; nil without an index.html.
    init?(directory: String) {
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return nil }
        var files: [String: Asset] = [:]
        for case let url as URL in walker {
            guard let data = try? Data(contentsOf: url), let type = Self.types[url.pathExtension] else { continue }
            let name = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            let etag = SHA256.hash(data: data).prefix(10).map { String(format: "%02x", $0) }.joined()
            files[name] = Asset(contentType: type, etag: "\"\(etag)\"", identity: ByteBuffer(bytes: data), gzip: nil)
        }
        guard let shell = files["index.html"] else { return nil }
        self.files = files
        self.shell = shell
    }

    private static let types = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml", "json": "application/json",
    ]
}
