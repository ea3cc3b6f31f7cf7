@testable import RPCHTTP2
import Testing

@Suite("DNS stub queries")
struct DNSQueryTests {
    @Test("a query asks one question with recursion desired and offers 4 096-byte answers")
    func query() throws {
        let bytes = try DNSQuery.message(id: 0xbeef, name: "analyzer-pods.cla.svc", type: DNSQuery.typeA)
        #expect(Array(bytes[0..<12]) == [0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1])
        let question: [UInt8] = [13] + Array("analyzer-pods".utf8) + [3] + Array("cla".utf8) + [3] + Array("svc".utf8) + [0, 0, 1, 0, 1]
        #expect(Array(bytes[12..<(12 + question.count)]) == question)
        #expect(Array(bytes[(12 + question.count)...]) == [0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0])
        #expect(throws: DNSError.self) { try DNSQuery.message(id: 1, name: "a..b", type: DNSQuery.typeA) }
        #expect(throws: DNSError.self) { try DNSQuery.message(id: 1, name: String(repeating: "x", count: 64), type: DNSQuery.typeA) }
        #expect(try DNSQuery.message(id: 1, name: "pods.test.", type: DNSQuery.typeA) == DNSQuery.message(id: 1, name: "pods.test", type: DNSQuery.typeA))
    }

    /// An answer to `id` for "pods.test": a CNAME, two A records and an AAAA, names compressed.
    static func answer(id: UInt16 = 7, code: UInt8 = 0, cutAfter: Int? = nil) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x81, 0x80 | code, 0, 1, 0, 4, 0, 0, 0, 0]
        bytes += [4] + Array("pods".utf8) + [4] + Array("test".utf8) + [0, 0, 1, 0, 1]
        let pointer: [UInt8] = [0xc0, 12]
        bytes += pointer + [0, 5, 0, 1, 0, 0, 0, 30, 0, 4, 1, Character("x").asciiValue!, 0xc0, 12]  // CNAME x.pods.test
        bytes += pointer + [0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 5]
        bytes += pointer + [0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 6]
        bytes += pointer + [0, 28, 0, 1, 0, 0, 0, 30, 0, 16, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
        return cutAfter.map { Array(bytes.prefix($0)) } ?? bytes
    }

    @Test("an answer gives its A and AAAA addresses, skipping other records and following compressed names")
    func answers() throws {
        #expect(try DNSQuery.parse(Self.answer(), id: 7, name: "pods.test") == ["10.0.0.5", "10.0.0.6", "fd00::1"])
    }

    @Test("an answer to another query is not this one's; NXDOMAIN is no addresses; other codes are errors in words")
    func codes() throws {
        #expect(try DNSQuery.parse(Self.answer(id: 8), id: 7, name: "pods.test") == nil)
        #expect(try DNSQuery.parse(Self.answer(code: 3), id: 7, name: "pods.test") == [])
        let refused = #expect(throws: DNSError.self) { try DNSQuery.parse(Self.answer(code: 5), id: 7, name: "pods.test") }
        #expect(refused?.description == "the DNS server answered pods.test with refused (code 5)")
    }

    @Test("a truncated answer gives the records that came whole, and never reads past the end")
    func truncated() throws {
        let whole = Self.answer()
        // Cut inside the second A record: the CNAME was skipped, the first A came whole.
        let cut = whole.count - 28 - 10
        #expect(try DNSQuery.parse(Self.answer(cutAfter: cut), id: 7, name: "pods.test") == ["10.0.0.5"])
        for length in 0..<whole.count {
            _ = try? DNSQuery.parse(Array(whole.prefix(length)), id: 7, name: "pods.test")
        }
    }

    @Test("hostile answers end: counts far beyond the records, a name pointing at itself, reserved label types")
    func hostile() throws {
        var counts = Self.answer()
        counts[6] = 0xff
        counts[7] = 0xff  // ANCOUNT 65535 for four records
        #expect(try DNSQuery.parse(counts, id: 7, name: "pods.test") == ["10.0.0.5", "10.0.0.6", "fd00::1"])
        var questions = Self.answer()
        questions[4] = 0xff
        questions[5] = 0xff  // QDCOUNT 65535
        #expect(throws: DNSError.self) { try DNSQuery.parse(questions, id: 7, name: "pods.test") }
        // The question's name is a pointer to itself, then a label of the reserved type 0b01.
        let header: [UInt8] = [0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]
        #expect(try DNSQuery.parse(header + [0xc0, 12, 0, 1, 0, 1] + [0x40, 0, 1, 0, 1], id: 7, name: "x") == [])
    }
}
