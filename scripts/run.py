#!/usr/bin/env python3
"""`make run`: starts the stack on its documented ports, analyses one sandbox company, saves the PDF, then keeps
the stack running until Ctrl-C.

Services start in this order:
  provider-sandbox :8089 → storage :50054 → report-renderer :50053 → analyzer :50052 → gateway :50051 (REST :8080).
Their admin ports are 9091–9094. Data goes to ./data (the SQLite database and the gateway's generated admin key),
logs and PDFs to ./out. The analysis goes through the gateway's REST API like any client's: submit, follow the
Server-Sent Events, fetch the report and its PDF.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(os.environ.get("CLA_BIN_DIR") or REPO / ".build" / "debug")
OUT, DATA, LOGS = REPO / "out", REPO / "data", REPO / "out" / "logs"
SANDBOX = "http://127.0.0.1:8089"
SERVICES = [  # name, rpc port, admin port, extra arguments
    ("storage", 50054, 9094, ["--set", f"storage.path={DATA / 'storage.sqlite'}"]),
    ("report-renderer", 50053, 9093, []),
    ("analyzer", 50052, 9092, ["--set", f"providers.sandbox_url={SANDBOX}"]),
    ("gateway", 50051, 9091, ["--set", "rest.port=8080", "--set", f"auth.admin_key_file={DATA / 'admin.key'}"]),
]
API = "http://127.0.0.1:8080/api/v1"
# The services accept each other's calls only with this token; a new one each run, passed in the environment.
SERVICE_TOKEN = secrets.token_hex(24)
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")
children: list[tuple[str, subprocess.Popen]] = []


def fail(message: str) -> None:
    print(f"\nmake run: {message}", file=sys.stderr)
    stop()
    sys.exit(1)


def start(name: str, command: list[str]) -> subprocess.Popen:
    log = open(LOGS / f"{name}.log", "w")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLA_")}
    environment["CLA_RPC_SERVICE_TOKEN"] = SERVICE_TOKEN
    process = subprocess.Popen(command, stdout=log if name != "provider-sandbox" else subprocess.PIPE, stderr=log, text=True,
                               start_new_session=True, env=environment)
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


def admin_key() -> str:
    path = DATA / "admin.key"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.1)
    fail(f"the gateway did not write its admin key to {path}; see {LOGS / 'gateway.log'}")


def api(method: str, path: str, body: dict | None = None) -> tuple[dict, bytes]:
    """One REST call to the gateway: the response headers and body."""
    request = urllib.request.Request(API + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {admin_key()}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        fail(f"{method} {path}: HTTP {error.code}: {error.read().decode(errors='replace')[:500]}")


def progress_bar(percent: int, message: str) -> None:
    filled = percent * 30 // 100
    line = f"\r  [{'█' * filled}{'·' * (30 - filled)}] {percent:3d}%  {message[:60]:<60}"
    sys.stdout.write(line)
    sys.stdout.flush()


def analyse(inn: str) -> dict:
    _, body = api("POST", "/analyses", {"request": {"inn": inn}})
    job = json.loads(body)["job"]
    print(f"{BOLD}Analysing ИНН {inn}{RESET} {DIM}(job {job['id']}, through the gateway's REST API){RESET}")
    request = urllib.request.Request(f"{API}/jobs/{job['id']}/events", headers={"Authorization": f"Bearer {admin_key()}"})
    with urllib.request.urlopen(request, timeout=300) as events:  # Server-Sent Events until the job ends
        for raw in events:
            line = raw.decode().rstrip("\n")
            if line.startswith("data: ") and line != "data: {}":
                event = json.loads(line[len("data: "):])
                progress_bar(int(event.get("percent", 0)), event.get("message", ""))
    print()
    job = json.loads(api("GET", f"/jobs/{job['id']}")[1])["job"]
    if job["state"] != "JOB_STATE_SUCCEEDED":
        fail(f"the job ended as {job['state']}: {job.get('error', '')}; see {LOGS / 'analyzer.log'}")
    return json.loads(api("GET", f"/reports/{job['report_id']}")[1])["report"]


def save_pdf(report: dict) -> Path:
    headers, pdf = api("GET", f"/reports/{report['id']}/document")
    name = headers.get("Content-Disposition", "").partition('filename="')[2].rstrip('"') or f"{report['inn']}.pdf"
    path = OUT / name
    path.write_bytes(pdf)
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
{BOLD}Web app:{RESET} http://127.0.0.1:8080/ — sign in with the key {admin_key()}
          {DIM}(it is in {(DATA / 'admin.key').relative_to(REPO)}; this report: http://127.0.0.1:8080/reports/{report['id']}){RESET}

{BOLD}Try next{RESET} {DIM}(the admin API key is in {(DATA / 'admin.key').relative_to(REPO)}){RESET}
  the API                 export KEY=$(cat data/admin.key)
                          curl -H "Authorization: Bearer $KEY" {API}/reports
                          curl -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\
                               -d '{{"request":{{"inn":"7728456786"}}}}' {API}/analyses
  API reference           curl {API}/openapi.json   (OpenAPI 3.1; gRPC: clientanalyze.gateway.v1 on :50051)
  readiness and metrics   curl localhost:9091/readyz; curl -s localhost:9092/metrics | grep provider_
  sandbox companies       curl localhost:8089/sandbox/companies
  another company         make run INN=7728456786   (64 lawsuits), 1650123403 (sanctions), 3900123459 (unknown)
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
    print(f"  REST API          {API}  (OpenAPI: {API}/openapi.json)")
    print(f"  web app           http://127.0.0.1:8080/")
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
