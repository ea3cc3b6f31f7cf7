"""gRPC interop tests: grpcio (the reference client) against the Swift interop-server (RPCHTTP2 transport).

The cases follow grpc/grpc doc/interop-test-descriptions.md: same request shapes, same assertions. Each
`case_<name>(c)` below is the client side of one case; it runs in a grpcio child process (see
grpc_interop_support.py for why) and `test_<name>` runs it there, against one interop-server started for the
whole session. Every call has a deadline (CALL_TIMEOUT, 10 s), so a misbehaving server fails a test, never
hangs it.

Run from the repository root (needs a built interop-server, e.g. `swift build --product interop-server`):
  .venv/bin/python -m pytest Tests/Interop/test_grpc_interop.py -q

Environment:
  INTEROP_SERVER  path of the interop-server binary (default: <repo>/.build/debug/interop-server)
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grpc_interop_support import Interop, InteropServer, RequestQueue, expect, expect_zeros, generate_stubs, server_path


@pytest.fixture(scope="session")
def interop(tmp_path_factory):
    """One interop-server on a free port for the session, and the grpcio stubs of grpc/testing/*.proto.

    A server that is missing or does not start fails every test using it (with its stderr), never skips it."""
    work = tmp_path_factory.mktemp("grpc_interop")
    server = InteropServer(server_path(), work)
    stubs = work / "stubs"
    stubs.mkdir()
    try:
        generate_stubs(stubs)
    except Exception as error:  # noqa: BLE001 - reported by every test
        yield Interop(server, None, Path(__file__), setup_error=f"cannot generate the grpc.testing stubs: {error}")
        return
    server.start()
    try:
        yield Interop(server, stubs, Path(__file__))
    finally:
        server.stop()


# ---- the interop cases ---------------------------------------------------------------------------------------

LARGE_REQUEST, LARGE_RESPONSE = 271828, 314159
CLIENT_STREAMING_SIZES = (27182, 8, 1828, 45904)  # aggregated: 74922
SERVER_STREAMING_SIZES = (31415, 9, 2653, 58979)
PING_PONG_SIZES = ((31415, 27182), (9, 8), (2653, 1828), (58979, 45904))  # (response size, request payload size)
ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")
STATUS_MESSAGE = "test status message"
SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"


def case_empty_unary(c):
    response = c.stub.EmptyCall(c.empty_pb2.Empty(), timeout=c.timeout)
    expect(type(response), c.empty_pb2.Empty, "EmptyCall response type")
    expect(response.ByteSize(), 0, "EmptyCall response size")


def test_empty_unary(interop):
    interop.run("empty_unary")


def large_unary_request(c):
    m = c.messages_pb2
    return m.SimpleRequest(response_type=m.COMPRESSABLE, response_size=LARGE_RESPONSE,
                           payload=c.payload(LARGE_REQUEST))


def case_large_unary(c):
    response = c.stub.UnaryCall(large_unary_request(c), timeout=c.timeout)
    expect_zeros(response.payload.body, LARGE_RESPONSE, "UnaryCall response")


def test_large_unary(interop):
    interop.run("large_unary")


def case_client_streaming(c):
    m = c.messages_pb2
    requests = [m.StreamingInputCallRequest(payload=c.payload(size)) for size in CLIENT_STREAMING_SIZES]
    response = c.stub.StreamingInputCall(iter(requests), timeout=c.timeout)
    expect(response.aggregated_payload_size, 74922, "StreamingInputCall aggregated_payload_size")


def test_client_streaming(interop):
    interop.run("client_streaming")


def case_server_streaming(c):
    m = c.messages_pb2
    request = m.StreamingOutputCallRequest(
        response_type=m.COMPRESSABLE, response_parameters=[m.ResponseParameters(size=s) for s in SERVER_STREAMING_SIZES])
    call = c.stub.StreamingOutputCall(request, timeout=c.timeout)
    responses = list(call)
    expect(len(responses), len(SERVER_STREAMING_SIZES), "number of StreamingOutputCall responses")
    for index, (response, size) in enumerate(zip(responses, SERVER_STREAMING_SIZES)):
        expect_zeros(response.payload.body, size, f"StreamingOutputCall response {index}")
    expect(call.code(), c.grpc.StatusCode.OK, "StreamingOutputCall status")


def test_server_streaming(interop):
    interop.run("server_streaming")


def case_ping_pong(c):
    m = c.messages_pb2
    requests = RequestQueue()
    call = c.stub.FullDuplexCall(requests, timeout=c.timeout)
    try:
        for index, (response_size, payload_size) in enumerate(PING_PONG_SIZES):
            # The next request goes out only once the previous response has arrived.
            requests.send(m.StreamingOutputCallRequest(
                response_type=m.COMPRESSABLE, response_parameters=[m.ResponseParameters(size=response_size)],
                payload=c.payload(payload_size)))
            response = next(call)
            expect_zeros(response.payload.body, response_size, f"FullDuplexCall response {index}")
        requests.close()
        rest = list(call)
        expect(len(rest), 0, "number of FullDuplexCall responses after the half-close")
        expect(call.code(), c.grpc.StatusCode.OK, "FullDuplexCall status")
    finally:
        requests.close()
        call.cancel()


def test_ping_pong(interop):
    interop.run("ping_pong")


def case_empty_stream(c):
    call = c.stub.FullDuplexCall(iter([]), timeout=c.timeout)
    responses = list(call)
    expect(responses, [], "FullDuplexCall responses to an empty request stream")
    expect(call.code(), c.grpc.StatusCode.OK, "FullDuplexCall status")


def test_empty_stream(interop):
    interop.run("empty_stream")


def check_echoed_metadata(call, rpc):
    initial = list(call.initial_metadata())
    trailing = list(call.trailing_metadata())
    expect([v for k, v in initial if k == ECHO_INITIAL[0]], [ECHO_INITIAL[1]],
           f"{rpc} initial metadata {ECHO_INITIAL[0]} (all initial metadata: {initial})")
    expect([v for k, v in trailing if k == ECHO_TRAILING[0]], [ECHO_TRAILING[1]],
           f"{rpc} trailing metadata {ECHO_TRAILING[0]} (all trailing metadata: {trailing})")


def case_custom_metadata(c):
    m = c.messages_pb2
    metadata = (ECHO_INITIAL, ECHO_TRAILING)

    response, call = c.stub.UnaryCall.with_call(large_unary_request(c), metadata=metadata, timeout=c.timeout)
    expect_zeros(response.payload.body, LARGE_RESPONSE, "UnaryCall response")
    check_echoed_metadata(call, "UnaryCall")

    request = m.StreamingOutputCallRequest(
        response_type=m.COMPRESSABLE, response_parameters=[m.ResponseParameters(size=LARGE_RESPONSE)],
        payload=c.payload(LARGE_REQUEST))
    call = c.stub.FullDuplexCall(iter([request]), metadata=metadata, timeout=c.timeout)
    responses = list(call)
    expect(len(responses), 1, "number of FullDuplexCall responses")
    expect_zeros(responses[0].payload.body, LARGE_RESPONSE, "FullDuplexCall response")
    check_echoed_metadata(call, "FullDuplexCall")


def test_custom_metadata(interop):
    interop.run("custom_metadata")


def check_status_code_and_message(c, message: str):
    m = c.messages_pb2
    status = m.EchoStatus(code=2, message=message)

    error = c.expect_rpc_error("UnaryCall with response_status", lambda: c.stub.UnaryCall(
        m.SimpleRequest(response_status=status), timeout=c.timeout))
    expect(error.code(), c.grpc.StatusCode.UNKNOWN, "UnaryCall status code")
    expect(error.details(), message, "UnaryCall status message")

    call = c.stub.FullDuplexCall(iter([m.StreamingOutputCallRequest(response_status=status)]), timeout=c.timeout)
    error = c.expect_rpc_error("FullDuplexCall with response_status", lambda: list(call))
    expect(error.code(), c.grpc.StatusCode.UNKNOWN, "FullDuplexCall status code")
    expect(error.details(), message, "FullDuplexCall status message")


def case_status_code_and_message(c):
    check_status_code_and_message(c, STATUS_MESSAGE)


def test_status_code_and_message(interop):
    interop.run("status_code_and_message")


def case_special_status_message(c):
    m = c.messages_pb2
    request = m.SimpleRequest(response_status=m.EchoStatus(code=2, message=SPECIAL_STATUS_MESSAGE))
    error = c.expect_rpc_error("UnaryCall with response_status",
                               lambda: c.stub.UnaryCall(request, timeout=c.timeout))
    expect(error.code(), c.grpc.StatusCode.UNKNOWN, "UnaryCall status code")
    expect(error.details(), SPECIAL_STATUS_MESSAGE, "UnaryCall status message")


def test_special_status_message(interop):
    interop.run("special_status_message")


def case_unimplemented_method(c):
    error = c.expect_rpc_error("TestService/UnimplementedCall",
                               lambda: c.stub.UnimplementedCall(c.empty_pb2.Empty(), timeout=c.timeout))
    expect(error.code(), c.grpc.StatusCode.UNIMPLEMENTED, f"status code (details: {error.details()!r})")


def test_unimplemented_method(interop):
    interop.run("unimplemented_method")


def case_unimplemented_service(c):
    stub = c.test_pb2_grpc.UnimplementedServiceStub(c.channel)
    error = c.expect_rpc_error("UnimplementedService/UnimplementedCall",
                               lambda: stub.UnimplementedCall(c.empty_pb2.Empty(), timeout=c.timeout))
    expect(error.code(), c.grpc.StatusCode.UNIMPLEMENTED, f"status code (details: {error.details()!r})")


def test_unimplemented_service(interop):
    interop.run("unimplemented_service")


def case_cancel_after_begin(c):
    requests = RequestQueue()  # never fed: the call is cancelled before any request is sent
    future = c.stub.StreamingInputCall.future(requests, timeout=c.timeout)
    try:
        expect(future.cancel(), True, "cancel() of the running StreamingInputCall")
        expect(future.cancelled(), True, "StreamingInputCall cancelled()")
        expect(future.code(), c.grpc.StatusCode.CANCELLED, "StreamingInputCall status")
    finally:
        requests.close()


def test_cancel_after_begin(interop):
    interop.run("cancel_after_begin")


def case_cancel_after_first_response(c):
    m = c.messages_pb2
    requests = RequestQueue()
    call = c.stub.FullDuplexCall(requests, timeout=c.timeout)
    try:
        requests.send(m.StreamingOutputCallRequest(
            response_type=m.COMPRESSABLE, response_parameters=[m.ResponseParameters(size=31415)],
            payload=c.payload(27182)))
        response = next(call)
        expect_zeros(response.payload.body, 31415, "first FullDuplexCall response")
        expect(call.cancel(), True, "cancel() of the running FullDuplexCall")
        expect(call.code(), c.grpc.StatusCode.CANCELLED, "FullDuplexCall status")
        error = c.expect_rpc_error("reading the cancelled FullDuplexCall", lambda: next(call))
        expect(error.code(), c.grpc.StatusCode.CANCELLED, "status of the read after the cancel")
    finally:
        requests.close()


def test_cancel_after_first_response(interop):
    interop.run("cancel_after_first_response")


def case_timeout_on_sleeping_server(c):
    m = c.messages_pb2
    requests = RequestQueue()
    call = c.stub.FullDuplexCall(requests, timeout=0.001)
    try:
        requests.send(m.StreamingOutputCallRequest(
            response_type=m.COMPRESSABLE, response_parameters=[m.ResponseParameters(size=31415)],
            payload=c.payload(27182)))
        # The stream is never half-closed, so the call cannot end before its deadline. (Sending itself may
        # already fail with DEADLINE_EXCEEDED; the spec allows that.)
        error = c.expect_rpc_error("FullDuplexCall with a 1 ms deadline", lambda: list(call))
        expect(error.code(), c.grpc.StatusCode.DEADLINE_EXCEEDED, f"status code (details: {error.details()!r})")
    finally:
        requests.close()
        call.cancel()


def test_timeout_on_sleeping_server(interop):
    interop.run("timeout_on_sleeping_server")


# ---- beyond the interop descriptions --------------------------------------------------------------------------


def case_concurrent_unary_calls(c):
    """200 UnaryCalls from 8 threads on one channel (so multiplexed on one HTTP/2 connection); each asks for a
    different response size, so a response delivered to the wrong call shows."""
    m = c.messages_pb2
    threads = set()

    def call(index: int) -> tuple[int, int]:
        threads.add(threading.get_ident())
        response = c.stub.UnaryCall(m.SimpleRequest(response_type=m.COMPRESSABLE, response_size=1000 + index,
                                                    payload=c.payload(index * 7)), timeout=c.timeout)
        return index, len(response.payload.body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(200)))
    wrong = [(index, size) for index, size in results if size != 1000 + index]
    expect(wrong, [], "(call, response size) of calls whose response size is not 1000 + call index")
    expect(len(results), 200, "number of completed calls")
    if len(threads) < 2:
        raise AssertionError(f"the calls ran on {len(threads)} thread(s), not concurrently")


def test_concurrent_unary_calls(interop):
    interop.run("concurrent_unary_calls")


LARGE_BINARY_METADATA = bytes(range(256)) * 40  # 10240 bytes, every byte value; 13656 characters of base64
LARGE_ECHOED_TRAILER = bytes(range(256)) * 16  # 4096 bytes; its base64 stays under grpcio's 8 KiB receive limit


def case_large_binary_metadata(c):
    m = c.messages_pb2
    request = m.SimpleRequest(response_type=m.COMPRESSABLE, response_size=10, payload=c.payload(10))

    response = c.stub.UnaryCall(request, metadata=(("x-client-analyze-large-bin", LARGE_BINARY_METADATA),),
                                timeout=c.timeout)
    expect_zeros(response.payload.body, 10, "UnaryCall response with a 10 KiB -bin request header")

    response, call = c.stub.UnaryCall.with_call(
        request, metadata=((ECHO_TRAILING[0], LARGE_ECHOED_TRAILER),), timeout=c.timeout)
    expect_zeros(response.payload.body, 10, "UnaryCall response with a 4 KiB echoed -bin trailer")
    echoed = [v for k, v in call.trailing_metadata() if k == ECHO_TRAILING[0]]
    expect(echoed, [LARGE_ECHOED_TRAILER], f"echoed {ECHO_TRAILING[0]} trailer")


def test_large_binary_metadata(interop):
    interop.run("large_binary_metadata")


def case_server_still_healthy(c):
    case_empty_unary(c)
    case_large_unary(c)


def test_server_still_healthy(interop):
    """Last on purpose: after the cancellations, deadlines and errors above, the server still serves."""
    interop.run("server_still_healthy")
