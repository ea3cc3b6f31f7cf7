"""Real backend servers for system tests, on free loopback ports with throw-away data directories:
Tarantool (compose/tarantool/init.lua). They fail loudly when the server cannot start: `make deps`
installs it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Tarantool:
    """`tarantool compose/tarantool/init.lua`; ready when the schema functions answer (`ready()`)."""

    PASSWORD = "system-test-secret"

    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        self.port = port or free_port()
        self.log = open(directory / f"tarantool-{self.port}.log", "a")
        self.process = subprocess.Popen(
            ["tarantool", str(REPOSITORY / "compose/tarantool/init.lua")], stdout=self.log, stderr=self.log,
            env={**os.environ, "CLA_TARANTOOL_LISTEN": f"127.0.0.1:{self.port}", "CLA_TARANTOOL_DIR": str(directory / "tarantool"),
                 "CLA_TARANTOOL_PASSWORD": self.PASSWORD, "CLA_TARANTOOL_PARENT_PID": str(os.getpid()),
                 "CLA_TARANTOOL_MEMORY": str(64 << 20)})
        self.wait_ready()

    def wait_ready(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"tarantool exited: {(self.directory / f'tarantool-{self.port}.log').read_text()[-1500:]}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    if len(connection.recv(128)) > 0:
                        # The greeting comes before init.lua has finished; its last line marks the end.
                        if "entering the event loop" in (self.directory / f"tarantool-{self.port}.log").read_text():
                            return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"tarantool was not ready on port {self.port} within {timeout} s")

    def storage_args(self) -> list[str]:
        return ["--set", "storage.backend=tarantool", "--set", f"storage.tarantool.address=127.0.0.1:{self.port}",
                "--set", f"storage.tarantool.password={self.PASSWORD}"]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


class RabbitMQ:
    """scripts/rabbitmq-test-server.sh: a loopback broker with its own epmd and data, gone with this process;
    ready when it reports its startup complete and the AMQP port accepts."""

    USER, PASSWORD = "cla", "cla-test"

    def __init__(self, directory: Path):
        self.base = directory / "rabbitmq"
        self.base.mkdir(parents=True, exist_ok=True)
        self.port, dist, epmd = free_port(), free_port(), free_port()
        self.log_path = self.base / "broker.log"
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [str(REPOSITORY / "scripts/rabbitmq-test-server.sh"), str(self.base), str(self.port), str(dist), str(epmd), str(os.getpid())],
            stdout=self.log, stderr=self.log, start_new_session=True)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"rabbitmq-server exited: {self.log_path.read_text()[-2000:]}"
            if "Server startup complete" in self.log_path.read_text():
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise AssertionError(f"rabbitmq-server was not ready on port {self.port} within {timeout} s")

    def args(self, queue: str = "cla.jobs") -> list[str]:
        """Settings for storage and the analyzer: jobs through this broker."""
        return ["--set", "features.queue_backend=rabbitmq", "--set", f"rabbitmq.address=127.0.0.1:{self.port}",
                "--set", f"rabbitmq.user={self.USER}", "--set", f"rabbitmq.password={self.PASSWORD}", "--set", f"rabbitmq.queue={queue}"]

    def close(self) -> None:
        (self.base / "stop").touch()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)
        self.log.close()
