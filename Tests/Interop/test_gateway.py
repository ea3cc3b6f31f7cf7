"""System tests of the front door: the four real executables and the provider sandbox on free loopback ports,
called as users call them — REST with urllib, gRPC with a Python grpcio client (chassis_client.py, a child
process). Every service shares a service token; the gateway writes its generated admin key to a file."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from backend_servers import RabbitMQ, Tarantool, free_port
from chassis_support import ServiceProcess, binary, metric_value
from test_analyzer import Sandbox, pdf_text

TOKEN = "internal-service-token-for-tests"
GATEWAY = "/clientanalyze.gateway.v1."


class GatewayStack:
    def __init__(self, tmp_path: Path, sandbox_args: tuple[str, ...] = (), gateway_args: tuple[str, ...] = (),
                 analyzer_args: tuple[str, ...] = (), backend: str = "sqlite", common_args: tuple[str, ...] = (),
                 rest_tls: ssl.SSLContext | None = None, command_prefix: tuple[str, ...] = ()):
        """`common_args` go to every service; `rest_tls` calls the REST port over HTTPS with that context;
        `command_prefix` runs every service through that command."""
        self.tmp_path = tmp_path
        self.command_prefix = command_prefix
        self.analyzer_args = analyzer_args
        self.common_args = common_args
        self.rest_tls = rest_tls
        self.rest_base = ""
        self.sandbox = Sandbox(tmp_path, *sandbox_args)
        self.services: list[ServiceProcess] = []
        self.tarantool = None
        self.rabbitmq = None
        try:
            storage_args = []
            if backend.startswith("tarantool"):
                self.tarantool = Tarantool(tmp_path)
                storage_args = self.tarantool.storage_args()
            if backend.endswith("+rabbitmq"):
                self.rabbitmq = RabbitMQ(tmp_path)
                storage_args += self.rabbitmq.args()
                self.analyzer_args = (*analyzer_args, *self.rabbitmq.args())
            self.storage = self.start("storage", storage_args)
            self.renderer = self.start("report-renderer")
            self.analyzer = self.start_analyzer()
            self.gateway = self.start("gateway", [
                "--set", f"dependencies.storage.address={self.storage.address}",
                "--set", f"dependencies.analyzer.address={self.analyzer.address}",
                "--set", f"dependencies.report_renderer.address={self.renderer.address}",
                "--set", "rest.port=0", "--set", f"auth.admin_key_file={tmp_path / 'admin.key'}", *gateway_args])
            self.rest_port = self.gateway.wait_until(
                lambda: next((int(line["rest.port"]) for line in self.gateway.log_lines() if "rest.port" in line), None), "REST port")
            self.rest_base = f"{'https' if rest_tls else 'http'}://127.0.0.1:{self.rest_port}"
            self.admin_key = self.gateway.wait_until(
                lambda: (tmp_path / "admin.key").exists() and (tmp_path / "admin.key").read_text().strip(), "admin key file")
            self.gateway.wait_until(lambda: self.gateway.http("/readyz")[0] == 200, "gateway ready")
        except BaseException:
            self.close()
            raise

    def start(self, name: str, args: list[str] = (), rpc_port: int = 0) -> ServiceProcess:
        service = ServiceProcess(name, self.tmp_path, [*self.common_args, *args, "--set", f"rpc.service_token={TOKEN}"],
                                 rpc_port=rpc_port, prefix=self.command_prefix)
        self.services.append(service)
        return service

    def start_analyzer(self) -> ServiceProcess:
        analyzer = self.start("analyzer", [
            "--set", f"dependencies.storage.address={self.storage.address}",
            "--set", f"dependencies.report_renderer.address={self.renderer.address}",
            "--set", f"providers.sandbox_url={self.sandbox.url}", *self.analyzer_args])
        analyzer.wait_until(lambda: analyzer.http("/readyz")[0] == 200, "analyzer ready")
        return analyzer

    def close(self):
        for service in reversed(self.services):
            service.kill()
        self.sandbox.close()
        if self.tarantool:
            self.tarantool.close()
        if self.rabbitmq:
            self.rabbitmq.close()

    # REST

    def rest(self, method: str, path: str, body: dict | None = None, key: str | None = "admin",
             headers: dict | None = None) -> tuple[int, dict, dict | bytes]:
        """Status, headers and the JSON (or raw) body of one REST call."""
        request = urllib.request.Request(f"{self.rest_base}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if key:
            request.add_header("Authorization", f"Bearer {self.admin_key if key == 'admin' else key}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.rest_tls) as response:
                status, head, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, head, raw = error.code, dict(error.headers), error.read()
        is_json = head.get("Content-Type", "").startswith("application/json")
        return status, head, json.loads(raw) if is_json else raw

    def events(self, job_id: str, key: str = "admin") -> list[tuple[str, dict]]:
        """The job's Server-Sent Events until the stream ends: (event name, data)."""
        request = urllib.request.Request(f"{self.rest_base}/api/v1/jobs/{job_id}/events")
        request.add_header("Authorization", f"Bearer {self.admin_key if key == 'admin' else key}")
        events, name = [], None
        with urllib.request.urlopen(request, timeout=60, context=self.rest_tls) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[len("event: "):]
                elif line.startswith("data: "):
                    events.append((name, json.loads(line[len("data: "):])))
        return events

    def create_key(self, role: str, rate: int = 0) -> str:
        status, _, body = self.rest("POST", "/api/v1/admin/keys", {"name": f"{role} key", "role": role, "rate_limit_per_minute": rate})
        assert status == 201, body
        return body["secret"]

    def wait_job(self, job_id: str, state: str = "JOB_STATE_SUCCEEDED", timeout: float = 30) -> dict:
        return self.gateway.wait_until(
            lambda: (job := self.rest("GET", f"/api/v1/jobs/{job_id}")[2]["job"])["state"] == state and job,
            f"job {job_id} {state}", timeout=timeout)

    # gRPC through grpcio

    def grpc(self, method: str, body: dict, key: str | None = "admin") -> dict:
        metadata = [f"authorization=Bearer {self.admin_key if key == 'admin' else key}"] if key else []
        return self.gateway.client("call", GATEWAY + method, json.dumps(body), *metadata)


@pytest.fixture(scope="module", params=["sqlite", "tarantool", "tarantool+rabbitmq"])
def stack(tmp_path_factory, request):
    """The whole system three times: with the embedded defaults; with the cache and the job queue in Tarantool;
    and with Tarantool and the jobs delivered through RabbitMQ."""
    stack = GatewayStack(tmp_path_factory.mktemp(f"gateway-{request.param.replace('+', '-')}"), backend=request.param)
    if request.param.startswith("tarantool"):
        backends = stack.storage.json("/info")[1]["backends"]
        assert backends["jobs"] == "tarantool" and backends["records"] == "tarantool", backends
        # Storage exports Tarantool's memtx memory (backend_servers.Tarantool gives it 64 MiB).
        metrics = lambda: stack.storage.http("/metrics")[2]
        quota = stack.storage.wait_until(lambda: metric_value(metrics(), "storage_tarantool_memory_quota_bytes"), "Tarantool memory gauges")
        assert quota == 64 << 20 and 0 < metric_value(metrics(), "storage_tarantool_memory_used_bytes") <= quota
    queue = "rabbitmq" if request.param.endswith("+rabbitmq") else "embedded"
    assert stack.storage.json("/info")[1]["backends"]["queue"] == queue
    assert stack.analyzer.json("/info")[1]["backends"]["queue"] == queue
    yield stack
    stack.close()


def test_the_openapi_document_is_valid_openapi_3_1_and_lists_every_operation(stack: GatewayStack):
    status, _, document = stack.rest("GET", "/api/v1/openapi.json", key=None)
    assert status == 200 and document["openapi"] == "3.1.0"
    validate(document)
    operations = {op["x-grpc-method"] for path in document["paths"].values() for op in path.values()}
    services = stack.gateway.client("reflect")["services"]
    for service in [s for s in services if s.startswith("clientanalyze.gateway.v1.")]:
        assert any(op.startswith(f"/{service}/") for op in operations), service
    assert document["paths"]["/api/v1/analyses"]["post"]["x-required-role"] == "analyst"


def test_rest_inn_to_pdf_with_progress_events(stack: GatewayStack, tmp_path: Path):
    status, head, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "5402987650", "client_name": "Поставщик"}},
                                    headers={"Idempotency-Key": "rest-1"})
    assert status == 202, body
    assert head["x-request-id"] and head["x-content-type-options"] == "nosniff" and "Access-Control-Allow-Origin" not in head
    job = body["job"]
    assert job["request"]["inn"] == "5402987650" and body["created"] is True
    again = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "5402987650", "client_name": "Поставщик"}},
                       headers={"Idempotency-Key": "rest-1"})[2]
    assert again["job"]["id"] == job["id"] and again["created"] is False

    events = stack.events(job["id"])
    assert events[-1][0] == "end"
    progress = [data for name, data in events if name == "progress"]
    assert progress[0]["sequence"] == 1 and progress[-1]["stage"] == "STAGE_COMPLETED" and progress[-1]["percent"] == 100
    done = stack.wait_job(job["id"])
    status, _, report = stack.rest("GET", f"/api/v1/reports/{done['report_id']}")
    assert status == 200 and report["report"]["risk"]["level"] == "RISK_LEVEL_CRITICAL"

    status, head, pdf = stack.rest("GET", f"/api/v1/reports/{done['report_id']}/document")
    assert status == 200 and head["Content-Type"] == "application/pdf"
    assert head["Content-Disposition"] == 'attachment; filename="5402987650-v1.pdf"'
    text = pdf_text(pdf, tmp_path)
    assert "СИБСТРОЙМОНТАЖ" in text and "ИНН 5402987650" in text
    status, head, html = stack.rest("GET", f"/api/v1/reports/{done['report_id']}/document?format=html")
    assert status == 200 and head["Content-Type"].startswith("text/html") and b"5402987650" in html
    status, head, csv = stack.rest("GET", "/api/v1/reports/export?format=csv&filter.inn=5402987650")
    assert status == 200 and "reports.csv" in head["Content-Disposition"] and b"5402987650" in csv
    if stack.rabbitmq:
        # The job went through the broker: storage counted its confirmed publish and exports the queues' depths.
        metrics = stack.storage.http("/metrics")[2]
        published = [float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("storage_jobs_published_total")]
        assert published and published[0] >= 1, metrics
        assert 'storage_broker_messages{queue="dead"}' in metrics and 'storage_broker_messages{queue="jobs"}' in metrics


def test_grpc_inn_to_pdf_with_python_grpcio(stack: GatewayStack, tmp_path: Path):
    submitted = stack.grpc("Analyses/Submit", {"request": {"inn": "7705123452"}})
    job_id = submitted["job"]["id"]
    watch = stack.gateway.client("stream", GATEWAY + "Analyses/WatchJob", json.dumps({"job_id": job_id}),
                                 f"authorization=Bearer {stack.admin_key}")
    assert watch == {"end": "OK"}
    job = stack.grpc("Analyses/GetJob", {"job_id": job_id})["job"]
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    target = tmp_path / "grpc.pdf"
    download = stack.gateway.client("download", GATEWAY + "Reports/DownloadReport", json.dumps({"report_id": job["report_id"]}),
                                    str(target), f"authorization=Bearer {stack.admin_key}")
    assert download["first"]["file_name"] == "7705123452-v1.pdf" and download["first"]["content_type"] == "application/pdf"
    assert "СЕВЕРНЫЙ ВЕТЕР" in pdf_text(target.read_bytes(), tmp_path)


def test_feedback_with_rerun_gives_version_2_linked_to_version_1_with_a_diff(stack: GatewayStack):
    first_job = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7728456786"}})[2]["job"]
    first_id = stack.wait_job(first_job["id"])["report_id"]
    status, _, body = stack.rest("POST", "/api/v1/feedback", {"feedback": {
        "report_id": first_id, "rating": "FEEDBACK_RATING_INACCURATE", "comment": "Проверьте суды заново",
        "refresh_sources": ["SOURCE_CASEBOOK"], "rerun": True}})
    assert status == 201, body
    assert body["feedback"]["rerun_job_id"] == body["rerun_job"]["id"]
    second_id = stack.wait_job(body["rerun_job"]["id"])["report_id"]
    second = stack.rest("GET", f"/api/v1/reports/{second_id}")[2]["report"]
    assert second["version"] == 2 and second["parent_report_id"] == first_id
    assert second["applied_feedback"]["comment"] == "Проверьте суды заново"
    assert second["diff_from_parent"]["base_report_id"] == first_id
    thread = stack.rest("GET", "/api/v1/threads/by-inn/7728456786")[2]
    assert [r["version"] for r in thread["reports"]] == [1, 2] and thread["feedback"][0]["report_id"] == first_id
    compared = stack.rest("POST", "/api/v1/reports/compare", {"report_ids": [first_id, second_id]})[2]
    assert compared["diffs"][0]["report_id"] == second_id


def test_a_bad_inn_is_400_naming_the_checksum_over_rest_and_invalid_argument_over_grpc(stack: GatewayStack):
    status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7707083894"}})
    assert status == 400
    assert body["error"] == {"code": "INVALID_ARGUMENT", "message": "request.inn: checksum digit 10 must be 3, got 4",
                             "details": body["error"]["details"]}
    assert stack.grpc("Analyses/Submit", {"request": {"inn": "7707083894"}})["message"] == "request.inn: checksum digit 10 must be 3, got 4"
    status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7707083893", "options": {"sources": ["NOPE"]}}})
    assert status == 400 and body["error"]["message"].startswith('request.options.sources[0]: unknown value "NOPE"')
    status, _, body = stack.rest("GET", "/api/v1/reports?page.page_size=5000")
    assert status == 400 and body["error"]["message"] == "page.page_size: must be 0–1000 (0: the default 50), got 5000"
    status, _, body = stack.rest("GET", "/api/v1/nothing-here")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def test_without_a_valid_key_calls_are_401(stack: GatewayStack):
    status, head, body = stack.rest("GET", "/api/v1/jobs", key=None)
    assert status == 401 and body["error"]["code"] == "UNAUTHENTICATED" and head["WWW-Authenticate"].startswith("Bearer")
    assert stack.rest("GET", "/api/v1/jobs", key="cla_keyunknown_0123456789abcdef0123")[0] == 401
    assert stack.rest("GET", "/api/v1/jobs", key="not-a-key")[0] == 401
    assert stack.grpc("Analyses/ListJobs", {}, key=None)["error"] == "UNAUTHENTICATED"


def test_roles_a_viewer_reads_but_cannot_submit_and_revoked_keys_stop_working(stack: GatewayStack):
    viewer = stack.create_key("ROLE_VIEWER")
    assert stack.rest("GET", "/api/v1/jobs", key=viewer)[0] == 200
    status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7707083893"}}, key=viewer)
    assert status == 403 and "needs the analyst role" in body["error"]["message"]
    assert stack.grpc("Analyses/Submit", {"request": {"inn": "7707083893"}}, key=viewer)["error"] == "PERMISSION_DENIED"
    analyst = stack.create_key("ROLE_ANALYST")
    assert stack.rest("GET", "/api/v1/admin/keys", key=analyst)[0] == 403
    key_id = analyst.split("_")[1]
    assert stack.rest("DELETE", f"/api/v1/admin/keys/{key_id}")[0] == 200
    assert stack.rest("GET", "/api/v1/jobs", key=analyst)[0] == 401
    audit = stack.rest("GET", "/api/v1/admin/audit?action_prefix=gateway.v1.Analyses/Submit")[2]["records"]
    assert any(r["outcome"] == "PERMISSION_DENIED" and r["role"] == "ROLE_VIEWER" for r in audit)
    assert any(r["outcome"] == "OK" and r["actor"] == stack.admin_key.split("_")[1] for r in audit)


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(stack: GatewayStack):
    limited = stack.create_key("ROLE_VIEWER", rate=3)
    assert [stack.rest("GET", "/api/v1/jobs", key=limited)[0] for _ in range(3)] == [200, 200, 200]
    status, head, body = stack.rest("GET", "/api/v1/jobs", key=limited)
    assert status == 429 and body["error"]["code"] == "RESOURCE_EXHAUSTED" and int(head["Retry-After"]) >= 1
    assert stack.grpc("Analyses/ListJobs", {}, key=limited)["error"] == "RESOURCE_EXHAUSTED"


def test_internal_services_refuse_calls_without_the_service_token(stack: GatewayStack):
    refused = stack.storage.client("call", "/clientanalyze.storage.v1.Jobs/QueueDepth", "{}")
    assert refused["error"] == "UNAUTHENTICATED"
    allowed = stack.storage.client("call", "/clientanalyze.storage.v1.Jobs/QueueDepth", "{}", f"x-service-token={TOKEN}")
    assert "error" not in allowed


def test_a_slow_dependency_gives_504_within_the_budget(tmp_path: Path):
    # DaData answers after 5 s; a 504 (not DaData's card) shows the 1 s budget ended the call.
    stack = GatewayStack(tmp_path, sandbox_args=("--latency", "dadata=5000"), gateway_args=("--set", "api.default_timeout=1s"))
    try:
        status, _, body = stack.rest("GET", "/api/v1/sources/lookup?source=dadata&inn=5402987650")
        assert status == 504 and body["error"]["code"] == "DEADLINE_EXCEEDED", body
    finally:
        stack.close()


def test_storage_down_gives_503_quickly_then_recovers_without_restarting_the_gateway(tmp_path: Path):
    stack = GatewayStack(tmp_path)
    try:
        assert stack.rest("GET", "/api/v1/jobs")[0] == 200  # the key is verified (and remembered)
        port = stack.storage.rpc_port
        stack.storage.kill()
        # UNAVAILABLE at once, not DEADLINE_EXCEEDED after waiting out the 30 s budget.
        status, _, body = stack.rest("GET", "/api/v1/jobs")
        assert status == 503 and body["error"]["code"] == "UNAVAILABLE", body
        stack.storage = stack.start("storage", rpc_port=port)
        stack.gateway.wait_until(lambda: stack.rest("GET", "/api/v1/jobs")[0] == 200, "gateway serving again", timeout=20)
    finally:
        stack.close()


def test_analyzer_killed_mid_job_the_job_completes_after_a_new_analyzer_starts(tmp_path: Path):
    stack = GatewayStack(tmp_path, sandbox_args=("--latency", "dadata=1500"), analyzer_args=("--set", "worker.visibility=3s"))
    try:
        job_id = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "5402987650"}})[2]["job"]["id"]
        stack.wait_job(job_id, "JOB_STATE_RUNNING", timeout=10)
        stack.analyzer.signal(signal.SIGKILL)
        stack.analyzer.wait(timeout=5)
        stack.analyzer = stack.start_analyzer()
        job = stack.wait_job(job_id, timeout=30)
        assert job["attempts"] == 2
        reports = stack.rest("GET", "/api/v1/reports?filter.inn=5402987650")[2]["reports"]
        assert len(reports) == 1
    finally:
        stack.close()


def cla(stack: GatewayStack, *args: str, key: str = "admin") -> subprocess.CompletedProcess:
    return subprocess.run([str(binary("cla")), *args, "--gateway", stack.gateway.address, "--key",
                           stack.admin_key if key == "admin" else key], capture_output=True, text=True, timeout=120)


def test_the_cla_command_line(stack: GatewayStack, tmp_path: Path):
    pdf = tmp_path / "cla.pdf"
    done = cla(stack, "analyze", "1650123403", "--pdf", str(pdf))
    assert done.returncode == 0, done.stderr
    assert "ИНН 1650123403" in done.stdout and "risk " in done.stdout and f"PDF: {pdf}" in done.stdout
    assert "ИНН 1650123403" in pdf_text(pdf.read_bytes(), tmp_path)

    bad = cla(stack, "analyze", "7707083894")
    assert bad.returncode == 1 and bad.stderr.strip() == "cla: INVALID_ARGUMENT: request.inn: checksum digit 10 must be 3, got 4"

    listed = cla(stack, "list", "--inn", "1650123403", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)["reports"][0]["inn"] == "1650123403"
    report_id = json.loads(listed.stdout)["reports"][0]["id"]
    shown = cla(stack, "report", "1650123403", "--json")
    assert json.loads(shown.stdout)["report"]["id"] == report_id

    rerun = cla(stack, "feedback", report_id, "--rating", "partially_accurate", "--comment", "ещё раз", "--rerun", "--json")
    assert rerun.returncode == 0, rerun.stderr
    job_id = json.loads(rerun.stdout)["rerun_job"]["id"]
    stack.wait_job(job_id)
    assert "succeeded" in cla(stack, "status", job_id).stdout

    created = cla(stack, "keys", "create", "cli viewer", "--role", "viewer", "--json")
    viewer = json.loads(created.stdout)["secret"]
    denied = cla(stack, "analyze", "1650123403", key=viewer)
    assert denied.returncode == 1 and "PERMISSION_DENIED" in denied.stderr
    assert cla(stack, "search", "1650123403").returncode == 0
    assert cla(stack, "list", key="cla_nobody_0123456789abcdef0").returncode == 1


def test_sigterm_stops_the_gateway_while_storage_is_unreachable(tmp_path: Path):
    """The admin-key bootstrap retries while storage is away; it must not hold up a shutdown."""
    gateway = ServiceProcess("gateway", tmp_path, [
        "--set", f"dependencies.storage.address=127.0.0.1:{free_port()}", "--set", "rest.port=0",
        "--set", f"auth.admin_key_file={tmp_path / 'admin.key'}", "--set", f"rpc.service_token={TOKEN}"])
    try:
        gateway.wait_until(lambda: gateway.http("/readyz")[0] == 503, "gateway not ready (no storage)")
        gateway.process.send_signal(signal.SIGTERM)
        code = gateway.process.wait(timeout=30)
        assert code == 0, gateway.log_text()[-2000:]
        assert not (tmp_path / "admin.key").exists()
    finally:
        gateway.kill()


def test_services_without_net_admin_reach_each_other_as_in_a_container(tmp_path: Path):
    """Containers run the services as their own user, without CAP_NET_ADMIN (here: root with that capability
    dropped from its bounding set). Every socket option the transports set must be allowed to such a process:
    setting SO_DEBUG where TCP_NODELAY was meant made each connection fail with "permission denied"."""
    stack = GatewayStack(tmp_path, command_prefix=("setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin"))
    try:
        capabilities = (Path("/proc") / str(stack.gateway.process.pid) / "status").read_text()
        effective = int(next(line.split()[1] for line in capabilities.splitlines() if line.startswith("CapEff:")), 16)
        assert not effective & (1 << 12), "the gateway still has CAP_NET_ADMIN"  # 12: CAP_NET_ADMIN
        status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "5402987650"}})
        assert status == 202, body
        done = stack.wait_job(body["job"]["id"])
        status, head, pdf = stack.rest("GET", f"/api/v1/reports/{done['report_id']}/document")
        assert status == 200 and head["Content-Type"] == "application/pdf"
        assert "СИБСТРОЙМОНТАЖ" in pdf_text(pdf, tmp_path)
    finally:
        stack.close()
