/// Turns typed messages into bytes and back; `Contracts` provides one for every generated message.
package struct MessageCodec<Message: Sendable>: Sendable {
    package var serialize: @Sendable (Message) throws -> [UInt8]
    package var deserialize: @Sendable ([UInt8]) throws -> Message

    package init(
        serialize: @escaping @Sendable (Message) throws -> [UInt8],
        deserialize: @escaping @Sendable ([UInt8]) throws -> Message
    ) {
        self.serialize = serialize
        self.deserialize = deserialize
    }
}

extension MessageCodec {
    /// Which message of a call is being encoded or decoded, for the error.
    package enum Part: String, Sendable {
        case request
        case response
    }

    /// A message that does not encode ends the call with INTERNAL, as other gRPC runtimes do.
    package func encode(_ message: Message, _ part: Part) throws(RPCError) -> [UInt8] {
        do {
            return try serialize(message)
        } catch {
            throw RPCError(.internal, "could not encode the \(part.rawValue) message: \(error)")
        }
    }

    /// A message that does not decode ends the call with INTERNAL, as gRPC's status table prescribes for
    /// unparseable requests, unless the codec says the caller sent a well-formed message with a value the
    /// service refuses (a string holding U+0000): that is INVALID_ARGUMENT naming the field. Either way the
    /// error's cause is a `DecodeFailure`, so logs and metrics can tell a peer's bad bytes from a server fault.
    package func decode(_ bytes: [UInt8], _ part: Part) throws(RPCError) -> Message {
        do {
            return try deserialize(bytes)
        } catch {
            let failure = DecodeFailure(inRequest: part == .request, error: error)
            if let refused = (error as? any RPCErrorConvertible)?.rpcError, refused.code == .invalidArgument {
                throw RPCError(.invalidArgument, refused.message, cause: failure)
            }
            throw RPCError(.internal, "could not decode the \(part.rawValue) message: \(error)", cause: failure)
        }
    }
}

/// Why a message could not be decoded: the cause of the RPCError `decode` throws. A request that fails to
/// decode is the peer's doing, not the server's.
package struct DecodeFailure: Error, Sendable, CustomStringConvertible {
    /// The request's bytes (from the peer), not a response's.
    package let inRequest: Bool
    package let error: any Error

    package init(inRequest: Bool, error: any Error) {
        self.inRequest = inRequest
        self.error = error
    }

    package var description: String { "\(error)" }
}

extension Error {
    /// True for a call ended by a request its peer sent that could not be decoded.
    package var isUndecodableRequest: Bool {
        ((self as? RPCError)?.cause as? DecodeFailure)?.inRequest == true
    }
}
