#if canImport(Glibc)
internal import Glibc
#endif

/// A dependency's address(es): fixed ones, or a DNS name resolved while running (every address it has,
/// balanced per call), as gRPC writes it: `dns:///analyzer-pods:50052` asks the system's resolver,
/// `dns://10.0.0.2:53/analyzer-pods:50052` that DNS server.
package enum DependencyTarget: Sendable, Hashable, CustomStringConvertible {
    case addresses([ServiceAddress])
    case dns(name: String, port: Int, server: ServiceAddress?)

    /// Parses `host:port[,host:port…]` or `dns:[//server]/name:port`.
    package init(parsing text: String) throws(ConfigValueError) {
        if text.hasPrefix("dns:") {
            var rest = Substring(text.dropFirst("dns:".count))
            var server: ServiceAddress?
            if rest.hasPrefix("//") {
                rest = rest.dropFirst(2)
                guard let slash = rest.firstIndex(of: "/") else {
                    throw ConfigValueError("expected dns:///name:port or dns://server:port/name:port, got \(text.quoted)")
                }
                let authority = String(rest[..<slash])
                if !authority.isEmpty {
                    // A DNS server's port defaults to 53.
                    guard let address = ServiceAddress(authority.contains(":") && !authority.hasSuffix("]") ? authority : authority + ":53"),
                        Self.isIPAddress(address.host)
                    else {
                        throw ConfigValueError("expected the DNS server as an IP address[:port] in \(text.quoted)")
                    }
                    server = address
                }
                rest = rest[rest.index(after: slash)...]
            }
            guard let target = ServiceAddress(String(rest)), !target.host.contains("/") else {
                throw ConfigValueError("expected dns:///name:port with a port from 1 to 65535, got \(text.quoted)")
            }
            self = .dns(name: target.host, port: target.port, server: server)
            return
        }
        let parts = text.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { throw ConfigValueError("expected host:port[,host:port…] or dns:///name:port, got nothing") }
        self = .addresses(try parts.map { (part: String) throws(ConfigValueError) -> ServiceAddress in
            guard let address = ServiceAddress(part) else {
                throw ConfigValueError("expected host:port with a port from 1 to 65535 (or dns:///name:port), got \(part.quoted)")
            }
            return address
        })
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, host, &buffer) == 1 || inet_pton(AF_INET6, host, &buffer) == 1
    }

    package var description: String {
        switch self {
        case .addresses(let addresses): addresses.map(\.description).joined(separator: ",")
        case .dns(let name, let port, let server): "dns://\(server?.description ?? "")/\(ServiceAddress(host: name, port: port))"
        }
    }
}
