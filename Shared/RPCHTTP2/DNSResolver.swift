internal import NIOCore
internal import NIOPosix
package import RPCCore
#if canImport(Glibc)
internal import Glibc
#endif

/// Every address of a DNS name, for `BalancedTransport`: through the system's resolver (`getaddrinfo`:
/// /etc/hosts, resolv.conf and its search domains, as Kubernetes pods need), or by asking one DNS server
/// directly (`dns://server/name:port`). The blocking parts run on NIO's thread pool.
///
/// No DNS client library is available to the project, so the direct query is written here: one A and one
/// AAAA question over UDP with a 4 096-byte EDNS payload, answers read with name compression; a truncated
/// answer uses the addresses it holds.
package struct DNSResolver: AddressResolver {
    package let name: String
    private let host: String
    private let port: Int
    private let server: (host: String, port: Int)?
    private let timeout: Duration

    package init(host: String, port: Int, server: (host: String, port: Int)? = nil, timeout: Duration = .seconds(2)) {
        self.host = host
        self.port = port
        self.server = server
        self.timeout = max(timeout, .milliseconds(10))  // zero would mean "wait forever" to the socket
        let bracketed = { (host: String) in host.contains(":") ? "[\(host)]" : host }
        name = "dns://\(server.map { "\(bracketed($0.host)):\($0.port)" } ?? "")/\(bracketed(host)):\(port)"
    }

    package func resolve() async throws -> [ResolvedAddress] {
        let (host, port, server, timeout) = (host, port, server, timeout)
        let hosts = try await NIOThreadPool.singleton.runIfActive {
            if let server {
                return try DNSQuery.addresses(of: host, server: server, timeout: timeout)
            }
            return try SystemResolver.addresses(of: host)
        }
        return hosts.map { ResolvedAddress(host: $0, port: port) }
    }
}

/// A resolution that failed, as a sentence.
struct DNSError: Error, CustomStringConvertible {
    var description: String
}

/// `getaddrinfo`, numeric addresses out.
enum SystemResolver {
    static func addresses(of host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            throw DNSError(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)).lowercased())")
        }
        defer { freeaddrinfo(list) }
        var found: [String] = []
        var cursor = list
        while let entry = cursor {
            if let address = entry.pointee.ai_addr, let text = numericHost(address, length: entry.pointee.ai_addrlen), !found.contains(text) {
                found.append(text)
            }
            cursor = entry.pointee.ai_next
        }
        return found
    }

    private static func numericHost(_ address: UnsafeMutablePointer<sockaddr>, length: socklen_t) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
