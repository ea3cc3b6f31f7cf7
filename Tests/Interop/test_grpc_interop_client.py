"""The gRPC interop cases the other way round: this project's client (the Swift interop-client, on the
HTTP/2 client transport) against Python grpcio's TestService server (python_test_server.py).

Run from the repository root: .venv/bin/python -m pytest Tests/Interop -q
Environment: INTEROP_CLIENT overrides the client binary (default: the debug build). A missing binary or a
server that does not start fails the tests; nothing is skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grpc_interop_support import REPO, generate_stubs

HERE = Path(__file__).resolve().parent
CASES = ["empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "empty_stream",
         "custom_metadata", "status_code_and_message", "special_status_message", "unimplemented_method",
         "unimplemented_service", "timeout_on_sleeping_server"]


def client_path() -> Path:
    return Path(os.environ.get("INTEROP_CLIENT") or REPO / ".build" / "debug" / "interop-client")


@pytest.fixture(scope="session")
def python_server(tmp_path_factory):
    """A grpcio TestService server in a child process (this process never imports grpcio)."""
    stubs = tmp_path_factory.mktemp("grpc_client_interop_stubs")
    generate_stubs(stubs)
    process = subprocess.Popen([sys.executable, str(HERE / "python_test_server.py"), "--stubs", str(stubs)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"listening on ([\d.]+):(\d+)", line)
    if not match:
        process.kill()
        pytest.fail(f"the Python test server did not start: {line!r}\n{process.stderr.read()}", pytrace=False)
    yield match.group(1), match.group(2)
    process.kill()
    process.wait()


@pytest.mark.parametrize("case", CASES)
def test_swift_client_against_grpcio_server(python_server, case):
    binary = client_path()
    if not binary.is_file():
        pytest.fail(f"interop-client not found at {binary}; build it with `swift build --product interop-client` "
                    "or set INTEROP_CLIENT", pytrace=False)
    host, port = python_server
    done = subprocess.run([str(binary), "--host", host, "--port", port, "--case", case],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{case}: {done.stdout.strip()}\n{done.stderr.strip()}"
    assert f"PASS {case}" in done.stdout


def _serve_one_malformed_response(listener) -> None:
    """Answers one gRPC call with response headers holding a `-bin` value that is not base64, then an OK status."""
    import h2.config
    import h2.connection
    import h2.events

    sock, _ = listener.accept()
    sock.settimeout(10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.StreamEnded):
                    conn.send_headers(event.stream_id, [(":status", "200"), ("content-type", "application/grpc"),
                                                        ("x-bad-bin", "!!not base64!!")])
                    conn.send_data(event.stream_id, b"\x00\x00\x00\x00\x00")  # one empty message
                    conn.send_headers(event.stream_id, [("grpc-status", "0")], end_stream=True)
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.ProtocolError):
        return
    finally:
        sock.close()


def test_malformed_response_metadata_fails_the_call_with_internal():
    import socket
    import threading

    binary = client_path()
    if not binary.is_file():
        pytest.fail(f"interop-client not found at {binary}", pytrace=False)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        server = threading.Thread(target=_serve_one_malformed_response, args=(listener,), daemon=True)
        server.start()
        port = listener.getsockname()[1]
        done = subprocess.run([str(binary), "--host", "127.0.0.1", "--port", str(port), "--case", "empty_unary"],
                              capture_output=True, text=True, timeout=60)
        server.join(timeout=10)
    assert done.returncode != 0, done.stdout
    assert "FAIL empty_unary: INTERNAL" in done.stdout and "malformed metadata" in done.stdout, done.stdout
