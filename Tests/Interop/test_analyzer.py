"""System tests of the analysis pipeline through real processes: the provider sandbox, storage, report-renderer and
analyzer, started as executables on free loopback ports. Jobs go in through storage's queue (as the gateway will
put them) and come out as stored reports with their PDFs; a grpcio client (chassis_client.py) does the calls."""

from __future__ import annotations

import base64
import json
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from chassis_support import ServiceProcess, binary, metric_value

JOBS = "/clientanalyze.storage.v1.Jobs/"
REPORTS = "/clientanalyze.storage.v1.Reports/"
ANALYZER = "/clientanalyze.analyzer.v1.Analyzer/"


class Sandbox:
    """provider-sandbox on a free port; it prints the address it listens on."""

    def __init__(self, log_dir: Path, *args: str):
        self.log = open(log_dir / f"sandbox-{time.monotonic_ns()}.log", "w")
        self.process = subprocess.Popen([str(binary("provider-sandbox")), "--port", "0", *args],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], 15)
        line = self.process.stdout.readline() if ready else ""
        assert "listening on http://" in line, f"provider-sandbox did not start: {line!r}"
        self.url = line.strip().rsplit(" ", 1)[-1]

    def close(self):
        self.process.kill()
        self.process.wait(timeout=5)
        self.log.close()


class Stack:
    """Sandbox, storage, renderer and one analyzer (replaceable, for the crash test)."""

    def __init__(self, tmp_path: Path, sandbox_args: tuple[str, ...] = (), analyzer_args: tuple[str, ...] = ()):
        self.tmp_path = tmp_path
        self.analyzer_args = analyzer_args
        self.sandbox = Sandbox(tmp_path, *sandbox_args)
        self.storage = self.renderer = self.analyzer = None
        try:
            self.storage = ServiceProcess("storage", tmp_path)
            self.renderer = ServiceProcess("report-renderer", tmp_path)
            self.analyzer = self.start_analyzer()
        except BaseException:
            self.close()  # nothing started may outlive a failed start
            raise

    def start_analyzer(self) -> ServiceProcess:
        analyzer = ServiceProcess("analyzer", self.tmp_path, [
            "--set", f"dependencies.storage.address={self.storage.address}",
            "--set", f"dependencies.report_renderer.address={self.renderer.address}",
            "--set", f"providers.sandbox_url={self.sandbox.url}", *self.analyzer_args])
        analyzer.wait_until(lambda: analyzer.http("/readyz")[0] == 200, "analyzer ready")
        return analyzer

    def call(self, method: str, body: dict) -> dict:
        service = self.analyzer if method.startswith(ANALYZER) else self.storage
        return service.client("call", method, json.dumps(body))

    def enqueue(self, request: dict) -> str:
        return self.call(JOBS + "Enqueue", {"request": request})["job"]["id"]

    def job(self, job_id: str) -> dict:
        return self.call(JOBS + "GetJob", {"job_id": job_id})["job"]

    def wait_for(self, job_id: str, state: str = "JOB_STATE_SUCCEEDED", timeout: float = 30) -> dict:
        return self.storage.wait_until(lambda: (job := self.job(job_id))["state"] == state and job, f"job {job_id} {state}",
                                       timeout=timeout)

    def report(self, report_id: str) -> dict:
        return self.call(REPORTS + "GetReport", {"id": report_id})["report"]

    def pdf(self, report_id: str) -> bytes:
        process = self.storage.client_process("stream", REPORTS + "GetDocument",
                                              json.dumps({"report_id": report_id, "format": "pdf"}))
        out, err = process.communicate(timeout=30)  # nothing read yet, and the PDF is bigger than a pipe
        lines = [json.loads(line) for line in out.strip().splitlines()]
        assert lines[-1] == {"end": "OK"}, err
        return b"".join(base64.b64decode(line["data"]) for line in lines[:-1])

    def close(self):
        for service in (self.analyzer, self.renderer, self.storage):
            if service is not None:
                service.kill()
        self.sandbox.close()


@pytest.fixture
def stack(tmp_path: Path):
    stack = Stack(tmp_path)
    yield stack
    stack.close()


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / f"report-{time.monotonic_ns()}.pdf"
    path.write_bytes(pdf)
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0
    return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())


def test_jobs_become_stored_reports_with_pdfs(stack: Stack, tmp_path: Path):
    expected = {
        "5402987650": ("RISK_LEVEL_CRITICAL", "СИБСТРОЙМОНТАЖ", "Критический риск"),
        "7705123452": ("RISK_LEVEL_LOW", "СЕВЕРНЫЙ ВЕТЕР", "Низкий риск"),
        "3900123459": ("RISK_LEVEL_INSUFFICIENT_DATA", "Компания с ИНН 3900123459", "Недостаточно данных"),
    }
    jobs = {inn: stack.enqueue({"inn": inn}) for inn in expected}
    for inn, job_id in jobs.items():
        level, name, level_text = expected[inn]
        job = stack.wait_for(job_id)
        report = stack.report(job["report_id"])
        assert report["risk"]["level"] == level
        assert report["version"] == 1 and report["sandbox"] is True
        assert [s["source"] for s in report["sources"]] == [
            "SOURCE_DADATA", "SOURCE_CASEBOOK", "SOURCE_INFOSPHERE", "SOURCE_TAVILY", "SOURCE_PERPLEXITY"]
        text = pdf_text(stack.pdf(job["report_id"]), tmp_path)
        assert name in text and level_text in text and f"ИНН {inn}" in text
    # The sandbox's LLM wrote the narrative of a known company; the unknown one got the template.
    known = stack.report(stack.job(jobs["5402987650"])["report_id"])
    assert known["narrative"]["author"] == "AUTHOR_LLM"
    unknown = stack.report(stack.job(jobs["3900123459"])["report_id"])
    assert unknown["sources"][0]["state"] == "STATE_NOT_FOUND"
    exposition = stack.analyzer.http("/metrics")[2]
    assert metric_value(exposition, "provider_requests_total", provider="dadata", outcome="ok") >= 3
    assert metric_value(exposition, "provider_breaker_open", provider="casebook") == 0
    assert metric_value(exposition, "analyzer_jobs_total", outcome="completed") == 3
    assert metric_value(exposition, "analyzer_jobs_running") == 0


def test_feedback_rerun_links_version_2_with_a_diff(stack: Stack):
    first = stack.report(stack.wait_for(stack.enqueue({"inn": "7728456786"}))["report_id"])
    second_job = stack.enqueue({
        "inn": "7728456786", "parent_report_id": first["id"],
        "feedback": {"rating": "FEEDBACK_RATING_INACCURATE", "comment": "Без судов", "refresh_sources": ["SOURCE_CASEBOOK"]},
        "options": {"sources": ["SOURCE_DADATA", "SOURCE_INFOSPHERE", "SOURCE_TAVILY", "SOURCE_PERPLEXITY"]}})
    second = stack.report(stack.wait_for(second_job)["report_id"])
    assert second["version"] == 2
    assert second["parent_report_id"] == first["id"]
    assert second["thread_id"] == first["thread_id"]
    assert second["applied_feedback"]["comment"] == "Без судов"
    changes = {change["code"]: change["kind"] for change in second["diff_from_parent"]["marker_changes"]}
    assert changes["legal.defendant_cases"] == "KIND_REMOVED"
    assert "casebook: ok → disabled" in second["diff_from_parent"]["source_changes"]


def test_analyzer_killed_mid_job_the_job_completes_on_a_new_analyzer_without_a_duplicate(tmp_path: Path):
    stack = Stack(tmp_path, sandbox_args=("--latency", "dadata=1500"), analyzer_args=("--set", "worker.visibility=3s"))
    try:
        job_id = stack.enqueue({"inn": "5402987650"})
        stack.wait_for(job_id, "JOB_STATE_RUNNING", timeout=10)
        stack.analyzer.signal(signal.SIGKILL)
        stack.analyzer.wait(timeout=5)
        stack.analyzer = stack.start_analyzer()
        job = stack.wait_for(job_id, timeout=30)
        assert job["attempts"] == 2, (job, stack.analyzer.log_text()[-3000:])  # the lease ran out; delivered again
        reports = stack.call(REPORTS + "ListReports", {"filter": {"inn": "5402987650"}})
        assert len(reports["reports"]) == 1
    finally:
        stack.close()


def test_analyzer_rpcs(stack: Stack):
    model = stack.call(ANALYZER + "DescribeScoringModel", {})
    assert model["version"] == "2026.11.1"
    assert any(rule["code"] == "registration.liquidated" and rule["level_floor"] == "RISK_LEVEL_CRITICAL" for rule in model["rules"])
    card = stack.call(ANALYZER + "LookupSource", {"source": "SOURCE_DADATA", "inn": "7816345676"})
    assert card["status"]["state"] == "STATE_OK" and card["company"]["status"] == "COMPANY_STATUS_LIQUIDATED"
    bad = stack.call(ANALYZER + "LookupSource", {"source": "SOURCE_DADATA", "inn": "7816345670"})
    assert bad["error"] == "INVALID_ARGUMENT" and "checksum" in bad["message"]
    status = stack.call(ANALYZER + "WorkerStatus", {})
    assert status["queue_backend"] == "embedded" and status["concurrency"] == 2
    assert set(status["breakers"]) >= {"dadata", "casebook", "infosphere", "tavily", "perplexity"}
