/// The outcome of an RPC: a gRPC status code and a message, as carried in `grpc-status` and `grpc-message`.
///
/// ```swift
/// let status = RPCStatus(code: .notFound, message: "thread thr_01… does not exist")
/// status.code.rawValue   // 5
/// ```
package struct RPCStatus: Sendable, Hashable, CustomStringConvertible {
    /// A gRPC status code (statuscodes.md). Extensible: unknown numbers from a peer are kept.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The number on the wire.
        package let rawValue: Int

        /// A code from its wire number; numbers outside 0…16 are kept as they are (peers treat them as
        /// UNKNOWN).
        package init(rawValue: Int) { self.rawValue = rawValue }

        package static let ok = Code(rawValue: 0)
        package static let cancelled = Code(rawValue: 1)
        package static let unknown = Code(rawValue: 2)
        package static let invalidArgument = Code(rawValue: 3)
        package static let deadlineExceeded = Code(rawValue: 4)
        package static let notFound = Code(rawValue: 5)
        package static let alreadyExists = Code(rawValue: 6)
        package static let permissionDenied = Code(rawValue: 7)
        package static let resourceExhausted = Code(rawValue: 8)
        package static let failedPrecondition = Code(rawValue: 9)
        package static let aborted = Code(rawValue: 10)
        package static let outOfRange = Code(rawValue: 11)
        package static let unimplemented = Code(rawValue: 12)
        package static let `internal` = Code(rawValue: 13)
        package static let unavailable = Code(rawValue: 14)
        package static let dataLoss = Code(rawValue: 15)
        package static let unauthenticated = Code(rawValue: 16)

        private static let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
            "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
            "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]

        /// The canonical name, e.g. `NOT_FOUND`; `CODE_<n>` for numbers outside the standard set.
        package var name: String { Self.names.indices.contains(rawValue) ? Self.names[rawValue] : "CODE_\(rawValue)" }

        package var description: String { name }

        /// The code with this canonical name, e.g. `NOT_FOUND`.
        package init?(name: String) {
            guard let index = Self.names.firstIndex(of: name) else { return nil }
            rawValue = index
        }
    }

    package var code: Code
    package var message: String

    package init(code: Code, message: String = "") {
        self.code = code
        self.message = message
    }

    package static let ok = RPCStatus(code: .ok)

    package var description: String { message.isEmpty ? code.name : "\(code.name): \(message)" }
}
