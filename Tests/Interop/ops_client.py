"""grpcio client for the operations tests (test_operations.py), run as a child process: the pytest process never
imports grpcio (see grpc_interop_support.py). Uses chassis_client.py's reflection-based calls.

  python ops_client.py ADDRESS poison N [KEY=VALUE…]
      Enqueues N jobs on storage, then leases and fails each (retriable) until storage dead-letters it, as a
      worker would whose every attempt fails. Prints {"dead": n, "attempts": [...]} once all are dead.
  python ops_client.py ADDRESS expire KEY [KEY=VALUE…]
      Cache.Set of KEY with a 1 ms TTL, so storage's sweeper removes it on its next run → {"set": KEY}.

KEY=VALUE pairs are call metadata (e.g. x-service-token=…).
"""

from __future__ import annotations

import json
import sys
import time

import grpc
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from chassis_client import message_class, unary

JOBS = "/clientanalyze.storage.v1.Jobs/"
DEAD = "JOB_STATE_DEAD"


def poison(channel, pool, count: int, metadata) -> dict:
    enqueue = message_class(pool, "clientanalyze.storage.v1.EnqueueRequest")
    analysis = message_class(pool, "clientanalyze.common.v1.AnalysisRequest")
    lease = message_class(pool, "clientanalyze.storage.v1.LeaseRequest")
    fail = message_class(pool, "clientanalyze.storage.v1.FailRequest")
    state_names = pool.FindEnumTypeByName("clientanalyze.common.v1.JobState").values_by_number
    pending = set()
    for i in range(count):
        job = unary(channel, pool, JOBS + "Enqueue", enqueue(request=analysis(inn="7707083893"),
                                                             idempotency_key=f"poison-{time.time_ns()}-{i}"),
                    metadata=metadata).job
        pending.add(job.id)
    attempts: dict[str, int] = {}
    deadline = time.monotonic() + 60
    while pending and time.monotonic() < deadline:
        leased = unary(channel, pool, JOBS + "Lease", lease(worker="poison-worker", max_jobs=100,
                                                          visibility_timeout_ms=30_000, wait_ms=1000),
                       metadata=metadata, timeout=10).jobs
        for job in leased:
            after = unary(channel, pool, JOBS + "Fail", fail(job_id=job.id, worker="poison-worker",
                                                            error="poison job: every attempt fails", retriable=True),
                          metadata=metadata).job
            attempts[job.id] = attempts.get(job.id, 0) + 1
            if state_names[after.state].name == DEAD:
                pending.discard(job.id)
    if pending:
        raise SystemExit(f"not dead within 60 s: {sorted(pending)}")
    return {"dead": count, "attempts": sorted(attempts.values())}


def main(address: str, command: str, args: list[str]) -> None:
    channel = grpc.insecure_channel(address)
    pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    if command == "poison":
        metadata = [tuple(arg.split("=", 1)) for arg in args[1:]]
        out = poison(channel, pool, int(args[0]), metadata)
    elif command == "expire":
        metadata = [tuple(arg.split("=", 1)) for arg in args[1:]]
        request = message_class(pool, "clientanalyze.storage.v1.CacheSetRequest")
        unary(channel, pool, "/clientanalyze.storage.v1.Cache/Set",
              request(key=args[0], value=b"{}", ttl_ms=1, source=1), metadata=metadata)
        out = {"set": args[0]}
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
