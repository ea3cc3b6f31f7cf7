#!/usr/bin/env python3
"""RPC runtime benchmark: h2load (nghttp2-client) against the release interop-server.

Prints a table and writes it to bench-results/rpc.txt. Per run: requests/s, latency p50/p99 (from h2load's
--log-file; the -c 4 -m 32 run is repeated without it, whose per-request writes slow h2load), server CPU microseconds per request (from /proc/<pid>/stat), the server's peak RSS, and a check
that every response carried the expected message (h2load only sees HTTP 200; a gRPC error would arrive as a
trailers-only response without DATA, so the DATA byte count tells OK responses apart).

Usage: rpc_bench.py SERVER_BINARY [--quick]
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, wire_type: int, payload: bytes) -> bytes:
    return varint(number << 3 | wire_type) + (varint(len(payload)) + payload if wire_type == 2 else payload)


def grpc_frame(message: bytes) -> bytes:
    return b"\x00" + len(message).to_bytes(4, "big") + message


# grpc.testing.SimpleRequest { response_size = 2; payload = 3 { body = 2 } }, encoded by hand so the benchmark
# needs nothing but the standard library.
def unary_request(size: int) -> bytes:
    payload = field(2, 2, b"\x00" * size)
    return grpc_frame(field(2, 0, varint(size)) + field(3, 2, payload))


def unary_response_bytes(size: int) -> int:
    payload = field(2, 2, b"\x00" * size)
    return len(grpc_frame(field(1, 2, payload)))


# grpc.testing.StreamingOutputCallRequest { response_parameters = 2 { size = 1 } }
def streaming_request(messages: int, size: int) -> bytes:
    parameters = field(2, 2, field(1, 0, varint(size)))
    return grpc_frame(parameters * messages)


class Server:
    def __init__(self, binary: str):
        self.process = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0"], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"listening on [\d.]+:(\d+)", line)
        if not match:
            raise SystemExit(f"server did not start: {line!r} {self.process.stderr.read()}")
        self.port = int(match.group(1))
        allocator = re.search(r"\(allocator: ([^)]+)\)", line)
        self.allocator = allocator.group(1) if allocator else "unknown"

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def memory_kib(self, key: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def stop(self):
        self.process.kill()
        self.process.wait()


def run(server: Server, name: str, path: str, body: bytes, requests: int, clients: int, streams: int,
        response_bytes: int, messages_per_request: int = 1, latency_log: bool = True) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "request.bin")
        data.write_bytes(body)
        log = Path(tmp, "latency.log")
        cpu_before = server.cpu_seconds()
        started = time.monotonic()
        result = subprocess.run(
            ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams), "-d", str(data),
             "-H", "content-type: application/grpc", "-H", "te: trailers"]
            + (["--log-file", str(log)] if latency_log else []) + [f"http://127.0.0.1:{server.port}{path}"],
            capture_output=True, text=True, timeout=600)
        elapsed = time.monotonic() - started
        cpu = server.cpu_seconds() - cpu_before
        output = result.stdout
        rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", output).group(1))
        succeeded = int(re.search(r"(\d+) succeeded", output).group(1))
        data_bytes = int(re.search(r"\((\d+)\) data", output).group(1))
        durations = sorted(int(line.split("\t")[2]) for line in log.read_text().splitlines() if line.strip()) if latency_log else []
    ok = succeeded == requests and data_bytes == requests * response_bytes
    return {
        "name": name, "requests": requests, "rps": rps, "messages_per_s": rps * messages_per_request,
        "p50_us": statistics.median(durations) if durations else 0,
        "p99_us": durations[int(len(durations) * 0.99) - 1] if durations else 0,
        "cpu_us_per_request": cpu * 1e6 / requests, "ok": ok, "elapsed_s": elapsed,
        "succeeded": succeeded, "data_bytes": data_bytes, "expected_bytes": requests * response_bytes,
    }


def median_run(runs: list[dict]) -> dict:
    """The run of median rate, named with the rates of all of them; OK only if all were."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    median = dict(ordered[len(ordered) // 2])
    rates = ", ".join(f"{r['rps'] / 1000:.0f}k" for r in runs)
    median["name"] += f" (median of {rates})"
    if not all(r["ok"] for r in runs):
        median.update(next(r for r in runs if not r["ok"]), name=median["name"])
    return median


def main():
    binary = sys.argv[1]
    quick = "--quick" in sys.argv
    scale = 10 if quick else 1
    server = Server(binary)
    time.sleep(0.2)
    baseline_rss = server.memory_kib("VmRSS")
    unary = unary_request(256)
    unary_reply = unary_response_bytes(256)
    results = [
        run(server, "unary 256 B, -c 4 -m 32", "/grpc.testing.TestService/UnaryCall", unary, 200_000 // scale, 4, 32, unary_reply),
        # The same without h2load's per-request log: writing it costs h2load a write(2) per request, CPU taken
        # from the server on these two shared cores (about a quarter of the rate). Three runs, the median shown:
        # one run of a second moves with whatever else the machine does.
        median_run([run(server, "  the same, h2load without latency log", "/grpc.testing.TestService/UnaryCall", unary,
                        200_000 // scale, 4, 32, unary_reply, latency_log=False) for _ in range(3)]),
        run(server, "unary 256 B, -c 1 -m 1", "/grpc.testing.TestService/UnaryCall", unary, 20_000 // scale, 1, 1, unary_reply),
        run(server, "unary 256 B, -c 100 -m 10", "/grpc.testing.TestService/UnaryCall", unary, 100_000 // scale, 100, 10, unary_reply),
    ]
    peak_after_100 = server.memory_kib("VmHWM")
    streamed = 1000
    results.append(run(server, f"server streaming {streamed} x 256 B, -c 4 -m 8", "/grpc.testing.TestService/StreamingOutputCall",
                       streaming_request(streamed, 256), 800 // scale, 4, 8, unary_response_bytes(256) * streamed, streamed))
    time.sleep(1)
    after_rss = server.memory_kib("VmRSS")
    peak_rss = server.memory_kib("VmHWM")
    server.stop()

    lines = ["rpc-bench: h2load against the release interop-server (loopback, 2 cores shared by client and server)",
             f"{'run':64} {'req/s':>10} {'msg/s':>10} {'p50 µs':>8} {'p99 µs':>8} {'srv CPU µs/req':>15} {'all OK':>7}"]
    for r in results:
        p50, p99 = (f"{r['p50_us']:>8.0f}", f"{r['p99_us']:>8.0f}") if r["p50_us"] else (f"{'-':>8}", f"{'-':>8}")
        lines.append(f"{r['name']:64} {r['rps']:>10.0f} {r['messages_per_s']:>10.0f} {p50} "
                     f"{p99} {r['cpu_us_per_request']:>15.1f} {'yes' if r['ok'] else 'NO':>7}")
    lines.append(f"server RSS: baseline {baseline_rss / 1024:.1f} MiB, peak after 100 connections "
                 f"{peak_after_100 / 1024:.1f} MiB, peak overall {peak_rss / 1024:.1f} MiB, after the load {after_rss / 1024:.1f} MiB")
    lines.append(f"server allocator: {server.allocator}")
    for r in results:
        if not r["ok"]:
            lines.append(f"NOT OK: {r['name']}: {r['succeeded']}/{r['requests']} succeeded, "
                         f"{r['data_bytes']} DATA bytes, expected {r['expected_bytes']}")
    report = "\n".join(lines)
    print(report)
    Path("bench-results").mkdir(exist_ok=True)
    Path("bench-results/rpc.txt").write_text(report + "\n")
    sys.exit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
