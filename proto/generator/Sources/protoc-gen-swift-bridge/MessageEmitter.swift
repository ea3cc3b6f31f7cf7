import SwiftProtobufPluginLibrary

/// Emits the Swift value type of a message and its `ProtoMessage` conformance.
enum MessageEmitter {
    /// The struct, with nested messages, enums and oneofs declared inside it.
    static func declaration(_ message: Descriptor, into w: inout Writer) throws {
        let members = try Member.members(of: message)
        w.doc(message.protoSourceComments())
        try w.block("package struct \(message.name): Sendable, Hashable {") { w in
            for member in members {
                switch member {
                case .field(let field):
                    w.doc(field.descriptor.protoSourceComments())
                    w.line("package var \(field.swiftName): \(field.swiftType) = \(field.swiftDefault)")
                case .oneof(let oneof):
                    w.doc(oneof.descriptor.protoSourceComments())
                    w.line("package var \(oneof.propertyName): \(oneof.typeName)? = nil")
                }
            }
            w.line()
            w.line("package init() {}")
            for member in members {
                guard case .oneof(let oneof) = member else { continue }
                w.line()
                w.block("package enum \(oneof.typeName): Sendable, Hashable {") { w in
                    for m in oneof.members {
                        w.doc(m.descriptor.protoSourceComments())
                        w.line("case \(m.caseName)(\(m.swiftType))")
                    }
                }
            }
            for nested in message.enums {
                w.line()
                EnumEmitter.declaration(nested, into: &w)
            }
            for nested in message.messages where !nested.isMapEntry {
                w.line()
                try declaration(nested, into: &w)
            }
        }
    }

    /// The `ProtoMessage` conformance: the C entry points and the lower/lift code.
    static func conformance(_ message: Descriptor, into w: inout Writer) throws {
        let members = try Member.members(of: message)
        let swiftType = SwiftNames.type(message)
        let fn = CNames.functionPrefix(message)
        w.block("extension \(swiftType): ProtoMessage {") { w in
            w.line("package typealias CMessage = \(CNames.typeName(message))")
            w.line("package static let protoName = \"\(message.fullName)\"")
            w.line()
            w.line("package static func cInit(_ message: UnsafeMutablePointer<CMessage>) { \(fn)__init(message) }")
            w.line()
            let lowerSignature = "package func lower(into c: UnsafeMutablePointer<CMessage>, arena: inout ProtoArena) throws {"
            if members.isEmpty {
                w.line("package func lower(into c: UnsafeMutablePointer<CMessage>, arena: inout ProtoArena) throws {}")
            } else {
                w.block(lowerSignature) { w in
                    for member in members { lower(member, into: &w) }
                }
            }
            w.line()
            if members.isEmpty {
                w.line("package init(lifting c: UnsafePointer<CMessage>) throws { self.init() }")
            } else {
                w.block("package init(lifting c: UnsafePointer<CMessage>) throws {") { w in
                    // Every property has a default, so no `self.init()` first: delegating would build a
                    // second value and copy it in.
                    for member in members { lift(member, into: &w) }
                }
            }
        }
        for nested in message.messages where !nested.isMapEntry {
            w.line()
            try conformance(nested, into: &w)
        }
        for nested in message.enums {
            w.line()
            EnumEmitter.conformance(nested, into: &w)
        }
    }

    private static func lower(_ member: Member, into w: inout Writer) {
        switch member {
        case .field(let f):
            let name = f.swiftName
            let c = "c.pointee.\(f.cName)"
            switch f.shape {
            case .singular(let s):
                let assignment = "\(c) = \(s.lower(name, label: f.label))"
                if s.isReferenceLike {
                    w.line("if !\(name).isEmpty { \(assignment) }")
                } else {
                    w.line(assignment)
                }
                if s.isFloatingPoint {
                    w.line("arena.keepNegativeZero(\(name), field: \(f.descriptor.number), in: c)")
                }
            case .optional(let s, let caseMember):
                w.block("if let value = \(name) {") { w in
                    w.line("c.pointee.\(caseMember) = .init(protoNumber: \(f.descriptor.number))")
                    w.line("\(c) = \(s.lower("value", label: f.label))")
                }
            case .message:
                w.line("if let value = \(name) { \(c) = try arena.message(value) }")
            case .repeated(let s):
                w.block("if !\(name).isEmpty {") { w in
                    w.line("c.pointee.n_\(f.cName) = \(name).count")
                    switch s {
                    case .string: w.line("\(c) = try arena.cStrings(\(name), field: \"\(f.label)\")")
                    case .bytes: w.line("\(c) = arena.binaries(\(name))")
                    default: w.line("\(c) = arena.array(\(name)) { \(s.lower("$0", label: f.label)) }")
                    }
                }
            case .repeatedMessage:
                w.block("if !\(name).isEmpty {") { w in
                    w.line("c.pointee.n_\(f.cName) = \(name).count")
                    w.line("\(c) = try arena.messages(\(name))")
                }
            case .map(let key, let value, let entry):
                lowerMap(f, key: key, value: value, entry: entry, into: &w)
            }
        case .oneof(let o):
            w.switchBlock("switch \(o.propertyName) {") { w in
                for m in o.members {
                    w.line("case .\(m.caseName)(let value)?:")
                    w.line("    c.pointee.\(o.caseMember) = .init(protoNumber: \(m.descriptor.number))")
                    if let s = m.scalar {
                        w.line("    c.pointee.\(m.cName) = \(s.lower("value", label: m.label))")
                    } else {
                        w.line("    c.pointee.\(m.cName) = try arena.message(value)")
                    }
                }
                w.line("case nil:")
                w.line("    break")
            }
        }
    }

    private static func lowerMap(_ f: Field, key: Scalar, value: Field.MapValue, entry: Descriptor, into w: inout Writer) {
        let entryType = CNames.typeName(entry)
        let sort = if case .bool = key { "{ !$0.key && $1.key }" } else { "{ $0.key < $1.key }" }
        w.block("if !\(f.swiftName).isEmpty {") { w in
            w.line("// Sorted so that equal maps encode to equal bytes.")
            w.line("let sorted = \(f.swiftName).sorted(by: \(sort))")
            w.line("let entries = arena.allocate(UnsafeMutablePointer<\(entryType)>?.self, count: sorted.count)")
            w.block("for (index, element) in sorted.enumerated() {") { w in
                w.line("let entry = arena.allocate(\(entryType).self, count: 1)")
                w.line("\(CNames.functionPrefix(entry))__init(entry)")
                w.line("entry.pointee.key = \(key.lower("element.key", label: f.label))")
                switch value {
                case .scalar(let s):
                    w.line("entry.pointee.value = \(s.lower("element.value", label: f.label))")
                    if s.isFloatingPoint { w.line("arena.keepNegativeZero(element.value, field: 2, in: entry)") }
                case .message: w.line("entry.pointee.value = try arena.message(element.value)")
                }
                w.line("(entries + index).initialize(to: entry)")
            }
            w.line("c.pointee.n_\(f.cName) = sorted.count")
            w.line("c.pointee.\(f.cName) = entries")
        }
    }

    private static func lift(_ member: Member, into w: inout Writer) {
        switch member {
        case .field(let f):
            let name = f.swiftName
            let c = "c.pointee.\(f.cName)"
            switch f.shape {
            case .singular(let s):
                w.line("\(name) = \(s.lift(c, label: f.label))")
            case .optional(let s, let caseMember):
                w.line("if c.pointee.\(caseMember).protoNumber == \(f.descriptor.number) { \(name) = \(s.lift(c, label: f.label)) }")
            case .message(let m):
                w.line("if let value = \(c) { \(name) = try \(SwiftNames.type(m))(lifting: value) }")
            case .repeated(let s):
                let count = "count: c.pointee.n_\(f.cName)"
                switch s {
                case .string: w.line("\(name) = try ProtoLift.strings(\(c), \(count), field: \"\(f.label)\")")
                case .bytes: w.line("\(name) = ProtoLift.binaries(\(c), \(count))")
                default: w.line("\(name) = ProtoLift.array(\(c), \(count)) { \(s.lift("$0", label: f.label)) }")
                }
            case .repeatedMessage:
                w.line("\(name) = try ProtoLift.messages(\(c), count: c.pointee.n_\(f.cName))")
            case .map(let key, let value, _):
                w.block("if let entries = \(c) {") { w in
                    w.line("\(name).reserveCapacity(c.pointee.n_\(f.cName))")
                    w.block("for index in 0..<c.pointee.n_\(f.cName) {") { w in
                        w.line("guard let entry = entries[index] else { continue }")
                        let liftedValue: String
                        switch value {
                        case .scalar(let s): liftedValue = s.lift("entry.pointee.value", label: f.label)
                        case .message(let m):
                            let t = SwiftNames.type(m)
                            liftedValue = "try entry.pointee.value.map { try \(t)(lifting: $0) } ?? \(t)()"
                        }
                        w.line("\(name)[\(key.lift("entry.pointee.key", label: f.label))] = \(liftedValue)")
                    }
                }
            }
        case .oneof(let o):
            w.switchBlock("switch c.pointee.\(o.caseMember).protoNumber {") { w in
                for m in o.members {
                    w.line("case \(m.descriptor.number):")
                    if let s = m.scalar {
                        w.line("    \(o.propertyName) = .\(m.caseName)(\(s.lift("c.pointee.\(m.cName)", label: m.label)))")
                    } else {
                        let t = SwiftNames.type(m.descriptor.messageType)
                        w.line("    \(o.propertyName) = .\(m.caseName)(try c.pointee.\(m.cName).map { try \(t)(lifting: $0) } ?? \(t)())")
                    }
                }
                w.line("default:")
                w.line("    break")
            }
        }
    }
}
