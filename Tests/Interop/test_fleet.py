"""The fleet under faults (issue 27, item 5): two gateways, three analyzers, two storage instances on Tarantool
and RabbitMQ, one renderer, all on loopback. Clients submit a bounded load of analyses, each with its own
Idempotency-Key, to either gateway (trying the other when one is down) while a loop kills -9 a random gateway,
analyzer or storage instance and starts it again on the same port. Afterwards every acknowledged job has
finished exactly once: one report each, none lost, none duplicated."""

from __future__ import annotations

import json
import random
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from backend_servers import RabbitMQ, Tarantool, free_port
from chassis_support import ServiceProcess
from test_analyzer import Sandbox
from test_gateway import TOKEN

ADMIN_KEY = "cla_fleetadmin_0123456789abcdef0123"
SUBMISSIONS = 90
CLIENTS = 3
FAULT_SECONDS = 24


def valid_inn(number: int, region: str = "77") -> str:
    """A ten-digit company INN of a region with its check digit (the sandbox answers it as a synthetic company)."""
    digits = [int(d) for d in f"{region}{number:07d}"]
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    return "".join(map(str, digits)) + str(sum(d * w for d, w in zip(digits, weights)) % 11 % 10)


class Fleet:
    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.instances: dict[str, ServiceProcess] = {}
        self.ports: dict[str, int] = {}
        self.args: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        self.tarantool = Tarantool(tmp_path)
        self.rabbitmq = RabbitMQ(tmp_path)
        self.sandbox = Sandbox(tmp_path, "--latency", "dadata=150", "--latency", "casebook=150")
        common = ["--set", f"rpc.service_token={TOKEN}", "--set", "health.probe_interval=200ms"]
        for name in ("storage-1", "storage-2"):
            self.ports[name] = free_port()
            self.args[name] = [*common, *self.tarantool.storage_args(), *self.rabbitmq.args()]
        storages = ",".join(f"127.0.0.1:{self.ports[n]}" for n in ("storage-1", "storage-2"))
        self.ports["report-renderer"] = free_port()
        self.args["report-renderer"] = common
        for name in ("analyzer-1", "analyzer-2", "analyzer-3"):
            self.ports[name] = free_port()
            self.args[name] = [*common, *self.rabbitmq.args(), "--set", f"dependencies.storage.address={storages}",
                               "--set", f"dependencies.report_renderer.address=127.0.0.1:{self.ports['report-renderer']}",
                               "--set", f"providers.sandbox_url={self.sandbox.url}", "--set", "worker.visibility=3s"]
        analyzers = ",".join(f"127.0.0.1:{self.ports[f'analyzer-{i}']}" for i in (1, 2, 3))
        for name in ("gateway-1", "gateway-2"):
            self.ports[name] = free_port()
            self.ports[f"{name}-rest"] = free_port()
            self.args[name] = [*common, "--set", f"dependencies.storage.address={storages}",
                               "--set", f"dependencies.analyzer.address={analyzers}",
                               "--set", f"dependencies.report_renderer.address=127.0.0.1:{self.ports['report-renderer']}",
                               "--set", f"rest.port={self.ports[f'{name}-rest']}", "--set", f"auth.bootstrap_admin_key={ADMIN_KEY}",
                               "--set", f"auth.admin_key_file={tmp_path / 'unused-admin.key'}",
                               "--set", "auth.default_rate_per_minute=1000000"]
        for name in ("storage-1", "storage-2", "report-renderer", "analyzer-1", "analyzer-2", "analyzer-3", "gateway-1", "gateway-2"):
            self.start(name)
        for name in self.instances:
            self.wait_ready(name)

    def executable(self, name: str) -> str:
        return name.rsplit("-", 1)[0] if name[-1].isdigit() else name

    def start(self, name: str) -> None:
        service = ServiceProcess(self.executable(name), self.tmp_path, self.args[name], rpc_port=self.ports[name])
        with self.lock:
            self.instances[name] = service

    def wait_ready(self, name: str, timeout: float = 30) -> float:
        started = time.monotonic()
        service = self.instances[name]
        service.wait_until(lambda: service.http("/readyz")[0] == 200, f"{name} ready", timeout=timeout)
        return time.monotonic() - started

    def kill(self, name: str) -> None:
        with self.lock:
            service = self.instances[name]
        service.signal(signal.SIGKILL)
        service.wait(timeout=10)
        service.kill()

    def rest(self, gateway: str, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.ports[f'{gateway}-rest']}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None)
        request.add_header("Authorization", f"Bearer {ADMIN_KEY}")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw.startswith(b"{") else raw

    def close(self) -> None:
        for service in self.instances.values():
            service.kill()
        self.sandbox.close()
        self.rabbitmq.close()
        self.tarantool.close()


def test_killing_any_instance_in_a_loop_loses_and_duplicates_no_acknowledged_job(tmp_path):
    fleet = Fleet(tmp_path)
    try:
        acknowledged: dict[str, str] = {}  # INN → job id
        refusals: list[str] = []
        gateways = ["gateway-1", "gateway-2"]
        next_inn = iter(range(SUBMISSIONS))
        take = threading.Lock()

        errors: list[BaseException] = []

        def recording(body):
            """Runs `body` in a thread, keeping what it raised for the test to raise."""
            def run() -> None:
                try:
                    body()
                except BaseException as error:
                    errors.append(error)
            return run

        def submit_all() -> None:
            while True:
                with take:
                    number = next(next_inn, None)
                if number is None:
                    return
                inn, key = valid_inn(number), f"fleet-{number}"
                for attempt in range(200):
                    gateway = gateways[(number + attempt) % 2]
                    try:
                        status, body = fleet.rest(gateway, "POST", "/api/v1/analyses", {"request": {"inn": inn}},
                                                  headers={"Idempotency-Key": key})
                    except (OSError, urllib.error.URLError) as error:
                        refusals.append(f"{gateway}: {error}")
                        time.sleep(0.1)
                        continue
                    if status in (200, 202):
                        with take:
                            acknowledged[inn] = body["job"]["id"]
                        break
                    assert status in (429, 500, 502, 503, 504), (status, body)  # down or restarting: try again
                    refusals.append(f"{gateway}: {status} {body}")
                    time.sleep(0.1)
                else:
                    raise AssertionError(f"{inn} was never acknowledged: {refusals[-5:]}")
                time.sleep(FAULT_SECONDS * CLIENTS / SUBMISSIONS * 0.8)

        kills: list[tuple[float, str]] = []
        recoveries: list[float] = []
        stop = threading.Event()
        chooser = random.Random(20261207)

        def faults() -> None:
            kinds = {"gateway": ["gateway-1", "gateway-2"], "analyzer": ["analyzer-1", "analyzer-2", "analyzer-3"],
                     "storage": ["storage-1", "storage-2"]}
            while not stop.is_set():
                for kind in ("analyzer", "storage", "gateway"):
                    if stop.wait(1.5):
                        return
                    victim = chooser.choice(kinds[kind])
                    kills.append((time.monotonic(), victim))
                    fleet.kill(victim)
                    time.sleep(0.3)
                    restarted = time.monotonic()
                    fleet.start(victim)
                    fleet.wait_ready(victim)
                    recoveries.append(time.monotonic() - restarted)

        started = time.monotonic()
        clients = [threading.Thread(target=recording(submit_all)) for _ in range(CLIENTS)]
        chaos = threading.Thread(target=recording(faults))
        chaos.start()
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=300)
        stop.set()
        chaos.join(timeout=60)
        submitted_for = time.monotonic() - started
        if errors:
            raise errors[0]
        assert len(acknowledged) == SUBMISSIONS

        # Every acknowledged job ends, once: one report each, and no INN with a second one.
        pending = dict(acknowledged)
        finished: dict[str, dict] = {}
        deadline = time.monotonic() + 180
        while pending and time.monotonic() < deadline:
            for inn, job_id in list(pending.items()):
                status, body = fleet.rest(gateways[len(pending) % 2], "GET", f"/api/v1/jobs/{job_id}")
                assert status == 200, body
                state = body["job"]["state"]
                assert state not in ("JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_DEAD"), body
                if state == "JOB_STATE_SUCCEEDED":
                    finished[inn] = body["job"]
                    del pending[inn]
            time.sleep(0.5)
        drained_after = time.monotonic() - started
        assert not pending, f"{len(pending)} jobs did not finish: {list(pending.items())[:5]}"
        report_ids = [job["report_id"] for job in finished.values()]
        assert len(set(report_ids)) == SUBMISSIONS
        for inn, job in finished.items():
            status, body = fleet.rest("gateway-1", "GET", f"/api/v1/reports?filter.inn={inn}")
            assert status == 200 and [r["id"] for r in body["reports"]] == [job["report_id"]], (inn, body)
        retried = sum(1 for job in finished.values() if job.get("attempts", 1) > 1)
        kinds_killed = {victim.rsplit("-", 1)[0] for _, victim in kills}
        assert kinds_killed == {"gateway", "analyzer", "storage"}, kills
        print(f"\n{SUBMISSIONS} analyses acknowledged in {submitted_for:.1f} s "
              f"({SUBMISSIONS / submitted_for:.1f}/s) while {len(kills)} instances were killed -9 and restarted "
              f"({', '.join(v for _, v in kills)}); {len(refusals)} submission attempts refused on the way; "
              f"{retried} jobs ran again after their analyzer died; all finished {drained_after:.1f} s after the start; "
              f"a restarted instance was ready {min(recoveries):.2f}–{max(recoveries):.2f} s after it was started "
              f"(median {sorted(recoveries)[len(recoveries) // 2]:.2f} s)")
    finally:
        fleet.close()
