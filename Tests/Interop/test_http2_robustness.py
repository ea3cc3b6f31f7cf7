"""HTTP/2 robustness of the Swift interop-server (RPCHTTP2): what a client observes when peers misbehave.

Raw HTTP/2 clients (hyper-h2 over plain sockets, see h2_raw.py) send garbage prefaces, malformed gRPC
messages, oversized messages, wrong content types, unknown methods, streams that never finish, abrupt
disconnects and RST_STREAMs, and check the server answers each with the status gRPC prescribes, keeps serving
other streams and connections, and does not leak memory. One interop-server runs for the whole module. Every
socket operation and every wait has a timeout (h2_raw.DEFAULT_TIMEOUT, 10 s), so a misbehaving server fails a
test, never hangs it; failures list every frame the server sent, with timings.

The pytest process never imports grpcio (see grpc_interop_support.py); only h2 and sockets.

Run from the repository root (needs a built interop-server, e.g. `swift build --product interop-server`):
  .venv/bin/python -m pytest Tests/Interop/test_http2_robustness.py -q      (-s shows the measurements)

Environment:
  INTEROP_SERVER  path of the interop-server binary (default: <repo>/.build/debug/interop-server)
"""

from __future__ import annotations

import functools
import random
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import h2_raw
from grpc_interop_support import InteropServer, server_path
from h2_raw import INTERNAL, OK, RESOURCE_EXHAUSTED, UNIMPLEMENTED, H2Client

TIMEOUT = h2_raw.DEFAULT_TIMEOUT
MAX_REQUEST_MESSAGE = 4 * 1024 * 1024  # the server's limit for one request message
MiB = 1024 * 1024


@dataclass
class Server:
    process: InteropServer

    @property
    def address(self) -> str:
        self.check_alive()
        return self.process.address

    @property
    def pid(self) -> int:
        return self.process.process.pid

    def check_alive(self, during: str = "") -> None:
        """Fails the test if the server never started or has exited (with its stderr)."""
        if self.process.startup_error:
            pytest.fail(self.process.startup_error, pytrace=False)
        if (code := self.process.exit_code()) is not None:
            pytest.fail(f"interop-server exited with status {code}{during}\n"
                        f"--- its stderr ---\n{self.process.stderr_since(0) or '(none)'}", pytrace=False)

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError(f"no VmRSS in /proc/{self.pid}/status")

    def open_fds(self) -> int:
        return len(list(Path(f"/proc/{self.pid}/fd").iterdir()))


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """One interop-server on a free port for the module. A missing binary or a server that does not print its
    listening line within 30 s fails every test (with its stderr), never skips it: the fixture does not raise,
    the tests fail (see checks_server)."""
    process = InteropServer(server_path(), tmp_path_factory.mktemp("http2_robustness"))
    process.start()
    try:
        yield Server(process)
    finally:
        process.stop()


def checks_server(test):
    """Makes the test fail (not error) when the server is not running before it, or has exited after it."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        server: Server = kwargs["srv"]
        server.check_alive(" before this test (an earlier test killed it?)")
        try:
            test(*args, **kwargs)
        except BaseException as error:
            time.sleep(0.05)
            server.check_alive(f" during this test, which failed with: {error}")
            raise
        time.sleep(0.05)  # lets a crash this test caused show here rather than in the next test
        server.check_alive(" during this test")

    return wrapper


def expect_status(stream: h2_raw.Stream, expected, client: H2Client, what: str) -> None:
    """Fails unless the stream ended with :status 200 and a grpc-status in `expected` (an int or a tuple)."""
    allowed = expected if isinstance(expected, tuple) else (expected,)
    names = " or ".join(f"{code} ({h2_raw.STATUS_NAMES[code]})" for code in allowed)
    if stream.http_status != "200" or stream.grpc_status not in allowed:
        pytest.fail(f"{what}: expected :status 200 with grpc-status {names}, got :status {stream.http_status}, "
                    f"grpc-status {stream.grpc_status}\n{client.report()}", pytrace=False)


def fresh_empty_call(address: str, what: str) -> float:
    """EmptyCall on a new connection must return grpc-status 0; returns how long it took."""
    start = time.monotonic()
    with H2Client(address) as client:
        stream = client.call("EmptyCall", b"")
        expect_status(stream, OK, client, what)
        if stream.messages != [(0, b"")]:
            pytest.fail(f"{what}: EmptyCall returned messages {stream.messages!r}, expected one empty message\n"
                        f"{client.report()}", pytrace=False)
    return time.monotonic() - start


# ---- 1. not HTTP/2 at all ------------------------------------------------------------------------------------

GARBAGE_CLOSE_WITHIN = 5.0  # seconds
GARBAGE_SEED = 20261125


@checks_server
@pytest.mark.parametrize("garbage", [
    pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", id="http1-request"),
    pytest.param(random.Random(GARBAGE_SEED).randbytes(1024), id=f"1KiB-random-seed{GARBAGE_SEED}"),
])
def test_garbage_instead_of_preface_closes_connection(srv, garbage):
    host, port = srv.address.rsplit(":", 1)
    start = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as sock:
        sock.settimeout(TIMEOUT)
        try:
            sock.sendall(garbage)
            send_error = None
        except OSError as error:  # the server may already have closed: that is fine
            send_error = error
        received, closed, waited = h2_raw.read_until_closed(sock, GARBAGE_CLOSE_WITHIN)
    summary = (f"sent {len(garbage)} bytes of garbage{f' (send failed: {send_error!r})' if send_error else ''}; "
               f"after {time.monotonic() - start:.3f} s the connection was "
               f"{closed or f'still open ({GARBAGE_CLOSE_WITHIN} s)'}; the server sent {len(received)} bytes:\n"
               f"{h2_raw.describe_frames(received)}")
    print(summary)
    if closed is None:
        pytest.fail(f"the server did not close a connection that began with garbage: {summary}", pytrace=False)
    fresh_empty_call(srv.address, "EmptyCall on a fresh connection after the garbage one")


# ---- 2. a message cut short ----------------------------------------------------------------------------------


@checks_server
@pytest.mark.parametrize("method, payload", [
    pytest.param("EmptyCall", b"", id="EmptyCall"),
    pytest.param("UnaryCall", h2_raw.simple_request(response_size=10, body_size=100), id="UnaryCall"),
])
def test_length_prefix_larger_than_data_is_internal(srv, method, payload):
    sent = payload + b"\x00" * 3  # some bytes, but fewer than the prefix announces
    with H2Client(srv.address) as client:
        stream_id = client.start_call(method)
        client.send_message(stream_id, sent, declared_length=len(sent) + 10, end_stream=True)
        stream = client.wait_stream(stream_id)
        expect_status(stream, INTERNAL, client,
                      f"{method} with a prefix of {len(sent) + 10} bytes, {len(sent)} bytes of data, END_STREAM")


@checks_server
@pytest.mark.parametrize("method, payload", [
    # field 1 of Empty's unknown fields would be skipped; a length-delimited field longer than the message is not
    pytest.param("EmptyCall", b"\x0a\x05ab", id="EmptyCall-truncated-field"),
    pytest.param("UnaryCall", b"\xff\xff\xff\xff", id="UnaryCall-bad-tag"),
])
def test_request_that_does_not_decode_is_internal(srv, method, payload):
    """Whole gRPC messages that are not the method's protobuf message: INTERNAL, saying so, and the connection
    serves on."""
    with H2Client(srv.address) as client:
        stream = client.call(method, payload)
        expect_status(stream, INTERNAL, client, f"{method} with the undecodable message {payload!r}")
        assert "could not decode the request message" in (stream.grpc_message or ""), client.report()
        again = client.call("EmptyCall", b"")
        expect_status(again, OK, client, "EmptyCall on the same connection afterwards")


# ---- 3. a compressed message without grpc-encoding -----------------------------------------------------------


@checks_server
@pytest.mark.parametrize("method, payload", [
    pytest.param("EmptyCall", b"", id="EmptyCall"),
    pytest.param("UnaryCall", h2_raw.simple_request(response_size=10, body_size=10), id="UnaryCall"),
])
def test_compressed_flag_without_encoding_is_rejected(srv, method, payload):
    with H2Client(srv.address) as client:
        stream_id = client.start_call(method)
        client.send_message(stream_id, payload, flag=1, end_stream=True)
        stream = client.wait_stream(stream_id)
        expect_status(stream, (INTERNAL, UNIMPLEMENTED), client,
                      f"{method} with a message flagged compressed and no grpc-encoding")
        # the connection is still usable for another stream
        again = client.call("EmptyCall", b"")
        expect_status(again, OK, client, "EmptyCall on the same connection afterwards")
        assert client.goaway is None, f"the server sent GOAWAY\n{client.report()}"


# ---- 4. a message over the limit ----------------------------------------------------------------------------


@checks_server
def test_message_over_limit_is_resource_exhausted(srv):
    message = h2_raw.grpc_message(h2_raw.simple_request(response_size=10, body_size=5 * MiB))
    declared = len(message) - 5
    assert declared > MAX_REQUEST_MESSAGE
    first = 64 * 1024  # the prefix and some bytes
    with H2Client(srv.address) as client:
        stream_id = client.start_call("UnaryCall")
        client.send_data(stream_id, message[:first])
        start = time.monotonic()
        deadline = start + 3.0
        while not client.streams[stream_id].done and client.eof is None and time.monotonic() < deadline:
            client.pump(deadline - time.monotonic())
        answered_early = client.streams[stream_id].done
        if not answered_early:
            print(f"the server did not answer within 3 s of the prefix ({declared} bytes announced) and the first "
                  f"{first} bytes; sending the other {len(message) - first} bytes and END_STREAM")
            client.send_data(stream_id, message[first:], end_stream=True)
            client.wait_stream(stream_id)
        stream = client.streams[stream_id]
        print(f"UnaryCall announcing a {declared}-byte message: answered "
              f"{'after the first ' + str(first) + ' bytes' if answered_early else 'only after the whole message'}"
              f" in {time.monotonic() - start:.3f} s: {stream.describe()}")
        expect_status(stream, RESOURCE_EXHAUSTED, client,
                      f"UnaryCall whose message prefix announces {declared} bytes (limit {MAX_REQUEST_MESSAGE})")


# ---- 5. wrong content-type -----------------------------------------------------------------------------------


@checks_server
def test_text_plain_content_type_is_415(srv):
    with H2Client(srv.address) as client:
        stream = client.call("EmptyCall", b"", content_type="text/plain")
        if stream.http_status != "415":
            pytest.fail(f"content-type text/plain: expected :status 415, got :status {stream.http_status}\n"
                        f"{client.report()}", pytrace=False)


# ---- 6. unknown method ---------------------------------------------------------------------------------------


@checks_server
@pytest.mark.parametrize("path", [
    "/grpc.testing.TestService/NoSuchMethod",
    "/grpc.testing.NoSuchService/EmptyCall",
    "/NoSlashBetween",
])
def test_unknown_method_is_unimplemented(srv, path):
    with H2Client(srv.address) as client:
        stream = client.call("", b"", path=path)
        expect_status(stream, UNIMPLEMENTED, client, f"call to {path}")


# ---- 6b. a header list over the advertised limit (16 KiB) ---------------------------------------------------------


@checks_server
def test_oversized_header_list_resets_only_that_stream(srv):
    with H2Client(srv.address) as client:
        big = client.call("EmptyCall", b"", extra_headers=(("x-big", "a" * 32 * 1024),))
        assert big.reset_code is not None and big.grpc_status is None, \
            "a 32 KiB header should reset the stream\n" + client.report()
        # The connection is not affected: a normal call on it still works.
        fine = client.call("EmptyCall", b"")
        expect_status(fine, 0, client, "EmptyCall after the oversized header")


# ---- 7. a client that opens streams and goes quiet -----------------------------------------------------------

IDLE_STREAMS = 100
IDLE_METHODS = ("EmptyCall", "UnaryCall", "StreamingInputCall", "FullDuplexCall", "HalfDuplexCall")


@checks_server
def test_idle_streams_do_not_block_other_connections(srv):
    idle = H2Client(srv.address)
    try:
        idle.wait_for(lambda: idle.remote_settings_received, "the server's SETTINGS")
        for i in range(IDLE_STREAMS):
            idle.start_call(IDLE_METHODS[i % len(IDLE_METHODS)])  # HEADERS without END_STREAM, then nothing
        idle.ping()  # once the ACK is back, the server has read all 100 HEADERS
        idle.pump(0.2)
        elapsed = fresh_empty_call(srv.address, f"EmptyCall on a second connection while the first holds "
                                                f"{IDLE_STREAMS} open streams")
        answered = sum(1 for s in idle.streams.values() if s.headers is not None or s.done)
        print(f"EmptyCall on a second connection took {elapsed * 1000:.1f} ms while {IDLE_STREAMS} streams were "
              f"open on the first ({answered} of them had got HEADERS or ended)")
        assert idle.goaway is None and idle.eof is None, f"the idle connection was closed\n{idle.report()}"
    finally:
        idle.close(abrupt=True)
    time.sleep(0.2)
    srv.check_alive(" after the idle client's abrupt close")
    fresh_empty_call(srv.address, "EmptyCall after the idle client closed its socket abruptly")


# ---- 8. disconnects in the middle of a message ---------------------------------------------------------------

DISCONNECTS = 200
RSS_GROWTH_LIMIT_KIB = 30 * 1024


@checks_server
def test_disconnect_mid_message_does_not_leak(srv):
    fresh_empty_call(srv.address, "EmptyCall before the disconnects")
    message = h2_raw.grpc_message(h2_raw.streaming_input_request(32 * 1024))
    half = message[:len(message) // 2]
    rss_before, fds_before = srv.rss_kib(), srv.open_fds()
    start = time.monotonic()
    for i in range(DISCONNECTS):
        client = H2Client(srv.address)
        try:
            stream_id = client.start_call("StreamingInputCall")
            client.send_data(stream_id, half)
            client.ping()  # the server has read the HEADERS and the half message
        except Exception as error:
            client.close(abrupt=True)
            pytest.fail(f"disconnect {i + 1} of {DISCONNECTS}: {error}", pytrace=False)
        client.close(abrupt=True)
    loop = time.monotonic() - start
    time.sleep(1.0)
    srv.check_alive(f" during {DISCONNECTS} mid-message disconnects")
    fresh_empty_call(srv.address, f"EmptyCall after {DISCONNECTS} mid-message disconnects")
    rss_after, fds_after = srv.rss_kib(), srv.open_fds()
    growth = rss_after - rss_before
    print(f"{DISCONNECTS} mid-message disconnects in {loop:.2f} s; server VmRSS before {rss_before} KiB, after "
          f"{rss_after} KiB (growth {growth} KiB, limit {RSS_GROWTH_LIMIT_KIB} KiB); open fds {fds_before} -> "
          f"{fds_after}")
    assert growth <= RSS_GROWTH_LIMIT_KIB, (
        f"the server's RSS grew by {growth} KiB ({rss_before} -> {rss_after} KiB) over {DISCONNECTS} "
        f"mid-message disconnects (limit {RSS_GROWTH_LIMIT_KIB} KiB)")


# ---- 9. RST_STREAM from the client on an active call ---------------------------------------------------------


@checks_server
def test_client_reset_leaves_connection_usable(srv):
    with H2Client(srv.address) as client:
        stream_id = client.start_call("FullDuplexCall")
        # one response of 10 bytes, which the server sends only after waiting 2 s
        client.send_message(stream_id, h2_raw.streaming_output_request((10, 2_000_000)))
        deadline = time.monotonic() + 0.1
        while time.monotonic() < deadline:
            client.pump(deadline - time.monotonic())
        if client.streams[stream_id].done:
            pytest.fail(f"the FullDuplexCall ended before the client reset it\n{client.report()}", pytrace=False)
        client.reset(stream_id)
        start = time.monotonic()
        stream = client.call("EmptyCall", b"")
        expect_status(stream, OK, client, "EmptyCall on the same connection right after the RST_STREAM")
        first = time.monotonic() - start
        # after the handler's 2 s wait is over (it would write to the reset stream), still usable
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline and client.eof is None:
            client.pump(deadline - time.monotonic())
        stream = client.call("EmptyCall", b"")
        expect_status(stream, OK, client, "EmptyCall on the same connection 2.5 s after the RST_STREAM")
        print(f"EmptyCall after the RST_STREAM took {first * 1000:.1f} ms; the connection's log:\n{client.report()}")
        assert client.goaway is None, f"the server sent GOAWAY\n{client.report()}"


# ---- 10. many sequential connections -------------------------------------------------------------------------

SEQUENTIAL_CONNECTIONS = 300


@checks_server
def test_many_sequential_connections(srv):
    start = time.monotonic()
    slowest = 0.0
    for i in range(SEQUENTIAL_CONNECTIONS):
        slowest = max(slowest, fresh_empty_call(srv.address, f"connection {i + 1} of {SEQUENTIAL_CONNECTIONS}"))
    total = time.monotonic() - start
    print(f"{SEQUENTIAL_CONNECTIONS} connect/EmptyCall/close cycles in {total:.2f} s "
          f"(slowest {slowest * 1000:.1f} ms)")


# ---- 11. memory after a load ---------------------------------------------------------------------------------

LOAD_CONNECTIONS = 100
RSS_AFTER_LOAD_LIMIT_KIB = 8 * 1024  # above the resident set before the load
RSS_SETTLE_WITHIN = 5.0  # seconds after the last connection closed


def h2load(address: str, method: str, request: bytes, directory: Path, requests: int, clients: int, streams: int):
    """Drives the server with nghttp2's h2load (installed by `make deps`); fails unless every call succeeded."""
    body = directory / f"{method}.bin"
    body.write_bytes(request)
    command = ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams), "-d", str(body),
               "-H", "content-type: application/grpc", "-H", "te: trailers", f"http://{address}/grpc.testing.TestService/{method}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    summary = next((line for line in done.stdout.splitlines() if line.startswith("requests:")), done.stdout + done.stderr)
    assert done.returncode == 0 and f"{requests} succeeded" in summary, f"{' '.join(command)}: {summary}"


def test_memory_returns_to_baseline_after_load(tmp_path):
    """100 connections of unary calls, then 4 of large server-streaming responses, all closed: the server must
    give back what it grew to (mimalloc keeps freed memory in per-thread heaps until told to collect them)."""
    process = InteropServer(server_path(), tmp_path)
    process.start()
    try:
        server = Server(process)
        fresh_empty_call(server.address, "EmptyCall before the load")
        assert process.allocator.startswith("mimalloc"), f"the server's malloc is {process.allocator}, not mimalloc"
        time.sleep(0.5)
        baseline = server.rss_kib()
        unary = h2_raw.grpc_message(h2_raw.simple_request(response_size=256, body_size=256))
        h2load(server.address, "UnaryCall", unary, tmp_path, 20_000, LOAD_CONNECTIONS, 10)
        streaming = h2_raw.grpc_message(h2_raw.streaming_output_request(*[(256, 0)] * 1000))
        h2load(server.address, "StreamingOutputCall", streaming, tmp_path, 200, 4, 8)
        peak = next(int(line.split()[1]) for line in Path(f"/proc/{server.pid}/status").read_text().splitlines()
                    if line.startswith("VmHWM:"))
        deadline = time.monotonic() + RSS_SETTLE_WITHIN
        while (after := server.rss_kib()) - baseline > RSS_AFTER_LOAD_LIMIT_KIB and time.monotonic() < deadline:
            time.sleep(0.1)
        print(f"server VmRSS: {baseline} KiB before the load, peak {peak} KiB, {after} KiB after it")
        assert peak - baseline > 2 * RSS_AFTER_LOAD_LIMIT_KIB, f"the load grew the server by {peak - baseline} KiB only"
        assert after - baseline <= RSS_AFTER_LOAD_LIMIT_KIB, (
            f"{RSS_SETTLE_WITHIN} s after the load the server's VmRSS was {after} KiB: {after - baseline} KiB above "
            f"the {baseline} KiB before it (limit {RSS_AFTER_LOAD_LIMIT_KIB} KiB; peak {peak} KiB)")
        server.check_alive(" during the load")
    finally:
        process.stop()
