package import Contracts

/// Deterministic random values for property tests, biased towards the cases that break encoders: zero,
/// extremes, empty and long strings, Cyrillic and astral-plane text, unknown enum numbers.
package struct ArbitraryGenerator {
    private var rng: SplitMix64
    /// How deep nested messages may go.
    package var maxDepth = 3
    /// The most elements a repeated field or map gets.
    package var maxCount = 4

    package init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    package mutating func pick(_ upperBound: Int) -> Int { Int(rng.next() % UInt64(upperBound)) }
    package mutating func bool() -> Bool { rng.next() & 1 == 1 }

    package mutating func int32() -> Int32 {
        switch pick(6) {
        case 0: 0
        case 1: .max
        case 2: .min
        case 3: -1
        default: Int32(truncatingIfNeeded: rng.next())
        }
    }

    package mutating func int64() -> Int64 {
        switch pick(6) {
        case 0: 0
        case 1: .max
        case 2: .min
        case 3: -1
        default: Int64(bitPattern: rng.next())
        }
    }

    package mutating func uint32() -> UInt32 {
        switch pick(4) {
        case 0: 0
        case 1: .max
        default: UInt32(truncatingIfNeeded: rng.next())
        }
    }

    package mutating func uint64() -> UInt64 {
        switch pick(4) {
        case 0: 0
        case 1: .max
        default: rng.next()
        }
    }

    /// Finite values only: NaN is not equal to itself, so it cannot take part in equality checks.
    package mutating func double() -> Double {
        switch pick(7) {
        case 0: 0
        case 6: -0.0
        case 1: .greatestFiniteMagnitude
        case 2: -.leastNonzeroMagnitude
        case 3: 0.1
        default: Double(Int64(bitPattern: rng.next())) / 1e6
        }
    }

    package mutating func float() -> Float {
        switch pick(6) {
        case 0: 0
        case 5: -0.0
        case 1: .greatestFiniteMagnitude
        case 2: -.leastNonzeroMagnitude
        default: Float(Int32(truncatingIfNeeded: rng.next())) / 1e3
        }
    }

    private static let samples = [
        "", "ООО «Ромашка»", "ПАО СБЕРБАНК", "7707083893", "a", "Ёжик в тумане", "emoji 😈 ☺ non-BMP 𝄞",
        "line\nbreak\ttab", "\"quoted\" & <tagged>", "Ünïcödé", "日本語", String(repeating: "длинная строка ", count: 40),
    ]

    package mutating func string() -> String {
        switch pick(4) {
        case 0: return ""
        case 1:
            // Random scalars from the whole Unicode range except U+0000 (which protobuf-c cannot carry).
            var scalars = String.UnicodeScalarView()
            for _ in 0..<pick(24) {
                let value = UInt32(rng.next() % 0x10FFFF) + 1
                if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
            }
            return String(scalars)
        default: return Self.samples[pick(Self.samples.count)]
        }
    }

    package mutating func bytes() -> [UInt8] {
        switch pick(4) {
        case 0: return []
        case 1: return [0, 0, 255]
        default: return (0..<pick(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
    }

    /// Mostly declared values; sometimes a number the schema does not know.
    package mutating func enumValue<E: ProtoEnum>(_ type: E.Type) -> E {
        if pick(8) == 0 { return E(protoNumber: Int32(100 + pick(1000))) }
        return E.knownCases[pick(E.knownCases.count)]
    }

    /// Whether to set a nested message at this depth.
    package mutating func nests(_ depth: Int) -> Bool { depth < maxDepth && pick(4) != 0 }

    /// How many elements a repeated field or map gets at this depth.
    package mutating func count(_ depth: Int) -> Int { depth < maxDepth ? pick(maxCount + 1) : 0 }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
