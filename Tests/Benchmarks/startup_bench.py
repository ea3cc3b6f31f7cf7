#!/usr/bin/env python3
"""Start-up benchmark of the four executables (release build): time from exec to /readyz answering 200, and
resident memory after two idle seconds. Each executable is started RUNS times with --rpc-port 0 --admin-port 0;
analyzer and gateway get a running storage and report-renderer (their required dependencies) first. Prints a
table and writes it to bench-results/startup.txt. Targets (issue 4): ready in under 1 s, idle RSS under 40 MB.

Usage: startup_bench.py BIN_DIR
"""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

RUNS = 5
IDLE_SECONDS = 2.0


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError):
        return False


class Started:
    def __init__(self, bin_dir: Path, name: str, args: list[str], log: Path):
        self.log = log
        self.began = time.monotonic()
        self.process = subprocess.Popen(
            [str(bin_dir / name), "--rpc-port", "0", "--admin-port", "0", "--set", "log.format=json",
             "--set", "health.probe_interval=50ms", *args,
             *(["--set", f"storage.path={log.with_suffix('.sqlite')}"] if name == "storage" else [])],
            stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        self.ready_seconds = None
        self.rpc_port = self.admin_port = None
        deadline = self.began + 10
        while time.monotonic() < deadline and self.ready_seconds is None:
            if self.admin_port is None:
                for line in log.read_text().split("\n")[:-1]:  # the last may be half written
                    entry = json.loads(line)
                    self.rpc_port = int(entry["rpc.port"]) if "rpc.port" in entry else self.rpc_port
                    self.admin_port = int(entry["admin.port"]) if "admin.port" in entry else self.admin_port
            if self.admin_port and ready(self.admin_port):
                self.ready_seconds = time.monotonic() - self.began
            else:
                time.sleep(0.002)
        if self.ready_seconds is None:
            self.stop()
            raise RuntimeError(f"{name} was not ready within 10 s:\n{log.read_text()}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def main():
    bin_dir = Path(sys.argv[1])
    logs = Path("bench-results/startup-logs")
    logs.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in ["storage", "report-renderer", "analyzer", "gateway"]:
        times, memory = [], []
        for run in range(RUNS):
            helpers = []
            args = []
            if name in ("analyzer", "gateway"):
                storage = Started(bin_dir, "storage", [], logs / f"{name}-{run}-storage.log")
                renderer = Started(bin_dir, "report-renderer", [], logs / f"{name}-{run}-renderer.log")
                helpers = [storage, renderer]
                args = ["--set", f"dependencies.storage.address=127.0.0.1:{storage.rpc_port}",
                        "--set", f"dependencies.report_renderer.address=127.0.0.1:{renderer.rpc_port}"]
                if name == "gateway":
                    args += ["--set", "dependencies.analyzer.address=127.0.0.1:1"]
            started = Started(bin_dir, name, args, logs / f"{name}-{run}.log")
            time.sleep(IDLE_SECONDS)
            times.append(started.ready_seconds)
            memory.append(rss_mib(started.process.pid))
            started.stop()
            for helper in helpers:
                helper.stop()
        rows.append((name, statistics.median(times) * 1000, max(times) * 1000, statistics.median(memory), max(memory)))

    lines = [f"start-up of the executables (release, {RUNS} runs each; ready = /readyz 200)",
             f"{'executable':<16} {'ready p50 ms':>12} {'ready max ms':>12} {'idle RSS p50 MiB':>17} {'max MiB':>8}"]
    for name, p50, worst, rss, rss_max in rows:
        lines.append(f"{name:<16} {p50:>12.1f} {worst:>12.1f} {rss:>17.1f} {rss_max:>8.1f}")
    lines.append("targets: ready < 1000 ms, idle RSS < 40 MB (38.1 MiB)")
    text = "\n".join(lines)
    print(text)
    Path("bench-results/startup.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
