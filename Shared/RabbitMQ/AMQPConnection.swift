internal import CRabbitMQ
internal import Foundation

/// Where the broker is and who we are there.
package struct BrokerAddress: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String
    package var vhost = "/"
    /// Seconds; the broker drops a connection that misses two. Each connection services them while idle.
    package var heartbeat = 10

    package init(host: String, port: Int, user: String, password: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
    }
}

package enum BrokerError: Error, CustomStringConvertible, Equatable {
    /// No connection, or it broke (socket error, the broker closed it).
    case unavailable(String)
    /// The broker refused a message (basic.nack) or could not route it (basic.return).
    case rejected(String)
    /// The broker refused an operation (a channel or connection error: 406 PRECONDITION_FAILED, …).
    case refused(code: Int, message: String)
    case timedOut(String)

    package var description: String {
        switch self {
        case .unavailable(let reason): "RabbitMQ unavailable: \(reason)"
        case .rejected(let reason): "RabbitMQ rejected the message: \(reason)"
        case .refused(let code, let message): "RabbitMQ refused: \(code) \(message)"
        case .timedOut(let what): "RabbitMQ did not answer in time: \(what)"
        }
    }
}

/// A message read from a queue.
package struct BrokerMessage: Sendable, Equatable {
    package var body: [UInt8]
    package var messageID: String
    package var headers: [String: String]
    /// `x-delivery-count`: earlier deliveries of this message (0 on the first).
    package var deliveryCount: Int
    package var redelivered: Bool
    /// From the first `x-death` entry of a dead-lettered message: why (`delivery_limit`, `rejected`) and how
    /// often.
    package var deathReason: String?
    package var deathCount: Int
}

/// One AMQP connection through rabbitmq-c, with one channel. Blocking: every call belongs on the thread of
/// its owner (`BrokerPublisher`'s queue, `BrokerConsumer`'s thread), never on a concurrency thread.
final class AMQPConnection {
    static let channel: amqp_channel_t = 1
    private let state: amqp_connection_state_t
    private(set) var isOpen = false

    init(_ address: BrokerAddress, timeout: Duration) throws(BrokerError) {
        guard let state = amqp_new_connection() else { throw .unavailable("out of memory") }
        self.state = state
        guard let socket = amqp_tcp_socket_new(state) else { throw .unavailable("cannot create a socket") }
        var connectTimeout = Self.timeval(timeout)
        let opened = amqp_socket_open_noblock(socket, address.host, Int32(address.port), &connectTimeout)
        guard opened == AMQP_STATUS_OK.rawValue else {
            throw .unavailable("cannot connect to \(address.host):\(address.port): \(String(cString: amqp_error_string2(opened)))")
        }
        var rpcTimeout = Self.timeval(timeout)
        amqp_set_rpc_timeout(state, &rpcTimeout)
        try check(cla_amqp_login(state, address.vhost, 131_072, Int32(address.heartbeat), address.user, address.password), "login")
        amqp_channel_open(state, Self.channel)
        try check(amqp_get_rpc_reply(state), "channel.open")
        isOpen = true
    }

    deinit {
        if isOpen {
            amqp_channel_close(state, Self.channel, AMQP_REPLY_SUCCESS)
            amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        }
        amqp_destroy_connection(state)
    }

    // MARK: Topology

    /// A durable direct exchange.
    func declareExchange(_ name: String) throws(BrokerError) {
        Self.bytes(name) { name in
            Self.bytes("direct") { type in amqp_exchange_declare(state, Self.channel, name, type, 0, 1, 0, 0, amqp_empty_table) }
        }
        try check(amqp_get_rpc_reply(state), "exchange.declare \(name)")
    }

    /// A durable quorum queue; the number of ready messages in it.
    @discardableResult
    func declareQuorumQueue(_ name: String, deadLetterExchange: String = "", deadLetterKey: String = "", deliveryLimit: Int = 0) throws(BrokerError) -> Int {
        let ok = cla_amqp_declare_quorum(state, Self.channel, name, deadLetterExchange, deadLetterKey, Int64(deliveryLimit))
        try check(amqp_get_rpc_reply(state), "queue.declare \(name)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    func bind(queue: String, exchange: String, key: String) throws(BrokerError) {
        Self.bytes(queue) { queue in
            Self.bytes(exchange) { exchange in
                Self.bytes(key) { key in amqp_queue_bind(state, Self.channel, queue, exchange, key, amqp_empty_table) }
            }
        }
        try check(amqp_get_rpc_reply(state), "queue.bind \(queue)")
    }

    /// Ready messages in an existing queue (a passive declare).
    func depth(_ queue: String) throws(BrokerError) -> Int {
        let ok = Self.bytes(queue) { queue in amqp_queue_declare(state, Self.channel, queue, 1, 0, 0, 0, amqp_empty_table) }
        try check(amqp_get_rpc_reply(state), "queue.declare (passive) \(queue)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    func purge(_ queue: String) throws(BrokerError) -> Int {
        let ok = Self.bytes(queue) { queue in amqp_queue_purge(state, Self.channel, queue) }
        try check(amqp_get_rpc_reply(state), "queue.purge \(queue)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    // MARK: Publishing

    func confirmSelect() throws(BrokerError) {
        amqp_confirm_select(state, Self.channel)
        try check(amqp_get_rpc_reply(state), "confirm.select")
    }

    /// Publishes a persistent message (mandatory: an unroutable one comes back as basic.return).
    func publish(exchange: String, routingKey: String, messageID: String, header: (String, String)?, body: [UInt8]) throws(BrokerError) {
        let status = body.withUnsafeBytes { bytes in
            cla_amqp_publish(state, Self.channel, exchange, routingKey, messageID, header?.0 ?? "", header?.1 ?? "", bytes.baseAddress, bytes.count)
        }
        guard status == AMQP_STATUS_OK.rawValue else { throw .unavailable("publish: \(String(cString: amqp_error_string2(status)))") }
    }

    /// What a publisher in confirm mode hears back.
    enum Confirmation {
        case ack(tag: UInt64, multiple: Bool)
        case nack(tag: UInt64, multiple: Bool)
        case returned(String)
    }

    /// The next confirmation within `timeout` (nil when none came); other frames (heartbeats) are consumed.
    func nextConfirmation(timeout: Duration) throws(BrokerError) -> Confirmation? {
        var frame = amqp_frame_t()
        var wait = Self.timeval(timeout)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        guard status == AMQP_STATUS_OK.rawValue else {
            isOpen = false
            throw .unavailable(String(cString: amqp_error_string2(status)))
        }
        guard frame.frame_type == AMQP_FRAME_METHOD else { return nil }
        switch frame.payload.method.id {
        case AMQP_BASIC_ACK_METHOD:
            let ack = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            return .ack(tag: ack.delivery_tag, multiple: ack.multiple != 0)
        case AMQP_BASIC_NACK_METHOD:
            let nack = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            return .nack(tag: nack.delivery_tag, multiple: nack.multiple != 0)
        case AMQP_BASIC_RETURN_METHOD:
            let returned = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            var message = amqp_message_t()
            _ = amqp_read_message(state, frame.channel, &message, 0)
            amqp_destroy_message(&message)
            return .returned("\(returned.reply_code) \(Self.string(returned.reply_text))")
        case AMQP_CHANNEL_CLOSE_METHOD, AMQP_CONNECTION_CLOSE_METHOD:
            isOpen = false
            throw .unavailable("the broker closed the channel")
        default:
            return nil
        }
    }

    /// Lets heartbeats flow on an idle connection: reads what has arrived, without waiting.
    func serviceHeartbeats() throws(BrokerError) {
        _ = try nextConfirmation(timeout: .zero)
    }

    // MARK: Consuming

    func consume(_ queue: String, prefetch: Int) throws(BrokerError) {
        // global must be false: quorum queues refuse global QoS by closing the whole connection.
        amqp_basic_qos(state, Self.channel, 0, UInt16(clamping: prefetch), 0)
        try check(amqp_get_rpc_reply(state), "basic.qos")
        Self.bytes(queue) { queue in amqp_basic_consume(state, Self.channel, queue, amqp_empty_bytes, 0, 0, 0, amqp_empty_table) }
        try check(amqp_get_rpc_reply(state), "basic.consume \(queue)")
    }

    /// The next delivery within `timeout`, or nil; heartbeats are serviced while waiting.
    func nextDelivery(timeout: Duration) throws(BrokerError) -> (tag: UInt64, message: BrokerMessage)? {
        amqp_maybe_release_buffers(state)
        var envelope = amqp_envelope_t()
        var wait = Self.timeval(timeout)
        let reply = amqp_consume_message(state, &envelope, &wait, 0)
        if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION, reply.library_error == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION, reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue {
            // Not a delivery: read the frame that is there (a close ends the connection).
            var frame = amqp_frame_t()
            guard amqp_simple_wait_frame(state, &frame) == AMQP_STATUS_OK.rawValue else {
                isOpen = false
                throw .unavailable("lost the connection")
            }
            if frame.frame_type == AMQP_FRAME_METHOD,
                frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD || frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD
            {
                isOpen = false
                throw .unavailable("the broker closed the consumer")
            }
            return nil
        }
        try check(reply, "consume")
        defer { amqp_destroy_envelope(&envelope) }
        return (envelope.delivery_tag, Self.message(envelope.message, redelivered: envelope.redelivered != 0))
    }

    func ack(_ tag: UInt64) throws(BrokerError) {
        let status = amqp_basic_ack(state, Self.channel, tag, 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw .unavailable("ack: \(String(cString: amqp_error_string2(status)))") }
    }

    /// Gives a message back: requeued (it counts as a delivery) or, without requeue, dead-lettered.
    func reject(_ tag: UInt64, requeue: Bool) throws(BrokerError) {
        let status = amqp_basic_nack(state, Self.channel, tag, 0, requeue ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw .unavailable("nack: \(String(cString: amqp_error_string2(status)))") }
    }

    /// One message from `queue` (basic.get, to be acked or rejected), or nil when it is empty.
    func get(_ queue: String) throws(BrokerError) -> (tag: UInt64, message: BrokerMessage)? {
        amqp_maybe_release_buffers(state)
        let reply = Self.bytes(queue) { queue in amqp_basic_get(state, Self.channel, queue, 0) }
        try check(reply, "basic.get \(queue)")
        guard reply.reply.id == AMQP_BASIC_GET_OK_METHOD else { return nil }
        let ok = reply.reply.decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        var message = amqp_message_t()
        try check(amqp_read_message(state, Self.channel, &message, 0), "read message")
        defer { amqp_destroy_message(&message) }
        return (ok.delivery_tag, Self.message(message, redelivered: ok.redelivered != 0))
    }

    // MARK: Helpers

    private static func message(_ message: amqp_message_t, redelivered: Bool) -> BrokerMessage {
        var properties = message.properties
        var deathCount: Int64 = 0
        let reason = string(cla_amqp_death_reason(&properties, &deathCount))
        var headers: [String: String] = [:]
        if properties._flags & amqp_flags_t(AMQP_BASIC_HEADERS_FLAG) != 0, let entries = properties.headers.entries {
            for index in 0..<Int(properties.headers.num_entries) {
                let entry = entries[index]
                if entry.value.kind == UInt8(AMQP_FIELD_KIND_UTF8.rawValue) { headers[string(entry.key)] = string(entry.value.value.bytes) }
            }
        }
        return BrokerMessage(
            body: bytes(message.body),
            messageID: properties._flags & amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG) != 0 ? string(properties.message_id) : "",
            headers: headers, deliveryCount: Int(max(0, cla_amqp_integer_header(&properties, "x-delivery-count"))),
            redelivered: redelivered, deathReason: reason.isEmpty ? nil : reason, deathCount: Int(deathCount))
    }

    /// `text` as AMQP bytes for the duration of `body` (amqp_cstring_bytes keeps only the pointer).
    static func bytes<Result>(_ text: String, _ body: (amqp_bytes_t) -> Result) -> Result {
        text.withCString { body(amqp_cstring_bytes($0)) }
    }

    static func bytes(_ value: amqp_bytes_t) -> [UInt8] {
        guard let start = value.bytes, value.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: value.len))
    }

    static func string(_ value: amqp_bytes_t) -> String { String(decoding: bytes(value), as: UTF8.self) }

    private func check(_ reply: amqp_rpc_reply_t, _ what: String) throws(BrokerError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL: return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            isOpen = false
            if reply.library_error == AMQP_STATUS_TIMEOUT.rawValue { throw .timedOut(what) }
            throw .unavailable("\(what): \(String(cString: amqp_error_string2(reply.library_error)))")
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            isOpen = false
            if reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD {
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                throw .refused(code: Int(close.reply_code), message: "\(what): \(Self.string(close.reply_text))")
            }
            if reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD {
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                throw .refused(code: Int(close.reply_code), message: "\(what): \(Self.string(close.reply_text))")
            }
            throw .refused(code: 0, message: what)
        default:
            isOpen = false
            throw .unavailable("\(what): no reply")
        }
    }

    private static func timeval(_ duration: Duration) -> Foundation.timeval {
        let (seconds, attoseconds) = duration.components
        return Foundation.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
