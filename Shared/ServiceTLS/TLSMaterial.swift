#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif
package import NIOSSL
#if canImport(Glibc)
internal import Glibc
#endif

/// A certificate chain and its key, read from PEM files and checked the way an operator would: readable,
/// PEM, the key belonging to the certificate, and the certificate valid now.
package struct TLSIdentity: Sendable {
    package var chain: [NIOSSLCertificate]
    package var key: NIOSSLPrivateKey
    /// When the leaf certificate stops being valid.
    package var notValidAfter: Date

    /// - Parameter keys: the configuration keys naming the files, for the error messages.
    package static func load(
        certificateFile: String, keyFile: String, keys: (certificate: String, key: String), now: Date = Date()
    ) throws(TLSSetupError) -> TLSIdentity {
        guard !certificateFile.isEmpty, !keyFile.isEmpty else {
            throw TLSSetupError("\(keys.certificate) and \(keys.key) go together: set both or neither")
        }
        let chain = try certificates(in: certificateFile, key: keys.certificate)
        try readable(keyFile, key: keys.key)
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw TLSSetupError("\(keys.key) \(keyFile) holds no PEM private key (or it is encrypted)")
        }
        let leaf = chain[0]
        guard try matches(key, leaf) else {
            throw TLSSetupError("\(keys.key) \(keyFile) is not the key of the certificate in \(certificateFile)")
        }
        let notBefore = Date(timeIntervalSince1970: TimeInterval(leaf.notValidBefore))
        let notAfter = Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter))
        if notAfter <= now {
            throw TLSSetupError("the certificate in \(certificateFile) (\(keys.certificate)) expired on \(notAfter.ISO8601Format())")
        }
        if notBefore > now {
            throw TLSSetupError("the certificate in \(certificateFile) (\(keys.certificate)) is not valid before \(notBefore.ISO8601Format())")
        }
        return TLSIdentity(chain: chain, key: key, notValidAfter: notAfter)
    }

    /// The certificates of a PEM file, at least one.
    package static func certificates(in path: String, key: String) throws(TLSSetupError) -> [NIOSSLCertificate] {
        try readable(path, key: key)
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TLSSetupError("\(key) \(path) is not a PEM certificate file")
        }
        guard !chain.isEmpty else { throw TLSSetupError("\(key) \(path) holds no PEM certificate") }
        return chain
    }

    /// "cannot read it: no such file" rather than BoringSSL's error stack.
    private static func readable(_ path: String, key: String) throws(TLSSetupError) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw TLSSetupError("\(key) \(path): cannot read it (\(String(cString: strerror(errno)).lowercased()))")
        }
        close(descriptor)
    }

    /// BoringSSL refuses a context whose key is not the certificate's; checked on its own so that the error
    /// can name the files instead of saying "key values mismatch".
    private static func matches(_ key: NIOSSLPrivateKey, _ certificate: NIOSSLCertificate) throws(TLSSetupError) -> Bool {
        do {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            _ = try NIOSSLContext(configuration: configuration)
            return true
        } catch {
            return false
        }
    }
}

/// A TLS file that cannot be used, said as one sentence naming the key and the file.
package struct TLSSetupError: Error, CustomStringConvertible, Equatable {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}
