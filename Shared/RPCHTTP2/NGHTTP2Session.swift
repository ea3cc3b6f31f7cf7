internal import CNGHTTP2
#if canImport(Glibc)
internal import Glibc
#endif

/// What nghttp2 decoded from the peer's bytes. Callbacks only record these; the connection handles them after
/// `receive` returns, so nghttp2 is never re-entered from inside its own callbacks.
enum HTTP2Event {
    /// A header block: a request (server side), a response or trailers (client side). `endStream`: nothing
    /// follows on the stream from the peer.
    case headers(streamID: Int32, fields: [(name: String, value: String)], kind: HeaderKind, endStream: Bool)
    /// Payload bytes of a DATA frame.
    case data(streamID: Int32, bytes: [UInt8])
    /// The client half-closed the stream (END_STREAM on DATA or trailers).
    case endStream(streamID: Int32)
    /// The stream is gone: finished, or reset by either side (`errorCode` 0 means NO_ERROR).
    case closed(streamID: Int32, errorCode: UInt32)
    /// The peer sent GOAWAY: streams above `lastStreamID` were not processed (and may be retried).
    case goAway(lastStreamID: Int32, errorCode: UInt32)
    /// The peer acknowledged our PING.
    case pingAck
    /// The peer sent a PING (nghttp2 answers it by itself).
    case ping
}

/// What a header block is.
enum HeaderKind {
    case request
    case response
    case trailers
}

/// Settings the server announces and enforces.
package struct HTTP2Settings: Sendable, Hashable {
    package var maxConcurrentStreams: UInt32 = 1_000
    package var initialWindowSize: UInt32 = 1 << 20
    package var maxFrameSize: UInt32 = 1 << 14
    package var maxHeaderListSize: UInt32 = 16 * 1024

    package static let defaults = HTTP2Settings()
}

/// One nghttp2 session, server or client side: the only type that touches nghttp2.
///
/// Confined to its connection's event loop (it is owned by a connection handler and used only from its
/// callbacks), so it needs no lock. Pointer lifetimes: `session` lives from `init` to `deinit`; nghttp2 gets
/// `self` unretained as `user_data`, which is valid because the session is deleted in `deinit` before `self`
/// goes away; header name/value bytes are copied by nghttp2 during each `submit` call (no NO_COPY flags).
final class NGHTTP2Session {
    enum Role {
        case server
        case client
    }

    private var session: OpaquePointer?
    private var events: [HTTP2Event] = []
    /// The header block being received. HTTP/2 sends a block's frames back to back (RFC 9113 §4.3), so there
    /// is at most one at a time.
    private var pendingHeaders: [(name: String, value: String)] = []
    /// Bytes of the block's fields so far, against `maxHeaderListSize` (RFC 9113 §6.5.2 counts each field as
    /// name + value + 32).
    private var pendingHeaderBytes = 0
    private var recentStrings = RecentStrings()
    private let maxHeaderListSize: Int
    /// A server passes on no request fields that gRPC servers read nothing from (see `isUnreadRequestField`).
    private let skipsUnreadRequestFields: Bool
    private var outbound = StreamMap<Outbound>()

    /// Body bytes waiting for nghttp2 to pull them through the data provider, and how the body ends:
    /// trailers (server responses) or END_STREAM on the last DATA frame (client requests).
    private final class Outbound {
        enum End {
            case trailers([(name: String, value: String)])
            case endStream
        }

        var bytes: [UInt8] = []
        var readIndex = 0
        var end: End?
        var deferred = false
        var available: Int { bytes.count - readIndex }

        init() {}
    }

    init(role: Role, settings: HTTP2Settings) throws(HTTP2SessionError) {
        maxHeaderListSize = Int(settings.maxHeaderListSize)
        skipsUnreadRequestFields = role == .server
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0 else { throw HTTP2SessionError("out of memory") }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, _, userData in
            let this = NGHTTP2Session.from(userData)
            this.pendingHeaders.removeAll(keepingCapacity: true)
            this.pendingHeaderBytes = 0
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, _, name, nameLength, value, valueLength, _, userData in
            let this = NGHTTP2Session.from(userData)
            this.pendingHeaderBytes += nameLength + valueLength + 32
            guard this.pendingHeaderBytes <= this.maxHeaderListSize else {
                // Over the advertised limit: nghttp2 resets just this stream (RST_STREAM INTERNAL_ERROR) and
                // passes no more of this block.
                this.pendingHeaders.removeAll(keepingCapacity: true)
                return Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
            }
            if this.skipsUnreadRequestFields, NGHTTP2Session.isUnreadRequestField(name!, nameLength) { return 0 }
            this.pendingHeaders.append((
                name: this.recentStrings.string(UnsafeBufferPointer(start: name, count: nameLength)),
                value: this.recentStrings.string(UnsafeBufferPointer(start: value, count: valueLength))
            ))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            NGHTTP2Session.from(userData).frameReceived(frame!.pointee)
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            let bytes = Array(UnsafeBufferPointer(start: data, count: length))
            NGHTTP2Session.from(userData).events.append(.data(streamID: streamID, bytes: bytes))
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            let this = NGHTTP2Session.from(userData)
            this.outbound[streamID] = nil
            this.events.append(.closed(streamID: streamID, errorCode: errorCode))
            return 0
        }
        let userData = Unmanaged.passUnretained(self).toOpaque()
        // Window updates are ours to send (`consume`), so a slow reader stops the peer instead of making
        // this process buffer without bound.
        var options: OpaquePointer?
        guard nghttp2_option_new(&options) == 0 else { throw HTTP2SessionError("out of memory") }
        defer { nghttp2_option_del(options) }
        nghttp2_option_set_no_auto_window_update(options, 1)
        let created = switch role {
        case .server: nghttp2_session_server_new2(&session, callbacks, userData, options)
        case .client: nghttp2_session_client_new2(&session, callbacks, userData, options)
        }
        guard created == 0 else { throw HTTP2SessionError("could not create the nghttp2 session") }
        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialWindowSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: settings.maxFrameSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: settings.maxHeaderListSize),
            // gRPC has no use for RFC 7540's stream priorities. Without them nghttp2 keeps no dependency tree,
            // and no closed streams for it, and schedules frames from simple queues (RFC 9218).
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES.rawValue), value: 1),
        ]
        guard nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count) == 0 else {
            throw HTTP2SessionError("could not submit SETTINGS")
        }
        // A larger connection window than the 64 KiB default, so one stream cannot stall the rest.
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(settings.initialWindowSize * 4))
    }

    deinit { nghttp2_session_del(session) }

    /// Request fields that are HTTP/2's business, not the call's: nghttp2 has checked them, and turning them into
    /// strings and metadata on every call would be wasted (`te`, `user-agent`, `:scheme`, `:authority`,
    /// `content-length`, `accept-encoding`).
    private static func isUnreadRequestField(_ name: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        switch length {
        case 2: name[0] == UInt8(ascii: "t") && name[1] == UInt8(ascii: "e")
        case 7: memcmp(name, ":scheme", 7) == 0
        case 10: memcmp(name, "user-agent", 10) == 0 || memcmp(name, ":authority", 10) == 0
        case 14: memcmp(name, "content-length", 14) == 0
        case 15: memcmp(name, "accept-encoding", 15) == 0
        default: false
        }
    }

    private static func from(_ userData: UnsafeMutableRawPointer?) -> NGHTTP2Session {
        Unmanaged<NGHTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }

    private func frameReceived(_ frame: nghttp2_frame) {
        let streamID = frame.hd.stream_id
        let endStream = frame.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(frame.hd.type) {
        case NGHTTP2_HEADERS.rawValue:
            let fields = pendingHeaders
            // The next block gets an array of the same capacity at once rather than growing one field at a time.
            pendingHeaders.removeAll(keepingCapacity: true)
            let kind: HeaderKind = switch frame.headers.cat {
            case NGHTTP2_HCAT_REQUEST: .request
            case NGHTTP2_HCAT_RESPONSE: .response
            default: .trailers
            }
            events.append(.headers(streamID: streamID, fields: fields, kind: kind, endStream: endStream))
            if endStream { events.append(.endStream(streamID: streamID)) }
        case NGHTTP2_DATA.rawValue where endStream:
            events.append(.endStream(streamID: streamID))
        case NGHTTP2_GOAWAY.rawValue:
            events.append(.goAway(lastStreamID: frame.goaway.last_stream_id, errorCode: frame.goaway.error_code))
        case NGHTTP2_PING.rawValue:
            events.append(frame.hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 ? .pingAck : .ping)
        default:
            break
        }
    }

    /// Feeds bytes from the socket; returns what they contained.
    func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTP2SessionError) -> [HTTP2Event] {
        let consumed = nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        defer { events.removeAll(keepingCapacity: true) }
        guard consumed >= 0 else { throw HTTP2SessionError(code: Int32(consumed)) }
        return events
    }

    /// Hands every byte nghttp2 wants to send to `write`, in order. Each chunk is only valid during the call.
    func drainOutput(_ write: (UnsafeRawBufferPointer) -> Void) throws(HTTP2SessionError) {
        while true {
            var data: UnsafePointer<UInt8>?
            let length = nghttp2_session_mem_send(session, &data)
            guard length >= 0 else { throw HTTP2SessionError(code: Int32(length)) }
            guard length > 0, let data else { return }
            write(UnsafeRawBufferPointer(start: data, count: length))
        }
    }

    /// Tells nghttp2 that `count` bytes of DATA received on the stream were taken by the application, which
    /// lets it open the stream and connection windows again.
    func consume(streamID: Int32, _ count: Int) {
        guard count > 0 else { return }
        nghttp2_session_consume(session, streamID, count)
    }

    /// Body bytes queued on the stream that nghttp2 has not taken yet (the peer's window is closed or the
    /// socket has not caught up).
    func pendingBytes(streamID: Int32) -> Int { outbound[streamID]?.available ?? 0 }

    // MARK: - Requests (client side)

    /// Opens a request stream whose body follows through `submitMessage` and ends with `submitEndStream`.
    /// Returns the stream id, or nil when no stream can be opened (e.g. after GOAWAY).
    func submitRequest(_ headers: [(name: String, value: String)]) -> Int32? {
        var provider = Self.bodyProvider
        let streamID = withHeaderFields(headers) { fields in
            nghttp2_submit_request(session, nil, fields.baseAddress, fields.count, &provider, nil)
        }
        guard streamID > 0 else { return nil }
        outbound[streamID] = Outbound()
        return streamID
    }

    /// Ends a request body: the last DATA frame carries END_STREAM.
    func submitEndStream(streamID: Int32) {
        guard let body = outbound[streamID] else { return }
        body.end = .endStream
        resume(streamID, body)
    }

    /// Whether the peer still accepts new streams on this connection.
    var acceptsNewStreams: Bool { nghttp2_session_check_request_allowed(session) != 0 }

    // MARK: - Responses (server side)

    private static let bodyProvider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil)) { session, streamID, buffer, length, flags, _, userData in
        NGHTTP2Session.from(userData).readBody(session: session, streamID: streamID, into: buffer!, length: length, flags: flags!)
    }

    /// Response headers that open a body: DATA and trailers follow through the data provider.
    func submitResponseHeaders(streamID: Int32, _ headers: [(name: String, value: String)]) {
        outbound[streamID] = Outbound()
        var provider = Self.bodyProvider
        _ = withHeaderFields(headers) { fields in
            nghttp2_submit_response(session, streamID, fields.baseAddress, fields.count, &provider)
        }
    }

    /// A complete response in one HEADERS frame with END_STREAM: gRPC's Trailers-Only, or an HTTP error.
    func submitHeadersOnly(streamID: Int32, _ headers: [(name: String, value: String)]) {
        _ = withHeaderFields(headers) { fields in
            nghttp2_submit_response(session, streamID, fields.baseAddress, fields.count, nil)
        }
    }

    /// Queues one gRPC message, length prefix and payload, on an open request or response body.
    func submitMessage(streamID: Int32, _ message: [UInt8]) {
        guard let body = outbound[streamID] else { return }
        GRPCMessageDeframer.appendFrame(of: message, to: &body.bytes)
        resume(streamID, body)
    }

    /// Queues the trailers that end an open response (after all queued bytes).
    func submitTrailers(streamID: Int32, _ trailers: [(name: String, value: String)]) {
        guard let body = outbound[streamID] else { return }
        body.end = .trailers(trailers)
        resume(streamID, body)
    }

    func resetStream(streamID: Int32, errorCode: UInt32) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// The first GOAWAY of a graceful shutdown (last stream id 2^31-1): no new streams, please.
    func submitShutdownNotice() { nghttp2_submit_shutdown_notice(session) }

    /// A PING; its acknowledgement comes back as `.pingAck`.
    func submitPing() { nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil) }

    /// The final GOAWAY, naming the last stream that will be processed, with optional debug text (e.g.
    /// "too_many_pings").
    func submitGoAway(errorCode: UInt32 = 0, debug: String = "") {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        var bytes = Array(debug.utf8)
        bytes.withUnsafeMutableBufferPointer { data in
            _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode, data.baseAddress, data.count)
        }
    }

    private func resume(_ streamID: Int32, _ body: Outbound) {
        if body.deferred {
            body.deferred = false
            nghttp2_session_resume_data(session, streamID)
        }
    }

    /// nghttp2's data provider: copies queued bytes; defers when there are none yet; at the end, either sends
    /// the trailers (EOF without END_STREAM, then a trailer HEADERS frame that carries END_STREAM) or ends the
    /// stream on this DATA frame.
    private func readBody(
        session: OpaquePointer?,
        streamID: Int32,
        into buffer: UnsafeMutablePointer<UInt8>,
        length: Int,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let pending = outbound[streamID] else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let count = min(length, pending.available)
        if count > 0 {
            pending.bytes.withUnsafeBufferPointer { source in
                buffer.update(from: source.baseAddress! + pending.readIndex, count: count)
            }
            pending.readIndex += count
            if pending.available == 0 {
                pending.bytes.removeAll(keepingCapacity: true)
                pending.readIndex = 0
            }
        }
        if pending.available == 0, let end = pending.end {
            switch end {
            case .trailers(let trailers):
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                _ = withHeaderFields(trailers) { fields in
                    nghttp2_submit_trailer(session, streamID, fields.baseAddress, fields.count)
                }
            case .endStream:
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            }
            outbound[streamID] = nil
            return count
        }
        if count == 0 {
            pending.deferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        return count
    }
}

/// Header names and values seen recently on this connection, so that the same bytes give the same `String`
/// without being validated and copied again: a request's fields mostly repeat the previous request's
/// (`:path`, `content-type`, `te`, `user-agent`, ...). A direct-mapped table: one slot per hash of the bytes,
/// and a miss takes over the slot.
struct RecentStrings {
    private struct Entry {
        var count: Int
        /// The first and the last (up to) eight bytes: for strings of up to 16 bytes, all of them.
        var head: UInt64
        var tail: UInt64
        var string: String
    }

    private var slots = [Entry?](repeating: nil, count: 64)

    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let count = bytes.count
        let head = Self.load(bytes, from: 0)
        let tail = Self.load(bytes, from: max(count - 8, 0))
        let slot = Int(truncatingIfNeeded: (((head ^ tail.rotated(by: 29)) &+ UInt64(count)) &* 0x9E37_79B9_7F4A_7C15) >> 58)
        if let entry = slots[slot], entry.count == count, entry.head == head, entry.tail == tail,
            count <= 16 || entry.string.utf8.withContiguousStorageIfAvailable({ memcmp($0.baseAddress!, bytes.baseAddress!, count) == 0 }) == true
        {
            return entry.string
        }
        let string = String(decoding: bytes, as: UTF8.self)
        slots[slot] = Entry(count: count, head: head, tail: tail, string: string)
        return string
    }

    /// Up to eight bytes from `offset`, as a little-endian integer padded with zeros. Shorter runs are read as
    /// two overlapping loads rather than byte by byte: this runs for every header field.
    @inline(__always)
    private static func load(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int) -> UInt64 {
        let available = bytes.count - offset
        guard available > 0 else { return 0 }
        let start = UnsafeRawPointer(bytes.baseAddress! + offset)
        switch available {
        case 8...:
            return start.loadUnaligned(as: UInt64.self)
        case 4...:
            let low = UInt64(start.loadUnaligned(as: UInt32.self))
            let high = UInt64(start.loadUnaligned(fromByteOffset: available - 4, as: UInt32.self))
            return low | high << (8 * UInt64(available - 4))
        case 2...:
            let low = UInt64(start.loadUnaligned(as: UInt16.self))
            let high = UInt64(start.loadUnaligned(fromByteOffset: available - 2, as: UInt16.self))
            return low | high << (8 * UInt64(available - 2))
        default:
            return UInt64(start.load(as: UInt8.self))
        }
    }
}

extension UInt64 {
    fileprivate func rotated(by bits: UInt64) -> UInt64 { self << bits | self >> (64 - bits) }
}

/// Lays header fields out as `nghttp2_nv` for the duration of `body`; nghttp2 copies them. The layout lives
/// in temporary (usually stack) memory: this runs for every response.
private func withHeaderFields<R>(_ headers: [(name: String, value: String)], _ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> R) -> R {
    var byteCount = 1  // never empty, so there is a base address
    for (name, value) in headers { byteCount += name.utf8.count + value.utf8.count }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: byteCount) { bytes in
        withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(headers.count, 1)) { fields in
            var offset = 0
            func copy(_ string: String) -> (UnsafeMutablePointer<UInt8>, Int) {
                let start = bytes.baseAddress! + offset
                let count = UnsafeMutableBufferPointer(rebasing: bytes[offset...]).initialize(fromContentsOf: string.utf8)
                offset += count
                return (start, count)
            }
            for (index, (name, value)) in headers.enumerated() {
                let (namePointer, nameLength) = copy(name)
                let (valuePointer, valueLength) = copy(value)
                fields.initializeElement(
                    at: index,
                    to: nghttp2_nv(
                        name: namePointer, value: valuePointer, namelen: nameLength, valuelen: valueLength,
                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                    )
                )
            }
            defer { fields.baseAddress!.deinitialize(count: headers.count) }
            return body(UnsafeMutableBufferPointer(rebasing: fields[0..<headers.count]))
        }
    }
}

/// A failure reported by nghttp2.
package struct HTTP2SessionError: Error, CustomStringConvertible {
    package var description: String

    init(_ description: String) { self.description = description }

    init(code: Int32) {
        description = String(cString: nghttp2_strerror(code))
    }
}
