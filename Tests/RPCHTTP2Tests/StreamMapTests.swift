@testable import RPCHTTP2
import Testing

@Suite("Stream map")
struct StreamMapTests {
    final class Box {}

    @Test("behaves like a dictionary through inserts, replacements and removals, across rebuilds")
    func matchesDictionary() {
        var map = StreamMap<Box>()
        var reference: [Int32: Box] = [:]
        var generator = SystemRandomNumberGenerator()
        var nextID: Int32 = 1
        // Streams open in id order and close in any order, as on a connection. Phases of 2 000 steps
        // alternate: streams open and close at random, then mostly close, so the table grows and empties.
        for step in 0..<20_000 {
            let mixing = (step / 2_000) % 2 == 0
            let open = reference.isEmpty || ((mixing || reference.count < 3) && Bool.random(using: &generator))
            if open {
                let box = Box()
                map[nextID] = box
                reference[nextID] = box
                nextID += 2
            } else {
                let id = reference.keys.randomElement(using: &generator)!
                #expect(map.removeValue(forKey: id) === reference.removeValue(forKey: id))
            }
            if step % 97 == 0 {
                #expect(map.count == reference.count)
                #expect(map.isEmpty == reference.isEmpty)
                for (id, box) in reference { #expect(map[id] === box) }
                #expect(map[nextID] == nil)
                #expect(Set(map.entries.map(\.id)) == Set(reference.keys))
            }
        }
        #expect(map.removeValue(forKey: nextID) == nil)
    }

    @Test("a replaced value and a removed one")
    func replaceAndRemove() {
        var map = StreamMap<Box>()
        let first = Box()
        let second = Box()
        map[3] = first
        map[3] = second
        #expect(map.count == 1)
        #expect(map[3] === second)
        map[3] = nil
        #expect(map[3] == nil)
        #expect(map.isEmpty)
        map[5] = first
        map.removeAll()
        #expect(map.isEmpty && map[5] == nil)
    }
}
