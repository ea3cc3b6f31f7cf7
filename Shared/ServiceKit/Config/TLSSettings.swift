/// Where a service's TLS material lives: the `tls.*` keys (what it serves) and `dependencies.tls.*` (how
/// it dials the services it calls). Only paths live here; the files are read, checked and re-read on
/// SIGHUP by `ServiceTLS`, so a renewed certificate needs no restart.
package struct TLSSettings: Sendable, Equatable {
    /// What the RPC port (and the gateway's REST port) serves. Both files set: TLS only; neither: plaintext.
    package struct Server: Sendable, Equatable {
        /// PEM: the certificate first, then its intermediates.
        package var certificateFile = ""
        package var keyFile = ""
        /// Mutual TLS: when set, the RPC port asks for a client certificate signed by one of these CAs and
        /// refuses connections without one.
        package var clientCAFile = ""

        package var isEnabled: Bool { !certificateFile.isEmpty || !keyFile.isEmpty }
    }

    /// How this service dials its dependencies.
    package struct Client: Sendable, Equatable {
        package var enabled = false
        /// The CAs that sign the dependencies' certificates; empty: the system's trust store.
        package var caFile = ""
        /// A client certificate for dependencies that ask for one (mutual TLS).
        package var certificateFile = ""
        package var keyFile = ""
        /// The name the dependencies' certificates are checked against; empty: the host of each address
        /// (an IP address is checked against the certificate's IP addresses).
        package var serverName = ""
    }

    package var server = Server()
    package var client = Client()

    package init() {}

    static func keys() -> [ConfigKey<TLSSettings>] {
        [
            .string(
                "tls.certificate_file", \.server.certificateFile,
                help: "PEM certificate chain the RPC port serves (and the gateway's REST port); with tls.key_file the ports speak TLS only. Re-read on SIGHUP.", reloadable: true),
            .string("tls.key_file", \.server.keyFile, help: "PEM private key of tls.certificate_file.", reloadable: true),
            .string(
                "tls.client_ca_file", \.server.clientCAFile,
                help: "Mutual TLS: the RPC port requires a client certificate signed by these PEM CAs. Empty: none asked for.", reloadable: true),
            .bool("dependencies.tls.enabled", \.client.enabled, help: "Dial the dependencies over TLS."),
            .string(
                "dependencies.tls.ca_file", \.client.caFile,
                help: "PEM CAs trusted for the dependencies' certificates; empty: the system trust store.", reloadable: true),
            .string(
                "dependencies.tls.certificate_file", \.client.certificateFile,
                help: "PEM client certificate sent to dependencies that require one (mutual TLS).", reloadable: true),
            .string("dependencies.tls.key_file", \.client.keyFile, help: "PEM private key of dependencies.tls.certificate_file.", reloadable: true),
            .string(
                "dependencies.tls.server_name", \.client.serverName,
                help: "Name the dependencies' certificates must carry; empty: each address's host."),
        ]
    }
}
