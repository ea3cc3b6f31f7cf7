"""System tests of the storage executable: its Cache and Jobs services called by a grpcio client over the real
HTTP/2 port, and a crash in the middle of a write load."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from chassis_support import ServiceProcess, metric_value

CACHE = "/clientanalyze.storage.v1.Cache/"
JOBS = "/clientanalyze.storage.v1.Jobs/"


def call(storage: ServiceProcess, method: str, body: dict) -> dict:
    return storage.client("call", method, json.dumps(body))


def start(tmp_path: Path, **kwargs) -> ServiceProcess:
    return ServiceProcess("storage", tmp_path, ["--set", f"storage.path={tmp_path / 'db' / 'storage.sqlite'}"], **kwargs)


def test_cache_over_rpc(tmp_path: Path):
    with start(tmp_path) as storage:
        info = call(storage, CACHE + "Set", {"key": "dadata:7707083893", "value": "e30=", "ttl_ms": 60000,
                                             "source": "SOURCE_DADATA"})
        assert info["info"]["size_bytes"] == "2"
        got = call(storage, CACHE + "Get", {"key": "dadata:7707083893"})
        assert got["found"] is True and got["value"] == "e30="
        assert call(storage, CACHE + "Get", {"key": "dadata:0000000000"}) == {}  # a miss: found false
        bad = call(storage, CACHE + "Set", {"key": "dadata:1", "ttl_ms": 0, "source": "SOURCE_DADATA"})
        assert bad == {"error": "INVALID_ARGUMENT", "message": "ttl_ms: must be > 0, got 0"}
        stats = call(storage, CACHE + "Stats", {})
        assert stats["hit_rate"] == 0.5 and stats["entries"] == "1"
        exposition = storage.http("/metrics")[2]
        assert metric_value(exposition, "storage_cache_requests_total", source="dadata", result="hit") == 1
        assert storage.json("/info")[1]["backends"] == {"storage": "sqlite", "cache": "sqlite", "jobs": "sqlite", "records": "sqlite", "queue": "embedded"}


def test_job_lifecycle_over_rpc(tmp_path: Path):
    with start(tmp_path) as storage:
        enqueued = call(storage, JOBS + "Enqueue", {"request": {"inn": "7707083893"}, "idempotency_key": "k1"})
        job_id = enqueued["job"]["id"]
        assert enqueued["created"] is True
        assert call(storage, JOBS + "Enqueue", {"request": {"inn": "7707083893"}, "idempotency_key": "k1"})["job"]["id"] == job_id
        # Enqueueing created the thread for the INN, and the job records it.
        thread = call(storage, "/clientanalyze.storage.v1.Threads/GetThread", {"inn": "7707083893"})["thread"]
        assert enqueued["job"]["thread_id"] == thread["id"]
        leased = call(storage, JOBS + "Lease", {"worker": "w1", "visibility_timeout_ms": 30000})
        assert [j["id"] for j in leased["jobs"]] == [job_id]
        for stage, percent in [("STAGE_REGISTRIES", 30), ("STAGE_SCORING", 70)]:
            call(storage, JOBS + "AppendProgress", {"event": {"job_id": job_id, "stage": stage, "percent": percent}})
        watch = storage.client_process("stream", JOBS + "WatchJob", json.dumps({"job_id": job_id}))
        assert json.loads(watch.stdout.readline())["sequence"] == "1"
        assert json.loads(watch.stdout.readline())["sequence"] == "2"
        done = call(storage, JOBS + "Complete", {"job_id": job_id, "worker": "w1", "report_id": "r1"})
        assert done["job"]["state"] == "JOB_STATE_SUCCEEDED"
        out, _ = storage.finish(watch, timeout=10)
        assert json.loads(out.strip().splitlines()[-1]) == {"end": "OK"}  # the watch ends with the job
        depth = call(storage, JOBS + "QueueDepth", {})
        assert depth["by_state"]["succeeded"] == "1"
        exposition = storage.http("/metrics")[2]
        assert metric_value(exposition, "storage_jobs", state="succeeded") == 1
        assert metric_value(exposition, "storage_jobs_oldest_waiting_age_seconds") == 0  # nothing waits now


def test_kill_9_during_writes_loses_no_acknowledged_write_and_frees_leases(tmp_path: Path):
    storage = start(tmp_path)
    port = storage.rpc_port
    try:
        enqueued = call(storage, JOBS + "Enqueue", {"request": {"inn": "7707083893"}})
        leased = call(storage, JOBS + "Lease", {"worker": "doomed", "visibility_timeout_ms": 1000})
        assert leased["jobs"][0]["id"] == enqueued["job"]["id"]

        writer = storage.client_process("ack-writes", "crash:", "100000")
        acked: list[str] = []
        while len(acked) < 300:
            acked.append(json.loads(writer.stdout.readline())["acked"])
        storage.process.send_signal(signal.SIGKILL)
        storage.process.wait(timeout=10)
        rest, _ = ServiceProcess.finish(writer, timeout=30)
        acked += [json.loads(line)["acked"] for line in rest.splitlines() if "acked" in line]
    finally:
        storage.kill()

    with start(tmp_path, rpc_port=port) as restarted:
        count = call(restarted, CACHE + "Count", {"prefix": "crash:"})
        assert int(count.get("count", 0)) >= len(acked)
        for key in [acked[0], acked[len(acked) // 2], acked[-1]]:
            assert call(restarted, CACHE + "Get", {"key": key})["found"] is True
        listed = call(restarted, CACHE + "List", {"prefix": "crash:", "page": {"page_size": 1000}})
        keys = {entry["key"] for entry in listed["entries"]}
        next_cursor = listed["page"].get("next_cursor", "")
        while next_cursor:
            page = call(restarted, CACHE + "List", {"prefix": "crash:", "page": {"page_size": 1000, "cursor": next_cursor}})
            keys |= {entry["key"] for entry in page["entries"]}
            next_cursor = page["page"].get("next_cursor", "")
        missing = [key for key in acked if key not in keys]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
        # The job leased before the crash comes back once its lease runs out.
        time.sleep(1.1)
        again = call(restarted, JOBS + "Lease", {"worker": "survivor", "visibility_timeout_ms": 30000})
        assert [j["id"] for j in again["jobs"]] == [enqueued["job"]["id"]]
        assert again["jobs"][0]["attempts"] == 2
