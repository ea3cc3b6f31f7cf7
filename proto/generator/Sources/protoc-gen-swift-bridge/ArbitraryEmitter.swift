import SwiftProtobufPluginLibrary

/// Emits random-value constructors for the test-support module, used by the round-trip property tests, the
/// Python interop tests and the memory check. `g` is an `ArbitraryGenerator` (hand-written in test support)
/// and `depth` bounds the nesting so values stay small.
enum ArbitraryEmitter {
    static func conformance(_ message: Descriptor, into w: inout Writer) throws {
        let members = try Member.members(of: message)
        w.block("extension \(SwiftNames.type(message)): Arbitrary {") { w in
            w.block("package static func arbitrary(using g: inout ArbitraryGenerator, depth: Int) -> Self {") { w in
                if members.isEmpty {
                    w.line("Self()")
                    return
                }
                w.line("var m = Self()")
                for member in members { emit(member, into: &w) }
                w.line("return m")
            }
        }
        for nested in message.messages where !nested.isMapEntry {
            w.line()
            try conformance(nested, into: &w)
        }
    }

    private static func emit(_ member: Member, into w: inout Writer) {
        switch member {
        case .field(let f):
            let target = "m.\(f.swiftName)"
            switch f.shape {
            case .singular(let s):
                w.line("\(target) = \(s.arbitrary)")
            case .optional(let s, _):
                w.line("\(target) = g.bool() ? \(s.arbitrary) : nil")
            case .message(let m):
                w.line("\(target) = g.nests(depth) ? \(SwiftNames.type(m)).arbitrary(using: &g, depth: depth + 1) : nil")
            case .repeated(let s):
                w.line("\(target) = (0..<g.count(depth)).map { _ in \(s.arbitrary) }")
            case .repeatedMessage(let m):
                w.line("\(target) = (0..<g.count(depth)).map { _ in \(SwiftNames.type(m)).arbitrary(using: &g, depth: depth + 1) }")
            case .map(let key, let value, _):
                let valueExpr: String
                switch value {
                case .scalar(let s): valueExpr = s.arbitrary
                case .message(let m): valueExpr = "\(SwiftNames.type(m)).arbitrary(using: &g, depth: depth + 1)"
                }
                w.block("for _ in 0..<g.count(depth) {") { w in
                    w.line("let key = \(key.arbitrary)")
                    w.line("\(target)[key] = \(valueExpr)")
                }
            }
        case .oneof(let o):
            w.switchBlock("switch g.pick(\(o.members.count + 1)) {") { w in
                for (index, m) in o.members.enumerated() {
                    let value = m.scalar?.arbitrary
                        ?? "\(SwiftNames.type(m.descriptor.messageType)).arbitrary(using: &g, depth: depth + 1)"
                    w.line("case \(index + 1): m.\(o.propertyName) = .\(m.caseName)(\(value))")
                }
                w.line("default: m.\(o.propertyName) = nil")
            }
        }
    }
}
