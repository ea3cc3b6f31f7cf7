#!/usr/bin/env python3
"""`make run`: starts the stack on its documented ports, analyses one sandbox company, saves the PDF, then keeps
the stack running until Ctrl-C.

Services start in this order:
  provider-sandbox :8089 → storage :50054 → report-renderer :50053 → analyzer :50052 → gateway :50051.
Their admin ports are 9091–9094. Data goes to ./data, logs and PDFs to ./out.

Until the gateway's API exists, the analysis is submitted to storage's job queue directly, the way the gateway
will submit it.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(os.environ.get("CLA_BIN_DIR") or REPO / ".build" / "debug")
CLIENT = REPO / "Tests" / "Interop" / "chassis_client.py"
OUT, DATA, LOGS = REPO / "out", REPO / "data", REPO / "out" / "logs"
SANDBOX = "http://127.0.0.1:8089"
SERVICES = [  # name, rpc port, admin port, extra arguments
    ("storage", 50054, 9094, ["--set", f"storage.path={DATA / 'storage.sqlite'}"]),
    ("report-renderer", 50053, 9093, []),
    ("analyzer", 50052, 9092, ["--set", f"providers.sandbox_url={SANDBOX}"]),
    ("gateway", 50051, 9091, []),
]
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")
children: list[tuple[str, subprocess.Popen]] = []


def fail(message: str) -> None:
    print(f"\nmake run: {message}", file=sys.stderr)
    stop()
    sys.exit(1)


def start(name: str, command: list[str]) -> subprocess.Popen:
    log = open(LOGS / f"{name}.log", "w")
    process = subprocess.Popen(command, stdout=log if name != "provider-sandbox" else subprocess.PIPE, stderr=log, text=True,
                               start_new_session=True)
    children.append((name, process))
    return process


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def wait_ready(name: str, process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"{name} exited with {process.returncode}; see {LOGS / (name + '.log')}:\n"
                 + (LOGS / f"{name}.log").read_text()[-1500:])
        if ready(port):
            return
        time.sleep(0.1)
    fail(f"{name} was not ready within 30 s; see {LOGS / (name + '.log')}")


def call(method: str, body: dict, port: int = 50054) -> dict:
    done = subprocess.run([sys.executable, str(CLIENT), f"127.0.0.1:{port}", "call", method, json.dumps(body)],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        fail(f"{method} failed:\n{done.stderr[-1500:]}")
    reply = json.loads(done.stdout.strip().splitlines()[-1])
    if "error" in reply:
        fail(f"{method}: {reply['error']}: {reply.get('message', '')}")
    return reply


def progress_bar(percent: int, message: str) -> None:
    filled = percent * 30 // 100
    line = f"\r  [{'█' * filled}{'·' * (30 - filled)}] {percent:3d}%  {message[:60]:<60}"
    sys.stdout.write(line)
    sys.stdout.flush()


def analyse(inn: str) -> dict:
    job = call("/clientanalyze.storage.v1.Jobs/Enqueue", {"request": {"inn": inn}, "labels": {"source": "make-run"}})["job"]
    print(f"{BOLD}Analysing ИНН {inn}{RESET} {DIM}(job {job['id']}){RESET}")
    watch = subprocess.Popen([sys.executable, str(CLIENT), "127.0.0.1:50054", "stream", "/clientanalyze.storage.v1.Jobs/WatchJob",
                              json.dumps({"job_id": job["id"]})], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in watch.stdout:
        event = json.loads(line)
        if "end" in event:
            break
        progress_bar(int(event.get("percent", 0)), event.get("message", ""))
    watch.wait(timeout=10)
    progress_bar(100, "Готово")
    print()
    job = call("/clientanalyze.storage.v1.Jobs/GetJob", {"job_id": job["id"]})["job"]
    if job["state"] != "JOB_STATE_SUCCEEDED":
        fail(f"the job ended as {job['state']}: {job.get('error', '')}; see {LOGS / 'analyzer.log'}")
    return call("/clientanalyze.storage.v1.Reports/GetReport", {"id": job["report_id"]})["report"]


def save_pdf(report: dict) -> Path:
    process = subprocess.run([sys.executable, str(CLIENT), "127.0.0.1:50054", "stream", "/clientanalyze.storage.v1.Reports/GetDocument",
                              json.dumps({"report_id": report["id"], "format": "pdf"})], capture_output=True, text=True, timeout=60)
    lines = [json.loads(line) for line in process.stdout.strip().splitlines()]
    if not lines or lines[-1] != {"end": "OK"}:
        fail(f"could not fetch the PDF: {process.stderr[-1000:]}")
    path = OUT / f"{report['inn']}-v{report['version']}.pdf"
    path.write_bytes(b"".join(base64.b64decode(line["data"]) for line in lines[:-1]))
    return path


def summary(report: dict, pdf: Path, seconds: float) -> None:
    risk = report.get("risk", {})
    level = risk.get("level", "").replace("RISK_LEVEL_", "").lower()
    name = report.get("company", {}).get("short_name", report["inn"])
    print(f"\n{BOLD}{name}{RESET} — risk {BOLD}{level}{RESET}, score {risk.get('score', 0)} of 100, "
          f"confidence {round(risk.get('confidence', 0) * 100)} %")
    for marker in risk.get("markers", [])[:6]:
        print(f"  • {marker['severity'].replace('SEVERITY_', '').lower():<8} {marker['title']}")
    states = ", ".join(f"{s['source'].replace('SOURCE_', '').lower()} {s['state'].replace('STATE_', '').lower()}"
                       for s in report.get("sources", []))
    print(f"  sources: {states}")
    print(f"\n{BOLD}PDF:{RESET} {pdf.relative_to(REPO)}  {DIM}(analysed in {seconds:.1f} s){RESET}")
    print(f"""
{BOLD}Try next{RESET}
  readiness and metrics   curl localhost:9092/readyz; curl -s localhost:9092/metrics | grep provider_
  sandbox companies       curl localhost:8089/sandbox/companies
  another company         make run INN=7728456786   (64 lawsuits), 1650123403 (sanctions), 3900123459 (unknown)
  scoring model           .venv/bin/python Tests/Interop/chassis_client.py 127.0.0.1:50052 call \\
                            /clientanalyze.analyzer.v1.Analyzer/DescribeScoringModel '{{}}'
  logs                    {LOGS.relative_to(REPO)}/

The stack keeps running; Ctrl-C stops it.""")


def stop() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave services behind
    for _, process in reversed(children):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for name, process in reversed(children):
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            print(f"make run: {name} did not stop in time and was killed", file=sys.stderr)


def main() -> None:
    # Ctrl-C stops the stack even when this was started in the background (where SIGINT comes ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    inn = os.environ.get("INN") or "5402987650"
    for directory in (OUT, DATA, LOGS):
        directory.mkdir(parents=True, exist_ok=True)
    for name, _, admin, _ in SERVICES:
        if ready(admin):
            fail(f"something already answers on admin port {admin} (a previous `make run`?); stop it first")
    print(f"{BOLD}Starting the stack{RESET} {DIM}(logs in {LOGS.relative_to(REPO)}/){RESET}")
    sandbox = start("provider-sandbox", [str(BIN / "provider-sandbox"), "--port", "8089"])
    line = sandbox.stdout.readline()
    if "listening" not in line:
        fail(f"provider-sandbox did not start (port 8089 busy?): {(LOGS / 'provider-sandbox.log').read_text()[-800:]}")
    print(f"  provider-sandbox  {SANDBOX}")
    for name, rpc, admin, extra in SERVICES:
        process = start(name, [str(BIN / name), "--rpc-port", str(rpc), "--admin-port", str(admin), *extra])
        wait_ready(name, process, admin)
        print(f"  {name:<16}  gRPC 127.0.0.1:{rpc}   admin http://127.0.0.1:{admin}  ready")
    started = time.monotonic()
    report = analyse(inn)
    pdf = save_pdf(report)
    summary(report, pdf, time.monotonic() - started)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while all(process.poll() is None for _, process in children):
            time.sleep(0.5)
        stopped = [name for name, process in children if process.poll() is not None]
        print(f"\nmake run: {', '.join(stopped)} stopped; shutting the rest down", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nStopping…")
    stop()
    print("Stopped.")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        stop()
        sys.exit(130)
