"""Connection management of the server over real sockets: idle timeout and ping-strike policing (GOAWAY
ENHANCE_YOUR_CALM "too_many_pings"), against an interop-server started with short limits.

Run from the repository root: .venv/bin/python -m pytest Tests/Interop -q
"""

from __future__ import annotations

import time

import h2.errors
import pytest

from grpc_interop_support import InteropServer, server_path
from h2_raw import H2Client, ServerClosed, streaming_output_request

IDLE_TIMEOUT_MS = 500


@pytest.fixture(scope="module")
def address(tmp_path_factory):
    server = InteropServer(server_path(), tmp_path_factory.mktemp("connection_policy"),
                           extra_args=("--idle-timeout-ms", str(IDLE_TIMEOUT_MS), "--min-ping-interval-ms", "60000",
                                       "--max-ping-strikes", "2"))
    server.start()
    if server.startup_error:
        pytest.fail(server.startup_error, pytrace=False)
    yield server.address
    server.stop()


def wait_for_goaway(client: H2Client, within: float) -> float:
    start = time.monotonic()
    try:
        client.wait_for(lambda: client.goaway is not None, "a GOAWAY", timeout=within)
    except ServerClosed:
        pass
    assert client.goaway is not None, "the server closed without a GOAWAY\n" + client.report()
    return time.monotonic() - start


def test_idle_connection_is_closed_with_goaway(address):
    with H2Client(address) as client:
        waited = wait_for_goaway(client, within=5)
        assert client.goaway.error_code == 0, client.report()
        assert client.goaway.additional_data == b"idle", client.report()
        # Not before the timeout: the connection lived at least about as long as the limit.
        assert waited >= IDLE_TIMEOUT_MS / 1000 * 0.8, f"closed after {waited:.2f} s"
        client.wait_for(lambda: client.eof is not None, "the server closing the socket", timeout=5)


def test_a_call_in_progress_keeps_the_connection_open(address):
    with H2Client(address) as client:
        # One response after 1.5 s: three idle timeouts long, but the stream is open the whole time.
        stream_id = client.start_call("FullDuplexCall")
        client.send_message(stream_id, streaming_output_request((10, 1_500_000)), end_stream=True)
        client.wait_for(lambda: client.streams[stream_id].done, "the call to finish", timeout=10)
        assert client.streams[stream_id].grpc_status == 0, client.report()
        assert client.goaway is None, client.report()


def test_too_many_pings_without_calls_get_enhance_your_calm(address):
    with H2Client(address) as client:
        client.ping()  # the first sets the clock
        client.ping()  # strike 1
        client.ping()  # strike 2
        try:
            client.ping()  # strike 3: over the limit
        except ServerClosed:
            pass
        wait_for_goaway(client, within=5)
        assert client.goaway.error_code == h2.errors.ErrorCodes.ENHANCE_YOUR_CALM, client.report()
        assert client.goaway.additional_data == b"too_many_pings", client.report()
