"""Machinery of the gRPC interop suite (test_grpc_interop.py): starts the Swift interop-server, generates the
Python stubs of grpc/testing/*.proto, and runs each interop case as a grpcio client in a child process.

Why a child process: the generated modules live in a package called `grpc`, which is also grpcio's name. The
protobuf suite (proto_loader.py) puts its generated `grpc` tree first on sys.path, which shadows grpcio and
refuses to load once grpcio is imported; and both would register grpc/testing/*.proto in the same descriptor
pool. So the pytest process never imports grpcio or these stubs: only the client processes do, where the
stubs are grafted onto grpcio's package (`grpc.__path__.append(...)`).

This module is imported by the pytest process (must not import grpcio) and runs as the client's script:
  python grpc_interop_support.py --stubs DIR --address HOST:PORT --cases FILE CASE
which imports grpcio and the stubs, loads FILE and calls its `case_<CASE>(client)`; it exits 0 when the case
passes and 1 with the traceback on stderr when it fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import queue
import re
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROTO_DIR = REPO / "proto"
GRPC_TESTING_PROTOS = ("grpc/testing/empty.proto", "grpc/testing/messages.proto", "grpc/testing/test.proto")

CALL_TIMEOUT = 10.0  # seconds; every RPC of every case carries it, so nothing waits forever on the server
STARTUP_TIMEOUT = 30.0  # for the "listening" line
CASE_TIMEOUT = 60.0  # for a whole client process (a backstop: the calls' own deadlines fire long before)
FAILURE_MARK = "case failed: "  # prefixes the client's one-line summary, the last line of its stderr
READY_LINE = re.compile(r"interop-server listening on (?P<host>\S+):(?P<port>\d+) \(allocator: (?P<allocator>[^)]+)\)")


def server_path() -> Path:
    """The interop-server binary: $INTEROP_SERVER, else the debug build (what `swift build --show-bin-path`
    names; .build/debug is SwiftPM's link to it)."""
    return Path(os.environ.get("INTEROP_SERVER") or REPO / ".build" / "debug" / "interop-server")


def generate_stubs(out_dir: Path) -> None:
    """protoc (grpcio-tools, run as a child so this process never imports grpc) --python_out and
    --grpc_python_out for grpc/testing into out_dir."""
    cmd = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}", f"--python_out={out_dir}",
           f"--grpc_python_out={out_dir}", *GRPC_TESTING_PROTOS]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"protoc failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}{done.stderr}")


class InteropServer:
    """One interop-server process on a free port, its stdout and stderr going to files in log_dir.

    start() never raises: a failure to start is kept in `startup_error`, and every test that needs the
    server fails with it (raising in a fixture would report errors, and a skip would look green)."""

    def __init__(self, binary: Path, log_dir: Path, extra_args: tuple[str, ...] = ()):
        self.binary = binary
        self.extra_args = extra_args
        self.stdout_path = log_dir / "interop-server.stdout"
        self.stderr_path = log_dir / "interop-server.stderr"
        self.process: subprocess.Popen | None = None
        self.address: str | None = None
        self.allocator: str | None = None  # what serves malloc, as the server reports it
        self.startup_error: str | None = None

    def start(self) -> None:
        if not (self.binary.is_file() and os.access(self.binary, os.X_OK)):
            self.startup_error = (f"interop-server not found or not executable at {self.binary}. Build it with "
                                  "`swift build --product interop-server` or point INTEROP_SERVER at it.")
            return
        cmd = [str(self.binary), "--host", "127.0.0.1", "--port", "0", *self.extra_args]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            text = self.stdout_path.read_text(errors="replace")
            if "\n" in text:
                line = text.split("\n", 1)[0]
                match = READY_LINE.fullmatch(line)
                if match and int(match["port"]) != 0:
                    self.address = f"{match['host']}:{match['port']}"
                    self.allocator = match["allocator"]
                    return
                self._fail_start(f"printed {line!r} instead of 'interop-server listening on <host>:<port> (allocator: <name>)'")
                return
            if self.process.poll() is not None:
                self._fail_start(f"exited with {self.process.returncode} before printing its listening line")
                return
            if time.monotonic() > deadline:
                self._fail_start(f"did not print its listening line within {STARTUP_TIMEOUT:.0f} s")
                return
            time.sleep(0.02)

    def _fail_start(self, what: str) -> None:
        self.stop()
        self.startup_error = (f"`{self.binary} --host 127.0.0.1 --port 0` {what}\n"
                              f"--- its stdout ---\n{self.stdout_path.read_text(errors='replace')}"
                              f"--- its stderr ---\n{self.stderr_path.read_text(errors='replace')}")

    def stderr_size(self) -> int:
        return self.stderr_path.stat().st_size if self.stderr_path.exists() else 0

    def stderr_since(self, offset: int) -> str:
        with open(self.stderr_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@dataclass
class Interop:
    """What the tests get: runs one case against the server in a grpcio client process."""

    server: InteropServer
    stubs_dir: Path | None
    cases_file: Path
    setup_error: str | None = None

    def run(self, case: str) -> None:
        import pytest  # only the pytest side gets here

        if self.setup_error or self.server.startup_error:
            pytest.fail(self.setup_error or self.server.startup_error, pytrace=False)
        if (code := self.server.exit_code()) is not None:
            pytest.fail(f"interop-server is no longer running (exit status {code}; an earlier test killed it?)\n"
                        f"--- its stderr ---\n{self.server.stderr_since(0)}", pytrace=False)
        offset = self.server.stderr_size()
        cmd = [sys.executable, str(Path(__file__).resolve()), "--stubs", str(self.stubs_dir),
               "--address", self.server.address, "--cases", str(self.cases_file), case]
        started = time.monotonic()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=CASE_TIMEOUT, cwd=HERE)
            returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as timeout:
            returncode = f"none: killed after {CASE_TIMEOUT:.0f} s, the client hung"
            stdout, stderr = _text(timeout.stdout), _text(timeout.stderr)
        time.sleep(0.05)  # lets a server crash caused by this case show as such, not in the next test
        server_code = self.server.exit_code()
        if returncode == 0 and server_code is None:
            return
        problems = []
        if returncode != 0:
            # Why it failed (the client's last words) first, so that -q summaries show it.
            last = next((line[len(FAILURE_MARK):] for line in reversed(stderr.splitlines())
                         if line.startswith(FAILURE_MARK)), "see the client's stderr")
            problems.append(f"case {case!r}: {last} (grpcio client exit {returncode}, "
                            f"after {time.monotonic() - started:.1f} s)")
        if server_code is not None:
            problems.append(f"interop-server exited with status {server_code} during case {case!r}")
        pytest.fail("; ".join(problems) + "\n"
                    f"--- client stderr ---\n{stderr}" + (f"--- client stdout ---\n{stdout}" if stdout else "") +
                    f"--- interop-server stderr during this case ---\n{self.server.stderr_since(offset) or '(none)'}",
                    pytrace=False)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


# ---- client side (only in the child process) -----------------------------------------------------------------


class RequestQueue:
    """A request iterator for streaming calls fed from the test: grpcio pulls requests from it in its own
    thread, so the test decides when each request goes out (e.g. only after the previous response arrived).
    close() half-closes the stream. A request that is not supplied within CALL_TIMEOUT also ends the stream,
    so a failing case cannot leave grpcio's thread blocked forever."""

    _CLOSE = object()

    def __init__(self):
        self._queue: queue.Queue = queue.Queue()

    def send(self, request) -> None:
        self._queue.put(request)

    def close(self) -> None:
        self._queue.put(self._CLOSE)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            item = self._queue.get(timeout=CALL_TIMEOUT)
        except queue.Empty:
            raise StopIteration from None
        if item is self._CLOSE:
            raise StopIteration
        return item


class Client:
    """What a case function receives: grpcio, the generated modules and a stub on a fresh channel."""

    def __init__(self, address: str):
        import grpc
        from grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc

        self.grpc = grpc
        self.empty_pb2 = empty_pb2
        self.messages_pb2 = messages_pb2
        self.test_pb2_grpc = test_pb2_grpc
        self.address = address
        self.timeout = CALL_TIMEOUT
        self.channel = grpc.insecure_channel(address)
        self.stub = test_pb2_grpc.TestServiceStub(self.channel)

    def payload(self, size: int):
        """A COMPRESSABLE payload of `size` zero bytes, as the interop cases send."""
        m = self.messages_pb2
        return m.Payload(type=m.COMPRESSABLE, body=bytes(size))

    def expect_rpc_error(self, what: str, call) -> "grpc.RpcError":
        """Runs call() and returns the grpc.RpcError it raises; fails when it raises none."""
        try:
            result = call()
        except self.grpc.RpcError as error:
            return error
        raise AssertionError(f"{what}: expected the call to fail, but it succeeded with {result!r}")

    def close(self) -> None:
        self.channel.close()


def expect(actual, expected, what: str) -> None:
    """assert actual == expected, with a message that also works in the child (no pytest assertion rewriting).
    Long bytes values are summarised."""
    if actual != expected:
        raise AssertionError(f"{what}: expected {_show(expected)}, got {_show(actual)}")


def expect_zeros(body: bytes, size: int, what: str) -> None:
    if len(body) != size:
        raise AssertionError(f"{what}: expected a payload body of {size} bytes, got {len(body)}")
    if body.count(0) != size:
        raise AssertionError(f"{what}: payload body of {size} bytes is not all zeros "
                             f"(first non-zero at {next(i for i, b in enumerate(body) if b)})")


def _show(value) -> str:
    if isinstance(value, (bytes, bytearray)) and len(value) > 64:
        return f"{len(value)} bytes {bytes(value[:16])!r}..."
    return repr(value)


def _summary(error: BaseException, grpc) -> str:
    """One line about why a case failed: the assertion, or the status of the call that failed."""
    if isinstance(error, grpc.RpcError) and hasattr(error, "code"):
        return f"RPC failed with {error.code()}: {error.details()!r}"
    return f"{type(error).__name__}: {error}"


def client_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stubs", required=True, type=Path, help="protoc output directory (holds grpc/testing)")
    parser.add_argument("--address", required=True, help="host:port of the interop-server")
    parser.add_argument("--cases", required=True, type=Path, help="file defining case_<name>(client) functions")
    parser.add_argument("case")
    args = parser.parse_args(argv)

    # The cases file imports this module by name; make that this very module, not a second copy.
    sys.modules.setdefault("grpc_interop_support", sys.modules[__name__])
    import grpc

    grpc.__path__.append(str(args.stubs / "grpc"))  # grpc.testing.* = the generated modules

    spec = importlib.util.spec_from_file_location("grpc_interop_cases", args.cases)
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    case = getattr(cases, f"case_{args.case}", None)
    if case is None:
        print(f"{args.cases} defines no case_{args.case}", file=sys.stderr)
        return 2

    client = Client(args.address)
    try:
        case(client)
    except BaseException as error:
        traceback.print_exc()
        print(f"{FAILURE_MARK}{_summary(error, grpc)}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(client_main(sys.argv[1:]))
