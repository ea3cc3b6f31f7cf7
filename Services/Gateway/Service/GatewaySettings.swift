internal import Foundation
package import ServiceKit

/// The gateway's own settings: the REST listener and its limits, API keys and rate limits.
package struct GatewaySettings: ServiceSettings {
    package var restHost = "127.0.0.1"
    package var restPort = 8080
    /// Largest REST request body.
    package var maxBodyBytes = 1 << 20
    /// The deadline of a call whose client sets none (REST always; gRPC without `grpc-timeout`). Streams
    /// (progress, downloads) are exempt: they last as long as the job or the file.
    package var defaultTimeout: Duration = .seconds(30)
    /// Origins allowed to call the REST API from a browser; empty: CORS off.
    package var corsOrigins = ""
    /// The admin key to ensure at start (its secret; only the hash is stored).
    package var bootstrapAdminKey = Secret()
    /// Where the gateway writes a generated admin key on first start when none is configured and storage has
    /// no admin key yet.
    package var adminKeyFile = "data/admin.key"
    /// Requests per minute of a key without its own limit.
    package var defaultRatePerMinute = 600
    /// Failed authentications per minute allowed from one client address before it gets 429.
    package var failedAuthPerMinute = 30
    /// How long a verified key is trusted before storage is asked again (revocations take effect within it).
    package var keyCacheTTL: Duration = .seconds(30)
    /// Host names (and `host:port`s) MCP requests may name in `Host` and `Origin`, comma-separated.
    package var mcpAllowedHosts = "localhost,127.0.0.1,[::1]"
    package var mcpMaxSessions = 1000
    package var mcpSessionIdleTimeout: Duration = .seconds(1800)

    /// The web app at `/` on the REST port.
    package var webEnabled = true
    package var webSessionLifetime: Duration = .seconds(12 * 3600)
    package var webSessionIdleTimeout: Duration = .seconds(3600)
    package var webMaxSessions = 10_000
    /// Mark the session cookie `Secure` (set it when TLS ends in front of the gateway; a request saying
    /// `X-Forwarded-Proto: https` gets it anyway).
    package var webSecureCookies = false
    /// Serve the web app's files from this folder instead of the embedded copy (for working on them).
    package var webAssetsDir = ""

    package static let defaults = GatewaySettings()

    /// `rest.cors_origins` as a list.
    package var allowedOrigins: [String] {
        corsOrigins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `mcp.allowed_hosts` as host names, e.g. `["localhost", "gateway.client-analyze.svc"]`.
    package var mcpHosts: [String] {
        mcpAllowedHosts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    package static let keys: [ConfigKey<GatewaySettings>] = [
        .string("rest.host", \.restHost, help: "Address the REST/JSON port binds; 0.0.0.0 for all interfaces."),
        .integer("rest.port", \.restPort, in: 0...65_535, help: "REST/JSON port (/api/v1); 0 picks a free one (logged)."),
        .integer("rest.max_body_bytes", \.maxBodyBytes, in: 1024...(64 << 20), help: "Largest REST request body in bytes (413 above it)."),
        .duration(
            "api.default_timeout", \.defaultTimeout, in: .milliseconds(100)...Duration.seconds(600),
            help: "Deadline of a call whose client sets none (504 / DEADLINE_EXCEEDED after it); streams are exempt.", reloadable: true),
        .string(
            "rest.cors_origins", \.corsOrigins,
            help: "Browser origins allowed to call the REST API, comma-separated; empty: CORS off.", reloadable: true),
        .secret("auth.bootstrap_admin_key", \.bootstrapAdminKey, help: "An admin API key (cla_…) to ensure at start; only its hash is stored."),
        .string(
            "auth.admin_key_file", \.adminKeyFile,
            help: "Where a generated admin key is written on first start when none is configured and storage has none."),
        .integer(
            "auth.default_rate_per_minute", \.defaultRatePerMinute, in: 1...1_000_000,
            help: "Requests per minute of a key without its own limit (token bucket, bursts up to the same number).", reloadable: true),
        .integer(
            "auth.failed_per_minute", \.failedAuthPerMinute, in: 1...1_000_000,
            help: "Failed authentications per minute from one client address (token bucket) before it is answered 429.", reloadable: true),
        .duration(
            "auth.key_cache_ttl", \.keyCacheTTL, in: .zero...Duration.seconds(3600),
            help: "How long a verified key is trusted before storage is asked again.", reloadable: true),
        .string(
            "mcp.allowed_hosts", \.mcpAllowedHosts,
            help: "Host names the MCP endpoint (/mcp) answers in Host and Origin, comma-separated (DNS-rebinding guard); add the in-cluster or public name.",
            reloadable: true),
        .integer("mcp.max_sessions", \.mcpMaxSessions, in: 1...100_000, help: "Open MCP sessions at most; a new one beyond it is refused 503."),
        .duration(
            "mcp.session_idle_timeout", \.mcpSessionIdleTimeout, in: .seconds(10)...Duration.seconds(86_400),
            help: "An MCP session unused this long is closed (its client must initialize again).", reloadable: true),
        .bool("web.enabled", \.webEnabled, help: "Serve the analysts' web app at / on the REST port."),
        .duration(
            "web.session_lifetime", \.webSessionLifetime, in: .seconds(60)...Duration.seconds(30 * 86_400),
            help: "How long a web sign-in lasts at most (the cookie's Max-Age).", reloadable: true),
        .duration(
            "web.session_idle_timeout", \.webSessionIdleTimeout, in: .seconds(60)...Duration.seconds(30 * 86_400),
            help: "A web session unused this long ends (sign in again).", reloadable: true),
        .string(
            "web.assets_dir", \.webAssetsDir,
            help: "Serve the web app's files from this folder (Services/Gateway/Web) instead of the embedded copy, re-read on every request: for working on the pages.",
            reloadable: true),
        .integer("web.max_sessions", \.webMaxSessions, in: 1...100_000, help: "Web sessions kept at most; the least recently used goes first."),
        .bool(
            "web.secure_cookies", \.webSecureCookies,
            help: "Mark the session cookie Secure: set it when TLS ends in front of the gateway (X-Forwarded-Proto: https sets it per request).",
            reloadable: true),
    ]
}
