"""Starts the real executables (gateway, analyzer, report-renderer, storage, chassis-test-server) for the
chassis system tests, learns their ports from their JSON logs, and talks to them: admin HTTP with urllib,
gRPC through chassis_client.py in a child process (the pytest process never imports grpcio)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BIN_DIR = Path(os.environ.get("CLA_BIN_DIR") or REPO / ".build" / "debug")
START_TIMEOUT = 15.0


def binary(name: str) -> Path:
    path = BIN_DIR / name
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{name} not built at {path}: run `swift build` (or set CLA_BIN_DIR)")
    return path


class ServiceProcess:
    """One executable with JSON logs on stderr (captured to a file) and ports chosen by the OS unless given."""

    def __init__(self, name: str, log_dir: Path, args: list[str] = (), env: dict[str, str] | None = None,
                 rpc_port: int = 0, prefix: tuple[str, ...] = ()):
        """`prefix` runs the executable through another command, e.g. `setpriv` to drop capabilities."""
        self.name = name
        self.log_path = log_dir / f"{name}-{time.monotonic_ns()}.log"
        command = [*prefix, str(binary(name)), "--rpc-port", str(rpc_port), "--admin-port", "0",
                   "--set", "log.format=json", *args]
        if name == "storage" and not any(arg.startswith("storage.path=") for arg in args):
            # Its database goes with the test's files, not into the working directory.
            command += ["--set", f"storage.path={log_dir / 'storage.sqlite'}"]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CLA_")}
        environment.update(env or {})
        # Variables for chassis_client.py, e.g. CLA_TEST_TLS_CA to call this service over TLS.
        self.client_env: dict[str, str] = {}
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._log, env=environment)
        self.rpc_port, self.admin_port = self._wait_for_ports()

    def _wait_for_ports(self) -> tuple[int, int]:
        deadline = time.monotonic() + START_TIMEOUT
        rpc = admin = None
        while time.monotonic() < deadline:
            for line in self.log_lines():
                rpc = int(line["rpc.port"]) if "rpc.port" in line else rpc
                admin = int(line["admin.port"]) if "admin.port" in line else admin
            if rpc and admin:
                return rpc, admin
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"{self.name} did not report its ports (exit {self.process.poll()}):\n{self.log_text()}")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.rpc_port}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_lines(self) -> list[dict]:
        """Every log line as JSON; a line that is not JSON fails the test (the format promises JSON lines)."""
        lines = []
        # A last line without its newline is still being written: leave it for the next read.
        for raw in self.log_text().split("\n")[:-1]:
            try:
                lines.append(json.loads(raw))
            except json.JSONDecodeError as error:
                raise AssertionError(f"{self.name} wrote a log line that is not JSON: {raw!r} ({error})")
        return lines

    def http(self, path: str) -> tuple[int, str, str]:
        """GET on the admin port: status, content type, body."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}{path}", timeout=5) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode()

    def json(self, path: str) -> tuple[int, dict]:
        status, content_type, body = self.http(path)
        assert content_type == "application/json", f"{path}: content type {content_type!r}"
        return status, json.loads(body)

    def client(self, *args: str, timeout: float = 60) -> dict:
        """Runs chassis_client.py against this service and returns its last JSON line."""
        done = subprocess.run([sys.executable, str(HERE / "chassis_client.py"), self.address, *args],
                              capture_output=True, text=True, timeout=timeout, env={**os.environ, **self.client_env})
        assert done.returncode == 0, f"chassis_client {args} failed:\n{done.stderr}"
        return json.loads(done.stdout.strip().splitlines()[-1])

    @staticmethod
    def finish(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
        """Waits for a client_process and returns the rest of its stdout and its stderr. Not `communicate()`:
        that reads the raw pipes and would lose lines an earlier `stdout.readline()` already buffered."""
        process.wait(timeout=timeout)
        return process.stdout.read(), process.stderr.read()

    def client_process(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(HERE / "chassis_client.py"), self.address, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, **self.client_env})

    def wait_until(self, condition, what: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: timed out waiting for {what}\n--- log ---\n{self.log_text()[-4000:]}")

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=5)
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def metric_value(exposition: str, name: str, **labels: str) -> float | None:
    """The value of the series `name{labels…}` in a Prometheus text exposition (labels may be a subset)."""
    for line in exposition.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        if series.split("{")[0] != name:
            continue
        if all(f'{key}="{val}"' in series for key, val in labels.items()):
            return float(value)
    return None


RAW_CALL = """
import grpc, json, sys
address, method, payload, metadata = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), json.loads(sys.argv[4])
with grpc.insecure_channel(address) as channel:
    call = channel.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
    try:
        call(payload, metadata=[tuple(pair) for pair in metadata], timeout=10)
        print(json.dumps(["OK", ""]))
    except grpc.RpcError as error:
        print(json.dumps([error.code().name, error.details()]))
"""


def raw_call(address: str, method: str, payload: bytes, metadata: list[tuple[str, str]]) -> tuple[str, str]:
    """One unary call with the request's bytes exactly as given (grpcio, no serializer): (status code, details).
    In a child process: grpcio must not be imported into the test process (proto_loader's generated grpc.*
    modules need that name)."""
    done = subprocess.run([sys.executable, "-c", RAW_CALL, address, method, payload.hex(), json.dumps(metadata)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    code, details = json.loads(done.stdout)
    return code, details
