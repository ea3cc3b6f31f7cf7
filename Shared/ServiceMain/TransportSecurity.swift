internal import Logging
internal import NIOCore
internal import RPCHTTP2
internal import ServiceKit
internal import ServiceTLS

/// The TLS of an executable's RPC port and of its calls to dependencies, from `tls.*` and
/// `dependencies.tls.*`; nil parts speak h2c.
struct TransportSecurity {
    var server: ServerTLS?
    var client: ClientTLS?

    private let settings: @Sendable () -> TLSSettings
    private let logger: Logger

    init(settings: @escaping @Sendable () -> TLSSettings, logger: Logger) throws(TLSSetupError) {
        self.settings = settings
        self.logger = logger
        let current = settings()
        if current.server.isEnabled {
            let source = try TLSContextSource(.server(protocols: ["h2"]), settings: settings, use: "rpc", logger: logger)
            server = ServerTLS(source: source, use: "rpc", logger: logger)
        } else if !current.server.clientCAFile.isEmpty {
            throw TLSSetupError("tls.client_ca_file asks for client certificates, which needs TLS: set tls.certificate_file and tls.key_file")
        }
        let client = current.client
        if client.enabled {
            let source = try TLSContextSource(.client(protocols: ["h2"]), settings: settings, use: "dependencies", logger: logger)
            self.client = ClientTLS(source: source, serverName: client.serverName)
        } else if let key = [
            ("dependencies.tls.ca_file", client.caFile), ("dependencies.tls.certificate_file", client.certificateFile),
            ("dependencies.tls.key_file", client.keyFile), ("dependencies.tls.server_name", client.serverName),
        ].first(where: { !$0.1.isEmpty })?.0 {
            throw TLSSetupError("\(key) is set but dependencies.tls.enabled is false: enable it, or clear the key")
        }
    }

    /// Re-reads the files on SIGHUP.
    func reload() {
        if server == nil, settings().server.isEnabled {
            logger.warning("tls.certificate_file and tls.key_file were set by a reload: TLS starts with a restart")
        }
        server?.source.reload()
        client?.source.reload()
    }
}
