"""A raw HTTP/2 gRPC client (hyper-h2 over a plain socket) for test_http2_robustness.py.

It sends exactly the frames a test asks for, including malformed gRPC messages, and records everything the
server sends back (with the time it arrived), so a failing test can say precisely what the server did.
Every socket operation has a timeout (DEFAULT_TIMEOUT unless told otherwise): nothing here can hang.

Never imports grpcio (see grpc_interop_support.py for why the pytest process must not).
"""

from __future__ import annotations

import socket
import struct
import time
import urllib.parse
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import hyperframe.frame

DEFAULT_TIMEOUT = 10.0  # seconds, for every socket operation and every wait
SERVICE = "/grpc.testing.TestService/"

# grpc-status codes the tests look at
OK, CANCELLED, UNKNOWN, RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL = 0, 1, 2, 8, 12, 13
STATUS_NAMES = {0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED",
                5: "NOT_FOUND", 6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED",
                9: "FAILED_PRECONDITION", 10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL",
                14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED"}


# ---- protobuf and gRPC framing, by hand ----------------------------------------------------------------------


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def pb_varint(field_number: int, value: int) -> bytes:
    return varint(field_number << 3) + varint(value)


def pb_bytes(field_number: int, value: bytes) -> bytes:
    return varint(field_number << 3 | 2) + varint(len(value)) + value


def simple_request(response_size: int = 0, body_size: int = 0) -> bytes:
    """grpc.testing.SimpleRequest { response_size = 2; payload = 3 { body = 2 } }"""
    out = pb_varint(2, response_size) if response_size else b""
    if body_size:
        out += pb_bytes(3, pb_bytes(2, bytes(body_size)))
    return out


def streaming_input_request(body_size: int) -> bytes:
    """grpc.testing.StreamingInputCallRequest { payload = 1 { body = 2 } }"""
    return pb_bytes(1, pb_bytes(2, bytes(body_size)))


def streaming_output_request(*responses: tuple[int, int]) -> bytes:
    """grpc.testing.StreamingOutputCallRequest { response_parameters = 2 { size = 1; interval_us = 2 } }, one
    ResponseParameters per (size, interval_us)."""
    out = b""
    for size, interval_us in responses:
        params = (pb_varint(1, size) if size else b"") + (pb_varint(2, interval_us) if interval_us else b"")
        out += pb_bytes(2, params)
    return out


def grpc_message(payload: bytes, *, flag: int = 0, declared_length: int | None = None) -> bytes:
    """One length-prefixed gRPC message: flag byte, 4-byte big-endian length (the payload's unless
    declared_length says otherwise), payload."""
    length = len(payload) if declared_length is None else declared_length
    return struct.pack(">BI", flag, length) + payload


def parse_messages(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The (flag, payload) messages in a stream's DATA, and whatever trails the last whole message."""
    messages, i = [], 0
    while len(data) - i >= 5:
        flag, length = struct.unpack_from(">BI", data, i)
        if len(data) - i - 5 < length:
            break
        messages.append((flag, bytes(data[i + 5:i + 5 + length])))
        i += 5 + length
    return messages, bytes(data[i:])


# ---- what a stream got ---------------------------------------------------------------------------------------


@dataclass
class Stream:
    stream_id: int
    path: str
    started: float
    headers: list[tuple[str, str]] | None = None
    data: bytearray = field(default_factory=bytearray)
    trailers: list[tuple[str, str]] | None = None
    ended_at: float | None = None  # END_STREAM received
    reset_code: int | None = None  # RST_STREAM received (or sent by us: see reset_by_client)
    reset_by_client: bool = False

    @property
    def done(self) -> bool:
        return self.ended_at is not None or self.reset_code is not None

    @property
    def http_status(self) -> str | None:
        return _get(self.headers, ":status")

    @property
    def trailers_only(self) -> bool:
        return self.trailers is None and self.ended_at is not None and _get(self.headers, "grpc-status") is not None

    def _status_block(self):
        return self.trailers if self.trailers is not None else self.headers

    @property
    def grpc_status(self) -> int | None:
        value = _get(self._status_block(), "grpc-status")
        return None if value is None else int(value)

    @property
    def grpc_message(self) -> str | None:
        value = _get(self._status_block(), "grpc-message")
        return None if value is None else urllib.parse.unquote(value)

    @property
    def messages(self) -> list[tuple[int, bytes]]:
        return parse_messages(self.data)[0]

    def describe(self) -> str:
        status = self.grpc_status
        parts = [f"stream {self.stream_id} {self.path}: headers={self.headers}"]
        parts.append(f"data={len(self.data)} bytes ({len(self.messages)} whole messages)")
        parts.append(f"trailers={self.trailers}")
        if status is not None:
            parts.append(f"grpc-status={status} ({STATUS_NAMES.get(status, '?')}), "
                         f"grpc-message={self.grpc_message!r}{' (Trailers-Only)' if self.trailers_only else ''}")
        if self.ended_at is not None:
            parts.append(f"ended after {self.ended_at - self.started:.3f} s")
        if self.reset_code is not None:
            who = "by the client" if self.reset_by_client else "by the server"
            parts.append(f"reset {who} with {_error_name(self.reset_code)}")
        if not self.done:
            parts.append("NOT ended")
        return "; ".join(parts)


def _get(headers, name):
    if headers is None:
        return None
    return next((value for key, value in headers if key == name), None)


def _error_name(code: int) -> str:
    try:
        return f"{h2.errors.ErrorCodes(code).name} ({code})"
    except ValueError:
        return f"error code {code}"


class ServerClosed(Exception):
    pass


# ---- the client ----------------------------------------------------------------------------------------------


class H2Client:
    """One HTTP/2 connection (h2c, prior knowledge) to host:port. `log` lists every event the server caused,
    with its time since the connection was opened; failures include it."""

    def __init__(self, address: str, *, timeout: float = DEFAULT_TIMEOUT):
        host, port = address.rsplit(":", 1)
        self.address = address
        self.timeout = timeout
        self.t0 = time.monotonic()
        self.log: list[str] = []
        self.streams: dict[int, Stream] = {}
        self.goaway: h2.events.ConnectionTerminated | None = None
        self.eof: str | None = None  # how the server closed the connection, once it has
        self.pings_acked: set[bytes] = set()
        self.remote_settings_received = False
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.flush()

    # -- sending --

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def start_call(self, method: str, *, path: str | None = None, content_type: str = "application/grpc",
                   extra_headers: tuple[tuple[str, str], ...] = (), end_stream: bool = False) -> int:
        """HEADERS for a gRPC call of TestService/<method> (or `path`); returns the stream id."""
        path = path or SERVICE + method
        stream_id = self.conn.get_next_available_stream_id()
        headers = [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", self.address),
                   ("content-type", content_type), ("te", "trailers"), *extra_headers]
        self.conn.send_headers(stream_id, headers, end_stream=end_stream)
        self.streams[stream_id] = Stream(stream_id, path, time.monotonic())
        self.flush()
        return stream_id

    def send_data(self, stream_id: int, data: bytes, *, end_stream: bool = False) -> None:
        """Sends data in frames the peer's windows and frame size allow, reading the server's frames while it
        waits for window (so WINDOW_UPDATEs arrive). Stops quietly if the stream ends or is reset meanwhile
        (the server may answer before it has everything); self.streams says what happened."""
        view = memoryview(data)
        deadline = time.monotonic() + self.timeout
        while True:
            if self.streams[stream_id].done:
                return
            if not view:
                if end_stream:
                    self.conn.end_stream(stream_id)
                    self.flush()
                return
            allowed = min(self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size,
                          len(view))
            if allowed > 0:
                last = allowed == len(view)
                self.conn.send_data(stream_id, bytes(view[:allowed]), end_stream=end_stream and last)
                self.flush()
                view = view[allowed:]
                if last:
                    return
                deadline = time.monotonic() + self.timeout
                continue
            if time.monotonic() > deadline:
                raise AssertionError(f"no flow-control window for stream {stream_id} within {self.timeout} s "
                                     f"({len(view)} bytes left to send)\n" + self.report())
            self.pump(min(0.5, max(0.01, deadline - time.monotonic())))
            if self.eof:
                raise ServerClosed(f"the server closed the connection ({self.eof}) while stream {stream_id} "
                                   f"still had {len(view)} bytes to send\n" + self.report())

    def send_message(self, stream_id: int, payload: bytes, *, flag: int = 0, declared_length: int | None = None,
                     end_stream: bool = False) -> None:
        self.send_data(stream_id, grpc_message(payload, flag=flag, declared_length=declared_length),
                       end_stream=end_stream)

    def end_stream(self, stream_id: int) -> None:
        self.conn.end_stream(stream_id)
        self.flush()

    def reset(self, stream_id: int, code: int = h2.errors.ErrorCodes.CANCEL) -> None:
        self.conn.reset_stream(stream_id, code)
        self.flush()
        stream = self.streams[stream_id]
        stream.reset_code, stream.reset_by_client = code, True
        self._note(f"client sent RST_STREAM({_error_name(code)}) on stream {stream_id}")

    def ping(self) -> None:
        """PING and wait for its ACK: once it is back, the server has read everything sent before it."""
        opaque = struct.pack(">d", time.monotonic())
        self.conn.ping(opaque)
        self.flush()
        self.wait_for(lambda: opaque in self.pings_acked, "the PING ACK")

    def close(self, *, abrupt: bool = False) -> None:
        """Closes the socket; abrupt: SO_LINGER 0, so the kernel sends a TCP RST instead of a FIN and no GOAWAY
        goes out."""
        try:
            if abrupt:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- receiving --

    def pump(self, timeout: float) -> bool:
        """Reads what arrives within timeout and processes it; False when nothing did (or the connection is
        closed)."""
        if self.eof:
            return False
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return False
        except ConnectionResetError:
            self._set_eof("connection reset (TCP RST)")
            return False
        finally:
            self.sock.settimeout(self.timeout)
        if not data:
            self._set_eof("EOF (TCP FIN)")
            return False
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as error:
            self._note(f"PROTOCOL ERROR in the server's frames: {error!r}")
            self.flush()
            raise AssertionError(f"the server sent invalid HTTP/2: {error!r}\n" + self.report()) from error
        for event in events:
            self._on_event(event)
        try:
            self.flush()
        except OSError as error:
            self._note(f"sending failed: {error!r}")
        return True

    def wait_for(self, predicate, what: str, timeout: float | None = None) -> float:
        """Pumps until predicate() holds; returns the seconds waited. Fails (AssertionError with the whole
        log) on timeout, or when the server closes the connection first."""
        timeout = self.timeout if timeout is None else timeout
        start = time.monotonic()
        deadline = start + timeout
        while not predicate():
            if self.eof:
                raise ServerClosed(f"the server closed the connection ({self.eof}) before {what}\n" + self.report())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {what} within {timeout} s\n" + self.report())
            self.pump(remaining)
        return time.monotonic() - start

    def wait_stream(self, stream_id: int, timeout: float | None = None) -> Stream:
        self.wait_for(lambda: self.streams[stream_id].done, f"end of stream {stream_id}", timeout)
        return self.streams[stream_id]

    def call(self, method: str, payload: bytes | None, *, timeout: float | None = None, **kwargs) -> Stream:
        """A whole unary call: HEADERS, the message (none if payload is None), END_STREAM, then waits for the
        stream's end."""
        stream_id = self.start_call(method, **kwargs, end_stream=payload is None)
        if payload is not None:
            self.send_message(stream_id, payload, end_stream=True)
        return self.wait_stream(stream_id, timeout)

    def _on_event(self, event) -> None:
        E = h2.events
        stream = self.streams.get(getattr(event, "stream_id", None) or -1)
        if isinstance(event, E.ResponseReceived):
            stream.headers = list(event.headers)
            self._note(f"HEADERS on stream {event.stream_id}: {stream.headers}")
        elif isinstance(event, E.DataReceived):
            if stream is not None:
                stream.data += event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            self._note(f"DATA on stream {event.stream_id}: {len(event.data)} bytes")
        elif isinstance(event, E.TrailersReceived):
            stream.trailers = list(event.headers)
            self._note(f"trailers on stream {event.stream_id}: {stream.trailers}")
        elif isinstance(event, E.StreamEnded):
            if stream is not None:
                stream.ended_at = time.monotonic()
            self._note(f"END_STREAM on stream {event.stream_id}")
        elif isinstance(event, E.StreamReset):
            if stream is not None and not stream.reset_by_client:
                stream.reset_code = event.error_code
            self._note(f"RST_STREAM({_error_name(event.error_code)}) on stream {event.stream_id}"
                       f"{'' if event.remote_reset else ' (sent by h2 itself)'}")
        elif isinstance(event, E.ConnectionTerminated):
            self.goaway = event
            self._note(f"GOAWAY({_error_name(event.error_code)}, last stream {event.last_stream_id}, "
                       f"debug data {event.additional_data!r})")
        elif isinstance(event, E.RemoteSettingsChanged):
            self.remote_settings_received = True
            settings = {getattr(k, "name", k): v.new_value for k, v in event.changed_settings.items()}
            self._note(f"SETTINGS {settings}")
        elif isinstance(event, E.PingAckReceived):
            self.pings_acked.add(event.ping_data)
            self._note("PING ACK")
        elif isinstance(event, E.InformationalResponseReceived):
            self._note(f"1xx HEADERS on stream {event.stream_id}: {event.headers}")
        elif isinstance(event, (E.SettingsAcknowledged, E.WindowUpdated, E.PingReceived)):
            pass  # routine; not worth a line
        else:
            self._note(repr(event))

    def _set_eof(self, how: str) -> None:
        self.eof = how
        self._note(f"server closed the connection: {how}")

    def _note(self, line: str) -> None:
        self.log.append(f"  +{time.monotonic() - self.t0:7.3f} s  {line}")

    def report(self) -> str:
        lines = [f"connection to {self.address}, what the server sent (times since connect):", *self.log]
        lines += [s.describe() for s in self.streams.values()]
        return "\n".join(lines)


# ---- raw bytes (no HTTP/2 on our side) -----------------------------------------------------------------------


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, str | None, float]:
    """Reads until the server closes the connection or timeout; returns (what was received, how it closed or
    None if it did not, seconds waited)."""
    start = time.monotonic()
    deadline = start + timeout
    received = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return bytes(received), None, time.monotonic() - start
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return bytes(received), "connection reset (TCP RST)", time.monotonic() - start
        if not chunk:
            return bytes(received), "EOF (TCP FIN)", time.monotonic() - start
        received += chunk


def describe_frames(data: bytes) -> str:
    """The HTTP/2 frames in data (as the server sent them), one per line; what does not parse is shown raw."""
    if not data:
        return "  (nothing)"
    lines, i = [], 0
    while len(data) - i >= 9:
        try:
            frame, length = hyperframe.frame.Frame.parse_frame_header(memoryview(data[i:i + 9]))
        except Exception:  # noqa: BLE001 - not HTTP/2
            break
        if len(data) - i - 9 < length:
            break
        try:
            frame.parse_body(memoryview(data[i + 9:i + 9 + length]))
            text = repr(frame)
            if isinstance(frame, hyperframe.frame.GoAwayFrame):
                text += f" [{_error_name(frame.error_code)}]"
        except Exception as error:  # noqa: BLE001
            text = f"{type(frame).__name__} with an unparsable body: {error!r}"
        lines.append("  " + text)
        i += 9 + length
    if i < len(data):
        lines.append(f"  {len(data) - i} bytes that are not HTTP/2 frames: {data[i:i + 200]!r}")
    return "\n".join(lines)
