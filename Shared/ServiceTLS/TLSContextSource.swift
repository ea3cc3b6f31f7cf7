#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
package import Logging
internal import Metrics
package import NIOSSL
package import ServiceKit
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// The TLS context new connections use, made from the files the configuration names and made again on
/// SIGHUP. A reload whose files are bad (missing, mismatched, expired) keeps the context in use and says
/// why; connections already open keep the context they started with.
package final class TLSContextSource: Sendable {
    /// Which end of a connection the context is for.
    package enum Role: Sendable {
        /// Serves `tls.*`; `protocols` are offered by ALPN (`h2` for gRPC, `http/1.1` for REST).
        case server(protocols: [String])
        /// Dials with `dependencies.tls.*`.
        case client(protocols: [String])
    }

    private let role: Role
    private let settings: @Sendable () -> TLSSettings
    private let logger: Logger
    private let expiry: Gauge
    /// The context new connections get, and the state of the files it was made from (so a reload that
    /// changed nothing does nothing).
    private let loaded: Mutex<(context: NIOSSLContext, files: Fingerprint)>
    /// Who may connect, fixed at start.
    private let mode: Mode

    /// Fails, saying which file and why, when the files cannot be used; a service does not start then.
    package init(_ role: Role, settings: @escaping @Sendable () -> TLSSettings, use: String, logger: Logger) throws(TLSSetupError) {
        self.role = role
        self.settings = settings
        self.logger = logger
        expiry = Gauge(label: "tls_certificate_expiry_timestamp_seconds", dimensions: [("use", use)])
        let files = settings()
        let (context, notAfter) = try Self.make(role, files)
        loaded = Mutex((context, Fingerprint(files, role: role)))
        mode = Mode(role, files)
        if let notAfter { record(notAfter) }
    }

    /// The context for the next connection.
    package var context: NIOSSLContext { loaded.withLock { $0.context } }

    /// Reads the files again; on success new connections use them.
    package func reload() {
        let files = settings()
        let fingerprint = Fingerprint(files, role: role)
        guard fingerprint != loaded.withLock({ $0.files }) else { return }
        // New files for the same kind of connection only: TLS off or mutual TLS on or off changes who may
        // connect, which a restart should decide.
        guard Mode(role, files) == mode else {
            logger.warning("TLS turned off or mutual TLS switched by a reload needs a restart; the TLS files in use stay")
            return
        }
        do {
            let (context, notAfter) = try Self.make(role, files)
            loaded.withLock { $0 = (context, fingerprint) }
            if let notAfter { record(notAfter) }
            logger.notice("TLS files reloaded", metadata: ["tls.files": "\(fingerprint.paths.joined(separator: ", "))"])
        } catch {
            logger.error("TLS files not reloaded, the ones in use stay: \(error)")
        }
    }

    private func record(_ notAfter: Date) {
        expiry.record(notAfter.timeIntervalSince1970)
        let left = notAfter.timeIntervalSinceNow
        if left < 14 * 86_400 {
            logger.warning("the TLS certificate expires on \(notAfter.ISO8601Format()), in \(Int(left / 86_400)) days")
        }
    }

    /// What the connections ask of the peer and present to it.
    private struct Mode: Equatable {
        var serves: Bool
        var asksForClientCertificates: Bool
        var presentsCertificate: Bool

        init(_ role: Role, _ settings: TLSSettings) {
            switch role {
            case .server:
                (serves, asksForClientCertificates, presentsCertificate) = (settings.server.isEnabled, !settings.server.clientCAFile.isEmpty, true)
            case .client:
                let identity = !settings.client.certificateFile.isEmpty || !settings.client.keyFile.isEmpty
                (serves, asksForClientCertificates, presentsCertificate) = (false, false, identity)
            }
        }
    }

    private static func make(_ role: Role, _ settings: TLSSettings) throws(TLSSetupError) -> (NIOSSLContext, notAfter: Date?) {
        var configuration: TLSConfiguration
        var notAfter: Date?
        switch role {
        case .server(let protocols):
            let files = settings.server
            let identity = try TLSIdentity.load(
                certificateFile: files.certificateFile, keyFile: files.keyFile, keys: ("tls.certificate_file", "tls.key_file"))
            configuration = .makeServerConfiguration(
                certificateChain: identity.chain.map { .certificate($0) }, privateKey: .privateKey(identity.key))
            configuration.applicationProtocols = protocols
            if !files.clientCAFile.isEmpty {
                let authorities = try TLSIdentity.certificates(in: files.clientCAFile, key: "tls.client_ca_file")
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .certificates(authorities)
                configuration.sendCANameList = true
            }
            notAfter = identity.notValidAfter
        case .client(let protocols):
            let files = settings.client
            configuration = .makeClientConfiguration()
            configuration.applicationProtocols = protocols
            if !files.caFile.isEmpty {
                configuration.trustRoots = .certificates(try TLSIdentity.certificates(in: files.caFile, key: "dependencies.tls.ca_file"))
            }
            if !files.certificateFile.isEmpty || !files.keyFile.isEmpty {
                let identity = try TLSIdentity.load(
                    certificateFile: files.certificateFile, keyFile: files.keyFile,
                    keys: ("dependencies.tls.certificate_file", "dependencies.tls.key_file"))
                configuration.certificateChain = identity.chain.map { .certificate($0) }
                configuration.privateKey = .privateKey(identity.key)
                notAfter = identity.notValidAfter
            }
        }
        configuration.minimumTLSVersion = .tlsv12
        do {
            return (try NIOSSLContext(configuration: configuration), notAfter)
        } catch {
            throw TLSSetupError("cannot make a TLS context from \(Fingerprint(settings, role: role).paths.joined(separator: ", ")): \(error)")
        }
    }

    /// The paths in use with each file's size and modification time: renewing a certificate in place
    /// changes them even when the paths stay.
    private struct Fingerprint: Equatable, Sendable {
        var paths: [String]
        var stamps: [String]

        init(_ settings: TLSSettings, role: Role) {
            switch role {
            case .server:
                paths = [settings.server.certificateFile, settings.server.keyFile, settings.server.clientCAFile]
            case .client:
                paths = [settings.client.caFile, settings.client.certificateFile, settings.client.keyFile]
            }
            paths = paths.filter { !$0.isEmpty }
            stamps = paths.map { path in
                var info = stat()
                guard stat(path, &info) == 0 else { return "missing" }
                return "\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec):\(info.st_ino)"
            }
        }
    }
}
