package import RPCCore

/// Why a message could not be encoded or decoded.
///
/// Decoding failures never crash: malformed bytes, invalid UTF-8 in a string field and the like all surface
/// as a `ProtoError` naming the message and, where known, the field.
package struct ProtoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; extensible without breaking callers.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case malformed
            case invalidUTF8
            case embeddedNUL
            case tooLarge
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The bytes are not a valid encoding of the message (truncated, wrong wire type, bad length…).
        package static let malformed = Code(.malformed)
        /// A `string` field holds bytes that are not UTF-8.
        package static let invalidUTF8 = Code(.invalidUTF8)
        /// A string to encode contains U+0000, which protobuf-c would silently truncate.
        package static let embeddedNUL = Code(.embeddedNUL)
        /// The encoded message would exceed the wire limit of 2 GiB.
        package static let tooLarge = Code(.tooLarge)

        package var description: String {
            switch wrapped {
            case .malformed: "malformed"
            case .invalidUTF8: "invalid UTF-8"
            case .embeddedNUL: "embedded NUL"
            case .tooLarge: "too large"
            }
        }
    }

    package var code: Code
    package var message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
}

extension ProtoError: RPCErrorConvertible {
    /// A received string holding U+0000 is valid protobuf that protobuf-c cannot carry: the caller's value is
    /// refused (INVALID_ARGUMENT naming the field). Every other failure is bytes that do not parse (INTERNAL).
    package var rpcError: RPCError {
        code == .embeddedNUL ? RPCError(.invalidArgument, message) : RPCError(.internal, description)
    }
}
