import SwiftProtobufPluginLibrary

/// Emits a Swift enum for a proto enum, keeping unknown numbers as `unrecognized`.
enum EnumEmitter {
    static func declaration(_ e: EnumDescriptor, into w: inout Writer) {
        w.doc(e.protoSourceComments())
        w.block("package enum \(e.name): Sendable, Hashable {") { w in
            for value in e.values {
                w.doc(value.protoSourceComments())
                w.line("case \(SwiftNames.enumCase(value))")
            }
            w.line("/// A number this schema does not declare, kept so it survives a decode and re-encode.")
            w.line("case unrecognized(Int32)")
        }
    }

    static func conformance(_ e: EnumDescriptor, into w: inout Writer) {
        w.block("extension \(SwiftNames.type(e)): ProtoEnum {") { w in
            let cases = e.values.map { "." + SwiftNames.enumCase($0) }.joined(separator: ", ")
            w.line("package static let knownCases: [Self] = [\(cases)]")
            w.line()
            w.block("package init(protoNumber: Int32) {") { w in
                w.switchBlock("switch protoNumber {") { w in
                    for value in e.values {
                        w.line("case \(value.number): self = .\(SwiftNames.enumCase(value))")
                    }
                    w.line("default: self = .unrecognized(protoNumber)")
                }
            }
            w.line()
            w.block("package var protoNumber: Int32 {") { w in
                w.switchBlock("switch self {") { w in
                    for value in e.values {
                        w.line("case .\(SwiftNames.enumCase(value)): \(value.number)")
                    }
                    w.line("case .unrecognized(let number): number")
                }
            }
            w.line()
            w.block("package var protoName: String {") { w in
                w.switchBlock("switch self {") { w in
                    for value in e.values {
                        w.line("case .\(SwiftNames.enumCase(value)): \"\(value.name)\"")
                    }
                    w.line("case .unrecognized: \"\"")
                }
            }
        }
    }
}
