#!/usr/bin/env python3
"""Gateway benchmark: the four release executables and the provider sandbox (zero latency) on loopback.

1. Proxy overhead of one read: h2load calls GetJob through the gateway (gRPC, and REST over HTTP/1.1) and the
   same GetJob on storage directly; the difference of the p50/p99 latencies is what the gateway adds
   (authentication from its key cache, role, rate limit, validation, the downstream call, audit-free read).
2. Submit-to-PDF throughput: N analyses submitted at once by 8 clients, each following its job to the end,
   over REST (urllib + Server-Sent Events) and over gRPC (grpcio + WatchJob); jobs/s and per-job p50/p99.

Prints a table and writes it to bench-results/gateway.txt. Usage: CLA_BIN_DIR=<release bin> gateway_bench.py
"""
from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "Interop"))

from test_gateway import TOKEN, GatewayStack  # noqa: E402

INNS = ["5402987650", "7705123452", "3900123459", "7728456786", "1650123403"]
ANALYSES = 200


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def get_job_body(job_id: str) -> bytes:
    message = b"\x0a" + varint(len(job_id)) + job_id.encode()  # field 1 (job_id), both in gateway.v1 and storage.v1
    return b"\x00" + len(message).to_bytes(4, "big") + message


def h2load(url: str, headers: list[str], requests: int, clients: int, streams: int, body: bytes | None = None,
           h1: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp, "latency.log")
        command = ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams), "--log-file", str(log)]
        if body is not None:
            Path(tmp, "body").write_bytes(body)
            command += ["-d", str(Path(tmp, "body"))]
        if h1:
            command.append("--h1")
        for header in headers:
            command += ["-H", header]
        output = subprocess.run(command + [url], capture_output=True, text=True, timeout=600).stdout
        durations = sorted(int(line.split("\t")[2]) for line in log.read_text().splitlines() if line.strip())
        statuses = [line.split("\t")[1] for line in log.read_text().splitlines() if line.strip()]
    return {
        "rps": float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", output).group(1)),
        "succeeded": int(re.search(r"(\d+) succeeded", output).group(1)),
        "data": int(re.search(r"\((\d+)\) data", output).group(1)),
        "ok_status": all(status == "200" for status in statuses),
        "p50": statistics.median(durations), "p99": durations[int(len(durations) * 0.99) - 1],
    }


def rest_analysis(stack: GatewayStack, key: str, inn: str) -> float:
    started = time.monotonic()
    status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": inn}}, key=key)
    assert status == 202, body
    events = stack.events(body["job"]["id"], key=key)
    assert events[-1][0] == "end" and events[-2][1]["stage"] == "STAGE_COMPLETED", events[-3:]
    return time.monotonic() - started


def grpc_analyses(stack: GatewayStack, key: str, count: int) -> tuple[float, list[float]]:
    import grpc
    from google.protobuf.descriptor_pool import DescriptorPool
    from google.protobuf.message_factory import GetMessageClass
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    channel = grpc.insecure_channel(stack.gateway.address)
    pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    service = pool.FindServiceByName("clientanalyze.gateway.v1.Analyses")
    submit_in = GetMessageClass(service.methods_by_name["Submit"].input_type)
    submit = channel.unary_unary("/clientanalyze.gateway.v1.Analyses/Submit", request_serializer=lambda m: m.SerializeToString(),
                                 response_deserializer=GetMessageClass(service.methods_by_name["Submit"].output_type).FromString)
    watch_in = GetMessageClass(service.methods_by_name["WatchJob"].input_type)
    watch = channel.unary_stream("/clientanalyze.gateway.v1.Analyses/WatchJob", request_serializer=lambda m: m.SerializeToString(),
                                 response_deserializer=GetMessageClass(service.methods_by_name["WatchJob"].output_type).FromString)
    metadata = [("authorization", f"Bearer {key}")]
    request_class = GetMessageClass(pool.FindMessageTypeByName("clientanalyze.common.v1.AnalysisRequest"))

    def one(index: int) -> float:
        started = time.monotonic()
        job = submit(submit_in(request=request_class(inn=INNS[index % len(INNS)])), metadata=metadata, timeout=60).job
        last = None
        for event in watch(watch_in(job_id=job.id), metadata=metadata, timeout=120):
            last = event
        assert last is not None and last.stage == 9, last  # STAGE_COMPLETED
        return time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(8) as executor:
        durations = list(executor.map(one, range(count)))
    return time.monotonic() - started, durations


def main() -> None:
    quick = "--quick" in sys.argv
    reads = 2_000 if quick else 20_000
    analyses = ANALYSES // 10 if quick else ANALYSES
    with tempfile.TemporaryDirectory() as tmp:
        stack = GatewayStack(Path(tmp), gateway_args=("--set", "auth.default_rate_per_minute=1000000"))
        try:
            key = stack.create_key("ROLE_ANALYST", rate=1_000_000)
            # Warm the provider cache so the analyses measure the system, not the first fetch.
            for inn in INNS:
                rest_analysis(stack, key, inn)
            job_id = stack.rest("GET", "/api/v1/jobs?page.page_size=1")[2]["jobs"][0]["id"]
            body = get_job_body(job_id)
            grpc_headers = ["content-type: application/grpc", "te: trailers"]
            gateway_url = f"http://{stack.gateway.address}/clientanalyze.gateway.v1.Analyses/GetJob"
            storage_url = f"http://{stack.storage.address}/clientanalyze.storage.v1.Jobs/GetJob"
            auth = f"authorization: Bearer {key}"
            one = h2load(gateway_url, grpc_headers + [auth], 1, 1, 1, body)
            per_response = one["data"]
            rows = []
            for name, url, headers, clients, streams in [
                ("GetJob via gateway, gRPC, -c 1 -m 1", gateway_url, grpc_headers + [auth], 1, 1),
                ("GetJob on storage directly, -c 1 -m 1", storage_url, grpc_headers + [f"x-service-token: {TOKEN}"], 1, 1),
                ("GetJob via gateway, gRPC, -c 4 -m 8", gateway_url, grpc_headers + [auth], 4, 8),
            ]:
                result = h2load(url, headers, reads, clients, streams, body)
                result["ok"] = result["succeeded"] == reads and result["data"] == reads * per_response and result["ok_status"]
                rows.append((name, result))
            rest = h2load(f"http://127.0.0.1:{stack.rest_port}/api/v1/jobs/{job_id}", [auth], reads, 1, 1, h1=True)
            rest["ok"] = rest["succeeded"] == reads and rest["ok_status"]
            rows.append(("GET /api/v1/jobs/{id} via REST, -c 1", rest))

            started = time.monotonic()
            with ThreadPoolExecutor(8) as executor:
                rest_durations = list(executor.map(lambda i: rest_analysis(stack, key, INNS[i % len(INNS)]), range(analyses)))
            rest_elapsed = time.monotonic() - started
            grpc_elapsed, grpc_durations = grpc_analyses(stack, key, analyses)
        finally:
            stack.close()

    direct, via = rows[1][1], rows[0][1]
    lines = ["gateway-bench: release executables on loopback, provider sandbox at zero latency (2 cores for everything)",
             f"{'read':42} {'req/s':>9} {'p50 µs':>8} {'p99 µs':>8} {'all OK':>7}"]
    for name, result in rows:
        lines.append(f"{name:42} {result['rps']:>9.0f} {result['p50']:>8.0f} {result['p99']:>8.0f} {str(result['ok']):>7}")
    lines.append(f"gateway overhead per proxied read (gRPC GetJob, -c 1): p50 {via['p50'] - direct['p50']:.0f} µs, "
                 f"p99 {via['p99'] - direct['p99']:.0f} µs")
    lines.append(f"{'submit → PDF, 8 clients':42} {'jobs':>6} {'jobs/s':>8} {'p50 s':>7} {'p99 s':>7}")
    for name, elapsed, durations in [("REST + SSE", rest_elapsed, rest_durations), ("gRPC + WatchJob (grpcio)", grpc_elapsed, grpc_durations)]:
        durations = sorted(durations)
        lines.append(f"{name:42} {len(durations):>6} {len(durations) / elapsed:>8.1f} {statistics.median(durations):>7.3f} "
                     f"{durations[int(len(durations) * 0.99) - 1]:>7.3f}")
    text = "\n".join(lines)
    print(text)
    out = HERE.parents[1] / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "gateway.txt").write_text(text + "\n")
    if not all(result["ok"] for _, result in rows):
        raise SystemExit("gateway-bench: some reads failed")


if __name__ == "__main__":
    main()
