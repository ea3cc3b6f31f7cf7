internal import CNGHTTP2

/// What nghttp2 decoded from the peer's bytes. Callbacks only record these; the connection handles them after
/// `receive` returns, so nghttp2 is never re-entered from inside its own callbacks.
enum HTTP2Event {
    /// A request's header block (`endStream`: the request has no body).
    case request(streamID: Int32, headers: [(name: String, value: String)], endStream: Bool)
    /// Payload bytes of a DATA frame.
    case data(streamID: Int32, bytes: [UInt8])
    /// The client half-closed the stream (END_STREAM on DATA or trailers).
    case endStream(streamID: Int32)
    /// The stream is gone: finished, or reset by either side (`errorCode` 0 means NO_ERROR).
    case closed(streamID: Int32, errorCode: UInt32)
}

/// Settings the server announces and enforces.
package struct HTTP2Settings: Sendable, Hashable {
    package var maxConcurrentStreams: UInt32 = 1_000
    package var initialWindowSize: UInt32 = 1 << 20
    package var maxFrameSize: UInt32 = 1 << 14
    package var maxHeaderListSize: UInt32 = 16 * 1024

    package static let defaults = HTTP2Settings()
}

/// One server-side nghttp2 session: the only type that touches nghttp2.
///
/// Confined to its connection's event loop (it is owned by `ServerConnectionHandler` and used only from its
/// callbacks), so it needs no lock. Pointer lifetimes: `session` lives from `init` to `deinit`; nghttp2 gets
/// `self` unretained as `user_data`, which is valid because the session is deleted in `deinit` before `self`
/// goes away; header name/value bytes are copied by nghttp2 during each `submit` call (no NO_COPY flags).
final class NGHTTP2ServerSession {
    private var session: OpaquePointer?
    private var events: [HTTP2Event] = []
    private var pendingHeaders: [Int32: [(name: String, value: String)]] = [:]
    private var outbound: [Int32: Outbound] = [:]

    /// Response bytes and trailers waiting for nghttp2 to pull them through the data provider.
    private struct Outbound {
        var bytes: [UInt8] = []
        var readIndex = 0
        var trailers: [(name: String, value: String)]?
        var deferred = false
        var available: Int { bytes.count - readIndex }
    }

    init(settings: HTTP2Settings) throws(HTTP2SessionError) {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0 else { throw HTTP2SessionError("out of memory") }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            let this = NGHTTP2ServerSession.from(userData)
            this.pendingHeaders[frame!.pointee.hd.stream_id] = []
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            let this = NGHTTP2ServerSession.from(userData)
            let streamID = frame!.pointee.hd.stream_id
            let field = (
                name: String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
                value: String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            )
            this.pendingHeaders[streamID, default: []].append(field)
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            NGHTTP2ServerSession.from(userData).frameReceived(frame!.pointee)
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            let bytes = Array(UnsafeBufferPointer(start: data, count: length))
            NGHTTP2ServerSession.from(userData).events.append(.data(streamID: streamID, bytes: bytes))
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            let this = NGHTTP2ServerSession.from(userData)
            this.outbound[streamID] = nil
            this.pendingHeaders[streamID] = nil
            this.events.append(.closed(streamID: streamID, errorCode: errorCode))
            return 0
        }
        let userData = Unmanaged.passUnretained(self).toOpaque()
        guard nghttp2_session_server_new(&session, callbacks, userData) == 0 else {
            throw HTTP2SessionError("could not create the nghttp2 session")
        }
        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialWindowSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: settings.maxFrameSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: settings.maxHeaderListSize),
        ]
        guard nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count) == 0 else {
            throw HTTP2SessionError("could not submit SETTINGS")
        }
        // A larger connection window than the 64 KiB default, so one stream cannot stall the rest.
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(settings.initialWindowSize * 4))
    }

    deinit { nghttp2_session_del(session) }

    private static func from(_ userData: UnsafeMutableRawPointer?) -> NGHTTP2ServerSession {
        Unmanaged<NGHTTP2ServerSession>.fromOpaque(userData!).takeUnretainedValue()
    }

    private func frameReceived(_ frame: nghttp2_frame) {
        let streamID = frame.hd.stream_id
        let endStream = frame.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(frame.hd.type) {
        case NGHTTP2_HEADERS.rawValue:
            let headers = pendingHeaders.removeValue(forKey: streamID) ?? []
            if frame.headers.cat == NGHTTP2_HCAT_REQUEST {
                events.append(.request(streamID: streamID, headers: headers, endStream: endStream))
            } else if endStream {
                events.append(.endStream(streamID: streamID))  // request trailers: gRPC has none, only the end
            }
        case NGHTTP2_DATA.rawValue where endStream:
            events.append(.endStream(streamID: streamID))
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

    /// True while nghttp2 still has work: open streams, or frames to read or write.
    var isActive: Bool { nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0 }

    // MARK: - Responses

    /// Response headers that open a body: DATA and trailers follow through the data provider.
    func submitResponseHeaders(streamID: Int32, _ headers: [(name: String, value: String)]) {
        outbound[streamID] = Outbound()
        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil)) { session, streamID, buffer, length, flags, _, userData in
            NGHTTP2ServerSession.from(userData).readResponse(session: session, streamID: streamID, into: buffer!, length: length, flags: flags!)
        }
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

    /// Queues body bytes of an open response.
    func submitData(streamID: Int32, _ bytes: [UInt8]) {
        guard outbound[streamID] != nil else { return }
        outbound[streamID]!.bytes.append(contentsOf: bytes)
        resume(streamID)
    }

    /// Queues the trailers that end an open response (after all queued bytes).
    func submitTrailers(streamID: Int32, _ trailers: [(name: String, value: String)]) {
        guard outbound[streamID] != nil else { return }
        outbound[streamID]!.trailers = trailers
        resume(streamID)
    }

    func resetStream(streamID: Int32, errorCode: UInt32) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// The first GOAWAY of a graceful shutdown (last stream id 2^31-1): no new streams, please.
    func submitShutdownNotice() { nghttp2_submit_shutdown_notice(session) }

    /// The final GOAWAY, naming the last stream that will be processed.
    func submitGoAway(errorCode: UInt32 = 0) {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode, nil, 0)
    }

    private func resume(_ streamID: Int32) {
        if outbound[streamID]?.deferred == true {
            outbound[streamID]!.deferred = false
            nghttp2_session_resume_data(session, streamID)
        }
    }

    /// nghttp2's data provider: copies queued bytes; defers when there are none yet; at the end, sends the
    /// trailers (EOF without END_STREAM, then a trailer HEADERS frame that carries END_STREAM).
    private func readResponse(
        session: OpaquePointer?,
        streamID: Int32,
        into buffer: UnsafeMutablePointer<UInt8>,
        length: Int,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard var pending = outbound[streamID] else {
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
        if pending.available == 0, let trailers = pending.trailers {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
            _ = withHeaderFields(trailers) { fields in
                nghttp2_submit_trailer(session, streamID, fields.baseAddress, fields.count)
            }
            outbound[streamID] = nil
            return count
        }
        if count == 0 {
            pending.deferred = true
            outbound[streamID] = pending
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        outbound[streamID] = pending
        return count
    }
}

/// Lays header fields out as `nghttp2_nv` for the duration of `body`; nghttp2 copies them.
private func withHeaderFields<R>(_ headers: [(name: String, value: String)], _ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> R) -> R {
    var storage: [UInt8] = []
    var offsets: [(name: Range<Int>, value: Range<Int>)] = []
    for (name, value) in headers {
        let nameStart = storage.count
        storage.append(contentsOf: name.utf8)
        let valueStart = storage.count
        storage.append(contentsOf: value.utf8)
        offsets.append((nameStart..<valueStart, valueStart..<storage.count))
    }
    storage.append(0)  // never empty, so baseAddress exists
    return storage.withUnsafeMutableBufferPointer { bytes in
        var fields = offsets.map { offset in
            nghttp2_nv(
                name: bytes.baseAddress! + offset.name.lowerBound,
                value: bytes.baseAddress! + offset.value.lowerBound,
                namelen: offset.name.count,
                valuelen: offset.value.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
            )
        }
        return fields.withUnsafeMutableBufferPointer { body($0) }
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
