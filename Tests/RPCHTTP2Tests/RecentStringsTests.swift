@testable import RPCHTTP2
import Testing

@Suite("Recent header strings")
struct RecentStringsTests {
    @Test("the same bytes give the same string, different bytes never a cached one, at every length")
    func matchesDecoding() {
        var cache = RecentStrings()
        var generator = SystemRandomNumberGenerator()
        // A small alphabet and lengths around the 8- and 16-byte boundaries of the cache's comparisons, so that
        // strings often share heads, tails and slots.
        let alphabet = Array("ab-:/.".utf8)
        var samples: [[UInt8]] = (0...40).map { length in (0..<length).map { _ in alphabet.randomElement(using: &generator)! } }
        samples += samples.map { $0.isEmpty ? [0xFF] : [0xC3] + $0.dropFirst() }  // invalid UTF-8 is repaired
        for _ in 0..<20_000 {
            var bytes = samples.randomElement(using: &generator)!
            if !bytes.isEmpty, Bool.random(using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = alphabet.randomElement(using: &generator)!
            }
            let string = bytes.withUnsafeBufferPointer { cache.string($0) }
            #expect(string == String(decoding: bytes, as: UTF8.self), "bytes \(bytes)")
        }
    }
}
