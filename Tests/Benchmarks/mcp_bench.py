#!/usr/bin/env python3
"""MCP benchmark: the release executables and the provider sandbox on loopback.

1. `get_report` through /mcp (tools/call over Streamable HTTP, answered as an SSE stream) from 1 and from 16
   concurrent sessions, each on its own keep-alive connection: p50/p99 latency per call, measured by the client
   from sending the request to reading the whole answer.
2. The gateway's resident set with 100 open, initialised sessions against none.

The client is plain `http.client` (one thread per session), not the Python `mcp` package: its per-call
validation would be measured instead of the server. Writes bench-results/mcp.txt.
Usage: CLA_BIN_DIR=<release bin> mcp_bench.py
"""
from __future__ import annotations

import http.client
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "Interop"))

from test_gateway import GatewayStack  # noqa: E402

CALLS_PER_SESSION = {1: 2000, 16: 250}


class Session:
    def __init__(self, port: int, key: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                        "Accept": "application/json, text/event-stream"}
        status, headers, _ = self.post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
        assert status == 200, status
        self.headers["Mcp-Session-Id"] = headers["mcp-session-id"]
        self.headers["MCP-Protocol-Version"] = "2025-06-18"
        assert self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})[0] == 202
        self.next_id = 1

    def post(self, message: dict) -> tuple[int, dict, bytes]:
        self.connection.request("POST", "/mcp", body=json.dumps(message), headers=self.headers)
        response = self.connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()

    def call(self, tool: str, arguments: dict) -> float:
        self.next_id += 1
        started = time.perf_counter()
        status, _, body = self.post({"jsonrpc": "2.0", "id": self.next_id, "method": "tools/call",
                                     "params": {"name": tool, "arguments": arguments}})
        elapsed = time.perf_counter() - started
        assert status == 200 and b'"isError":false' in body.replace(b" ", b""), body[:300]
        return elapsed

    def close(self):
        self.connection.request("DELETE", "/mcp", headers=self.headers)
        self.connection.getresponse().read()
        self.connection.close()


class RESTClient:
    """The same read over REST, for comparison: what the gateway costs without MCP."""

    def __init__(self, port: int, key: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {key}"}

    def call(self, report_id: str) -> float:
        started = time.perf_counter()
        self.connection.request("GET", f"/api/v1/reports/{report_id}", headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        assert response.status == 200, body[:300]
        return elapsed

    def close(self):
        self.connection.close()


def measure(clients: list, calls: int, call) -> tuple[list[float], float]:
    for client in clients:
        for _ in range(20):
            call(client)  # warm-up
    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(lambda c: [call(c) for _ in range(calls)], clients))
    return [value for result in results for value in result], time.perf_counter() - started


def line(what: str, latencies: list[float], wall: float) -> str:
    return (f"  {what}: p50 {percentile(latencies, 0.5) * 1000:.2f} ms, p99 {percentile(latencies, 0.99) * 1000:.2f} ms, "
            f"mean {statistics.mean(latencies) * 1000:.2f} ms, {len(latencies) / wall:.0f} calls/s")


def rss_kib(pid: int) -> int:
    return next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS:"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        stack = GatewayStack(Path(tmp), gateway_args=("--set", "auth.default_rate_per_minute=1000000"))
        try:
            _, _, submitted = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7705123452"}})
            report_id = stack.wait_job(submitted["job"]["id"])["report_id"]
            pid = stack.gateway.process.pid
            lines.append("get_report through /mcp (tools/call, answered as an SSE stream):")
            for sessions, calls in CALLS_PER_SESSION.items():
                clients = [Session(stack.rest_port, stack.admin_key) for _ in range(sessions)]
                latencies, wall = measure(clients, calls, lambda c: c.call("get_report", {"id": report_id}))
                lines.append(line(f"{sessions:>2} session(s) x {calls} calls", latencies, wall))
                for client in clients:
                    client.close()
                rest = [RESTClient(stack.rest_port, stack.admin_key) for _ in range(sessions)]
                latencies, wall = measure(rest, calls, lambda c: c.call(report_id))
                lines.append(line(f"{sessions:>2} REST client(s), GET /api/v1/reports/{{id}}", latencies, wall))
                for client in rest:
                    client.close()
            time.sleep(1)
            before = rss_kib(pid)
            sessions = [Session(stack.rest_port, stack.admin_key) for _ in range(100)]
            time.sleep(1)
            after = rss_kib(pid)
            lines.append(f"gateway VmRSS: {before} KiB with no session, {after} KiB with 100 open sessions "
                         f"({(after - before) / 100:.1f} KiB per session)")
            for client in sessions:
                client.close()
        finally:
            stack.close()
    text = "\n".join(lines)
    print(text)
    out = HERE.parents[1] / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "mcp.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
