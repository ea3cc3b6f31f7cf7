/// Per-stream objects keyed by HTTP/2 stream id: open addressing over a power-of-two table.
///
/// A call looks its stream up about twenty times (each frame, each response part, nghttp2's callbacks), and
/// a `Dictionary` hashes the key with SipHash every time. Stream ids are consecutive odd (or even) numbers,
/// so `id >> 1` already spreads them over the table, with no hashing.
struct StreamMap<Value: AnyObject> {
    private static var emptySlot: Int32 { 0 }
    private static var deletedSlot: Int32 { -1 }

    private var ids: [Int32]
    private var values: [Value?]
    private(set) var count = 0
    /// Occupied and deleted slots: the table is rebuilt before it fills up.
    private var used = 0

    init() {
        ids = Array(repeating: Self.emptySlot, count: 16)
        values = Array(repeating: nil, count: 16)
    }

    var isEmpty: Bool { count == 0 }

    subscript(id: Int32) -> Value? {
        get { find(id).map { values[$0] } ?? nil }
        set {
            if let newValue { insert(newValue, for: id) } else { _ = removeValue(forKey: id) }
        }
    }

    @discardableResult
    mutating func removeValue(forKey id: Int32) -> Value? {
        guard let slot = find(id) else { return nil }
        defer {
            ids[slot] = Self.deletedSlot
            values[slot] = nil
            count -= 1
        }
        return values[slot]
    }

    mutating func removeAll() { self = StreamMap() }

    /// Every stream and its object, in no particular order.
    var entries: [(id: Int32, value: Value)] {
        ids.indices.compactMap { slot in ids[slot] > 0 ? (ids[slot], values[slot]!) : nil }
    }

    private var mask: Int { ids.count - 1 }

    private func find(_ id: Int32) -> Int? {
        var slot = Int(id >> 1) & mask
        while true {
            switch ids[slot] {
            case id: return slot
            case Self.emptySlot: return nil
            default: slot = (slot + 1) & mask
            }
        }
    }

    private mutating func insert(_ value: Value, for id: Int32) {
        precondition(id > 0, "HTTP/2 stream ids are positive")
        if let slot = find(id) {
            values[slot] = value
            return
        }
        if (used + 1) * 4 > ids.count * 3 { rebuild() }
        var slot = Int(id >> 1) & mask
        while ids[slot] > 0 { slot = (slot + 1) & mask }
        if ids[slot] == Self.emptySlot { used += 1 }
        ids[slot] = id
        values[slot] = value
        count += 1
    }

    /// Drops deleted slots, doubling the table when more than half of it is live.
    private mutating func rebuild() {
        let live = entries
        var capacity = ids.count
        while live.count * 2 >= capacity { capacity *= 2 }
        ids = Array(repeating: Self.emptySlot, count: capacity)
        values = Array(repeating: nil, count: capacity)
        count = 0
        used = 0
        for (id, value) in live { insert(value, for: id) }
    }
}
