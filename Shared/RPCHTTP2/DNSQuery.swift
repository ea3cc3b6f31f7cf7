internal import NIOCore
#if canImport(Glibc)
internal import Glibc
#endif

/// A stub query to one DNS server: the A and AAAA records of a name.
enum DNSQuery {
    static let typeA: UInt16 = 1
    static let typeAAAA: UInt16 = 28

    /// `socket(2)`; the enum's name would otherwise hide it.
    private static func makeSocket(_ family: Int32, _ type: Int32, _ proto: Int32) -> Int32 {
        socket(family, type, proto)
    }

    static func addresses(of host: String, server: (host: String, port: Int), timeout: Duration) throws -> [String] {
        let serverAddress = try SocketAddress(ipAddress: server.host, port: server.port)
        let family = serverAddress.protocol == .inet6 ? AF_INET6 : AF_INET
        let socket = makeSocket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard socket >= 0 else { throw DNSError(description: "cannot open a UDP socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        try serverAddress.withSockAddr { address, length in
            guard connect(socket, address, socklen_t(length)) == 0 else {
                throw DNSError(description: "cannot reach the DNS server \(server.host):\(server.port): \(String(cString: strerror(errno)))")
            }
        }
        var found: [String] = []
        // One family's failure (a server that refuses AAAA) does not hide the other's addresses.
        var failures: [any Error] = []
        for type in [typeA, typeAAAA] {
            do {
                found += try ask(socket, host: host, type: type, server: server, deadline: .now + timeout).filter { !found.contains($0) }
            } catch {
                failures.append(error)
            }
        }
        if found.isEmpty, let failure = failures.first { throw failure }
        return found
    }

    /// One question on the connected socket, and its answer.
    /// Answers with another id (late, or spoofed) are skipped, but only until `deadline`.
    private static func ask(
        _ socket: Int32, host: String, type: UInt16, server: (host: String, port: Int), deadline: ContinuousClock.Instant
    ) throws -> [String] {
        let id = UInt16.random(in: 0...UInt16.max)
        let query = try message(id: id, name: host, type: type)
        guard send(socket, query, query.count, 0) == query.count else {
            throw DNSError(description: "cannot send to the DNS server \(server.host):\(server.port): \(String(cString: strerror(errno)))")
        }
        var answer = [UInt8](repeating: 0, count: 4096)
        let silent = DNSError(description: "the DNS server \(server.host):\(server.port) did not answer for \(host)")
        while true {
            let left = deadline - .now
            guard left > .milliseconds(1) else { throw silent }
            var limit = timeval(tv_sec: Int(left.components.seconds), tv_usec: Int(left.components.attoseconds / 1_000_000_000_000))
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            let received = recv(socket, &answer, answer.count, 0)
            guard received > 0 else { throw silent }
            // A late answer to an earlier question is not this one.
            if let records = try parse(Array(answer[..<received]), id: id, name: host) { return records }
        }
    }

    /// A query: header with recursion desired, one question, an OPT record offering 4 096-byte answers.
    static func message(id: UInt16, name: String, type: UInt16) throws -> [UInt8] {
        var bytes: [UInt8] = []
        func append16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xff)] }
        append16(id)
        append16(0x0100)  // RD
        append16(1)  // QDCOUNT
        append16(0)
        append16(0)
        append16(1)  // ARCOUNT: the OPT record
        // "name." is the same name fully qualified; an empty label anywhere else is not a name.
        let labels = (name.hasSuffix(".") ? name.dropLast() : Substring(name)).split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            let utf8 = Array(label.utf8)
            guard (1...63).contains(utf8.count) else { throw DNSError(description: "\(name) is not a valid DNS name") }
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        bytes.append(0)
        append16(type)
        append16(1)  // IN
        bytes.append(0)  // OPT: the root name
        append16(41)
        append16(4096)  // the payload size we accept
        bytes += [0, 0, 0, 0]  // extended RCODE, version, flags
        append16(0)
        return bytes
    }

    /// The addresses in an answer to query `id`; nil when the answer is to another query. NXDOMAIN is no
    /// addresses; another error code throws.
    static func parse(_ bytes: [UInt8], id: UInt16, name: String) throws -> [String]? {
        var reader = Reader(bytes: bytes)
        guard let answerID = reader.u16(), answerID == id, let flags = reader.u16(), flags & 0x8000 != 0 else { return nil }
        let code = flags & 0x000f
        guard let questions = reader.u16(), let answers = reader.u16(), reader.u16() != nil, reader.u16() != nil else {
            throw DNSError(description: "a DNS answer for \(name) was cut short")
        }
        if code == 3 { return [] }  // NXDOMAIN
        guard code == 0 else {
            let meaning = [1: "format error", 2: "server failure", 4: "not implemented", 5: "refused"][Int(code)] ?? "error"
            throw DNSError(description: "the DNS server answered \(name) with \(meaning) (code \(code))")
        }
        for _ in 0..<questions {
            guard reader.skipName(), reader.skip(4) else { throw DNSError(description: "a DNS answer for \(name) was cut short") }
        }
        var found: [String] = []
        for _ in 0..<answers {
            guard reader.skipName(), let type = reader.u16(), reader.skip(6), let length = reader.u16(),
                let data = reader.take(Int(length))
            else { break }  // a truncated answer: keep what came whole
            if type == typeA, data.count == 4 {
                found.append(data.map(String.init).joined(separator: "."))
            } else if type == typeAAAA, data.count == 16, let text = ipv6(data) {
                found.append(text)
            }
        }
        return found
    }

    private static func ipv6(_ data: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = data.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads a DNS message front to back; every read returns nil (or false) past the end.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func u16() -> UInt16? {
            guard offset + 2 <= bytes.count else { return nil }
            defer { offset += 2 }
            return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        }

        mutating func skip(_ count: Int) -> Bool {
            guard offset + count <= bytes.count else { return false }
            offset += count
            return true
        }

        mutating func take(_ count: Int) -> [UInt8]? {
            guard offset + count <= bytes.count else { return nil }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        /// A name: labels up to a zero, or up to a compression pointer (two bytes, 0b11 first).
        mutating func skipName() -> Bool {
            while offset < bytes.count {
                let length = bytes[offset]
                if length & 0xc0 == 0xc0 { return skip(2) }
                offset += 1
                if length == 0 { return true }
                guard skip(Int(length)) else { return false }
            }
            return false
        }
    }
}
