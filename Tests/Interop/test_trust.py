"""System tests of what a report says and of hostile or careless input at the front door (issue 22): the real
executables and the provider sandbox, called over REST, gRPC and the cla command line; reports read as a user
reads them (the PDF's text, the HTML, the Markdown, the CSV)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chassis_support import raw_call
from test_analyzer import pdf_text
from test_gateway import GatewayStack, cla


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = GatewayStack(tmp_path_factory.mktemp("trust"))
    yield stack
    stack.close()


def analyse(stack: GatewayStack, inn: str, **request) -> dict:
    status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": inn, **request}})
    assert status == 202, body
    report_id = stack.wait_job(body["job"]["id"])["report_id"]
    return stack.rest("GET", f"/api/v1/reports/{report_id}")[2]["report"]


def source_of(report: dict, source: str) -> dict:
    """The report's status of one source, e.g. SOURCE_TAVILY."""
    return next(s for s in report["sources"] if s["source"] == source)


def document(stack: GatewayStack, report_id: str, format: str) -> str:
    status, _, body = stack.rest("GET", f"/api/v1/reports/{report_id}/document?format={format}")
    assert status == 200, body
    return body.decode()


# ---- Feedback and versions ---------------------------------------------------------------------------------

def test_a_rerun_names_its_own_report_in_the_diff_and_the_feedback_it_applied_and_feedback_can_be_listed(stack, tmp_path):
    first = analyse(stack, "7728456786")
    status, _, given = stack.rest("POST", "/api/v1/feedback", {"feedback": {
        "report_id": first["id"], "rating": "FEEDBACK_RATING_INACCURATE", "comment": "Суды неполные", "rerun": True}})
    assert status == 201, given
    second_id = stack.wait_job(given["rerun_job"]["id"])["report_id"]
    second = stack.rest("GET", f"/api/v1/reports/{second_id}")[2]["report"]
    assert second["diff_from_parent"]["report_id"] == second_id
    assert second["diff_from_parent"]["base_report_id"] == first["id"]
    assert second["applied_feedback"]["id"] == given["feedback"]["id"]

    status, _, on_report = stack.rest("GET", f"/api/v1/reports/{first['id']}/feedback")
    assert status == 200 and [f["id"] for f in on_report["feedback"]] == [given["feedback"]["id"]]
    on_thread = stack.rest("GET", f"/api/v1/threads/{first['thread_id']}/feedback")[2]
    assert [f["comment"] for f in on_thread["feedback"]] == ["Суды неполные"]
    over_grpc = stack.grpc("Threads/ListFeedback", {"report_id": first["id"]})
    assert over_grpc["feedback"][0]["id"] == given["feedback"]["id"]
    assert stack.rest("GET", f"/api/v1/reports/{second_id}/feedback")[2].get("feedback", []) == []

    listed = cla(stack, "feedback", first["thread_id"], "--list", "--thread")
    assert listed.returncode == 0, listed.stderr
    assert given["feedback"]["id"] in listed.stdout and "inaccurate" in listed.stdout and "Суды неполные" in listed.stdout
    viewer = stack.create_key("viewer")
    assert stack.rest("GET", f"/api/v1/reports/{first['id']}/feedback", key=viewer)[0] == 200


# ---- What a report says ------------------------------------------------------------------------------------

def report_texts(stack: GatewayStack, report: dict, tmp_path: Path) -> dict[str, str]:
    """The report as each format says it: the PDF's text (whitespace folded), the HTML, the Markdown, the CSV."""
    status, _, pdf = stack.rest("GET", f"/api/v1/reports/{report['id']}/document")
    assert status == 200
    return {"pdf": pdf_text(pdf, tmp_path), **{f: document(stack, report["id"], f) for f in ("html", "markdown", "csv")}}


def test_an_unknown_company_is_not_identified_has_no_confidence_and_is_not_recommended_for_normal_terms(stack, tmp_path):
    report = analyse(stack, "3900123459", client_name="ООО «Балтийский янтарь»", notes="Поставщик янтаря")
    risk = report["risk"]
    assert risk["level"] == "RISK_LEVEL_INSUFFICIENT_DATA"
    assert risk.get("confidence", 0) == 0 and risk.get("source_coverage", 0) < 1
    assert not any(c.get("has_data") for c in risk["categories"])
    narrative = report["narrative"]
    # The sandbox's LLM is configured, but it is not asked to write about a company nobody knows.
    assert narrative["author"] == "AUTHOR_TEMPLATE" and "не идентифицирована" in narrative["fallback_reason"]
    assert narrative["summary"].startswith("Компанию с ИНН 3900123459 не удалось идентифицировать: ЕГРЮЛ/ЕГРИП (через DaData) не знают такого ИНН.")
    assert "не выявили факторов риска" not in narrative["summary"]
    advice = [r["text"] for r in narrative["recommendations"]]
    assert advice[:3] == ["Сверить ИНН с документами контрагента: опечатка в ИНН — частая причина.",
                          "Запросить у контрагента выписку ЕГРЮЛ/ЕГРИП и учредительные документы.",
                          "Не заключать договор, пока компания не идентифицирована."]

    texts = report_texts(stack, report, tmp_path)
    for name, text in texts.items():
        assert "обычных условиях" not in text, name
        assert "Факторы риска не выявлены" not in text and "не найдены." not in text, name
    pdf = texts["pdf"]
    assert "Компания с ИНН 3900123459" in pdf and "Название со слов клиента: ООО «Балтийский янтарь»" in pdf
    assert "Примечания клиента: Поставщик янтаря" in pdf
    assert "Компанию не удалось идентифицировать" in pdf and "Что сделать: сверить ИНН" in pdf
    assert re.search(r"Достоверность 0\s?%", pdf)
    assert pdf.count("компания не идентифицирована — отсутствие записей по этому ИНН ничего о ней не говорит") == 3
    assert "Название со слов клиента: ООО «Балтийский янтарь»" in texts["html"]
    assert "Название со слов клиента: ООО «Балтийский янтарь»" in texts["markdown"]
    assert "\r\nисточник,dadata,DaData,,,,,,Нет сведений о компании," in texts["csv"]


def faulty_stack(tmp_path_factory, fault: str):
    """A stack whose sandbox injects one fault (`--fault provider=SPEC`); the rest of it is healthy."""
    stack = GatewayStack(tmp_path_factory.mktemp(fault.replace("=", "-").replace(":", "-")), sandbox_args=("--fault", fault))
    yield stack
    stack.close()


@pytest.fixture(scope="module")
def web_down(tmp_path_factory):
    """Tavily answers every search with 503."""
    yield from faulty_stack(tmp_path_factory, "tavily=503")


def test_a_failed_web_search_is_said_in_place_and_never_reads_as_no_mentions(web_down, tmp_path):
    report = analyse(web_down, "7705123452")
    tavily = source_of(report, "SOURCE_TAVILY")
    assert tavily["state"] in ("STATE_ERROR", "STATE_CIRCUIT_OPEN"), tavily
    reputation = next(c for c in report["risk"]["categories"] if c["category"] == "RISK_CATEGORY_REPUTATION")
    assert not reputation.get("has_data") and reputation["missing_sources"] == ["SOURCE_TAVILY"]
    assert "Tavily" in report["narrative"]["summary"] and "Не удалось проверить полностью" in report["narrative"]["summary"]
    assert not any("обычных условиях" in r["text"] for r in report["narrative"]["recommendations"])
    texts = report_texts(web_down, report, tmp_path)
    for name in ("pdf", "html", "markdown"):
        assert "Упоминаний компании в интернете не найдено" not in texts[name], name
        assert "нет данных: Tavily — " in texts[name], name
        assert "Проверка неполная" in texts[name], name
    assert "нет данных: Репутационные — без ответа Tavily" in texts["pdf"]
    assert "\r\nисточник,tavily,Tavily,,,,,,Ошибка," in texts["csv"] or "\r\nисточник,tavily,Tavily,,,,,,Провайдер недоступен," in texts["csv"]


def test_a_breaker_opened_by_failures_for_two_companies_is_explained_with_since_when(web_down, tmp_path):
    for inn in ("7816345676", "5402987650"):  # two companies whose searches fail: now the provider counts as down
        analyse(web_down, inn)
    report = analyse(web_down, "7728456786")
    tavily = source_of(report, "SOURCE_TAVILY")
    assert tavily["state"] == "STATE_CIRCUIT_OPEN", tavily
    assert int(tavily["unavailable_since_ms"]) > 0 and tavily["reason"].startswith("провайдер недоступен с ")
    pdf = report_texts(web_down, report, tmp_path)["pdf"]
    assert re.search(r"Провайдер недоступен с \d\d\.\d\d\.\d{4} \d\d:\d\d \(МСК\): после сбоев при проверке разных компаний", pdf), pdf[-1500:]


@pytest.fixture(scope="module")
def web_partial(tmp_path_factory):
    """Tavily fails the first three distinct searches it is asked and answers the rest."""
    yield from faulty_stack(tmp_path_factory, "tavily=subjects:3")


def test_a_web_search_that_answered_part_of_its_queries_is_partial_with_the_count(web_partial, tmp_path):
    report = analyse(web_partial, "7705123452")
    tavily = source_of(report, "SOURCE_TAVILY")
    assert tavily["state"] == "STATE_PARTIAL", tavily
    asked, answered = tavily["queries"], tavily.get("queries_answered", 0)
    assert asked >= 7 and answered == asked - 3
    assert tavily["reason"].startswith(f"ответил на {answered} из {asked} запросов")
    assert report["risk"]["confidence"] < 1
    texts = report_texts(web_partial, report, tmp_path)
    assert f"Частично: {answered} из {asked} запросов" in texts["pdf"]
    assert f"Tavily — частично: ответил на {answered} из {asked} запросов" in texts["pdf"]
    assert f"\r\nисточник,tavily,Tavily,,,,,,Частично: {answered} из {asked} запросов," in texts["csv"]


def test_one_companys_repeated_faults_do_not_open_a_breaker_for_the_next_company(tmp_path):
    # 5026112237's Casebook always answers 503: five analyses of it are five failures of one subject.
    stack = GatewayStack(tmp_path)
    try:
        for _ in range(6):
            failing = analyse(stack, "5026112237", options={"web_search": False})  # its web search only times out
            assert source_of(failing, "SOURCE_CASEBOOK")["state"] == "STATE_ERROR"
        clean = analyse(stack, "7705123452")
        assert source_of(clean, "SOURCE_CASEBOOK")["state"] == "STATE_OK"
    finally:
        stack.close()


# ---- Access ------------------------------------------------------------------------------------------------

def test_api_keys_are_listed_and_created_without_their_secret_hash(stack):
    status, _, created = stack.rest("POST", "/api/v1/admin/keys", {"name": "hash check", "role": "viewer"})
    assert status == 201 and created["secret"] and not created["key"].get("secret_hash"), created
    listed = stack.rest("GET", "/api/v1/admin/keys")[2]
    assert listed["keys"] and not any(key.get("secret_hash") for key in listed["keys"]), listed
    over_grpc = stack.grpc("Admin/ListApiKeys", {})
    assert over_grpc["keys"] and not any(key.get("secret_hash") or key.get("secretHash") for key in over_grpc["keys"])
    assert all(k.get("id") for k in listed["keys"])


# ---- Input that got the wrong answer -----------------------------------------------------------------------

def test_cancelling_an_ended_job_is_a_conflict_naming_its_state_and_a_waiting_job_is_cancelled_at_once(stack):
    status, _, submitted = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7705123452"}})
    done = stack.wait_job(submitted["job"]["id"])
    status, _, body = stack.rest("POST", f"/api/v1/jobs/{done['id']}/cancel", {})
    assert status == 409, body
    assert body["error"]["code"] == "FAILED_PRECONDITION" and "JOB_STATE_SUCCEEDED" in body["error"]["message"], body
    over_grpc = stack.grpc("Analyses/CancelJob", {"job_id": done["id"]})
    assert over_grpc["error"] == "FAILED_PRECONDITION" and "already ended" in over_grpc["message"], over_grpc
    assert stack.rest("GET", f"/api/v1/jobs/{done['id']}")[2]["job"]["state"] == "JOB_STATE_SUCCEEDED"

    later = int(time.time() * 1000) + 3_600_000
    status, _, scheduled = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7816345676"}, "run_at_ms": later})
    assert status == 202 and scheduled["job"]["state"] == "JOB_STATE_SCHEDULED", scheduled
    status, _, cancelled = stack.rest("POST", f"/api/v1/jobs/{scheduled['job']['id']}/cancel", {"reason": "не нужен"})
    assert status == 200 and cancelled["job"]["state"] == "JOB_STATE_CANCELLED" and cancelled["job"]["error"] == "не нужен"


@pytest.mark.parametrize("run_at, says", [
    (99_999_999_999_999, "more than a year ahead"),  # the year 5138
    (int(time.time()) + 3600, "over a day in the past"),  # seconds sent for milliseconds
    (-1, "over a day in the past"),
])
def test_a_scheduled_start_is_at_most_a_year_ahead_and_not_in_the_far_past(stack, run_at, says):
    status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7705123452"}, "run_at_ms": run_at})
    assert status == 400 and body["error"]["message"].startswith("run_at_ms: ") and says in body["error"]["message"], body
    over_grpc = stack.grpc("Analyses/Submit", {"request": {"inn": "7705123452"}, "run_at_ms": run_at})
    assert over_grpc["error"] == "INVALID_ARGUMENT" and says in over_grpc["message"]


def test_several_reports_are_deleted_by_a_comma_separated_path_as_the_route_says(stack):
    first, second = analyse(stack, "5402987650"), analyse(stack, "1650123403")
    status, _, body = stack.rest("DELETE", f"/api/v1/reports/{first['id']},{second['id']},r-missing")
    assert status == 200, body
    assert body["deleted"] == 2 and body["not_found"] == ["r-missing"], body
    assert stack.rest("GET", f"/api/v1/reports/{first['id']}")[0] == 404
    assert stack.rest("GET", f"/api/v1/reports/{second['id']}")[0] == 404
    status, _, body = stack.rest("DELETE", f"/api/v1/reports/{first['id']},,x")
    assert status == 400 and body["error"]["message"].startswith("ids[1]: must be set"), body


def test_an_idempotency_key_reused_for_a_different_request_is_a_conflict_naming_the_key(stack):
    key = {"Idempotency-Key": "order-4711"}
    status, _, first = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7816345676"}}, headers=key)
    assert status == 202 and first["created"], first
    status, _, again = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7816345676"}}, headers=key)
    assert status in (200, 202) and again["job"]["id"] == first["job"]["id"] and not again.get("created"), again
    status, _, other = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7705123452"}}, headers=key)
    assert status == 409, other
    message = other["error"]["message"]
    assert other["error"]["code"] == "ALREADY_EXISTS" and message.startswith('idempotency_key: "order-4711" was already used')
    assert first["job"]["id"] in message and "7816345676" in message, message
    over_grpc = stack.grpc("Analyses/Submit", {"request": {"inn": "7705123452", "notes": "другое"}, "idempotency_key": "order-4711"})
    assert over_grpc["error"] == "ALREADY_EXISTS" and '"order-4711"' in over_grpc["message"], over_grpc


def test_a_keys_last_use_is_recorded_at_most_once_a_minute(stack):
    viewer = stack.create_key("viewer")
    key_id = viewer.split("_")[1]

    def last_used():
        keys = stack.rest("GET", "/api/v1/admin/keys")[2]["keys"]
        return int(next(k for k in keys if k["id"] == key_id).get("last_used_at_ms", 0))

    assert last_used() == 0
    assert stack.rest("GET", "/api/v1/reports", key=viewer)[0] == 200
    first = stack.gateway.wait_until(lambda: last_used() or None, "the key's first use recorded")
    assert abs(first - time.time() * 1000) < 60_000
    time.sleep(1.1)
    for _ in range(5):
        assert stack.rest("GET", "/api/v1/reports", key=viewer)[0] == 200
    time.sleep(0.5)
    assert last_used() == first  # within the minute: coalesced, not a write per request


def test_a_nul_in_any_text_is_invalid_argument_naming_the_field_and_invalid_utf8_is_400_with_its_position(stack):
    from test_gateway import TOKEN
    for method, path, body, field in [
        ("GET", "/api/v1/threads/search?query=a%00b", None, "SearchThreadsRequest.query"),
        ("POST", "/api/v1/analyses", {"request": {"inn": "7705123452", "notes": "a\u0000b"}}, "AnalysisRequest.notes"),
        ("POST", "/api/v1/feedback", {"feedback": {"report_id": "r1", "rating": "accurate", "comment": "\u0000"}}, "Feedback.comment"),
        ("POST", "/api/v1/admin/keys", {"name": "a\u0000", "role": "viewer"}, "CreateApiKeyRequest.name"),
        ("GET", "/api/v1/reports/r%00x", None, "GetReportRequest.id"),
    ]:
        status, _, answer = stack.rest(method, path, body)
        assert status == 400, (path, answer)
        assert answer["error"]["code"] == "INVALID_ARGUMENT"
        assert answer["error"]["message"] == f"{field}: contains U+0000 (NUL), which is not allowed in text", answer
    over_grpc = stack.grpc("Threads/SearchThreads", {"query": "a\u0000b"})
    assert over_grpc == {"error": "INVALID_ARGUMENT", "message": "SearchThreadsRequest.query: contains U+0000 (NUL), which is not allowed in text"}
    # Every service, not only the gateway: storage's ThreadsService.Search with query "a\0b" (field 1).
    token = [("x-service-token", TOKEN)]
    assert raw_call(stack.storage.address, "/clientanalyze.storage.v1.Threads/SearchThreads", b"\x0a\x03a\x00b", token)[0] == "INVALID_ARGUMENT"

    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.rest_port}/api/v1/analyses", method="POST",
        data='{"request": {"inn": "7705123452", "notes": "'.encode() + b"\xff\xfe" + b'"}}',
        headers={"authorization": f"Bearer {stack.admin_key}", "content-type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["error"]["message"] == "the body is not valid UTF-8 at byte 44 (counting from 0)"


def test_request_bytes_that_do_not_parse_are_internal_naming_the_problem_but_logged_and_counted_as_the_peers_fault(stack):
    auth = [("authorization", f"Bearer {stack.admin_key}")]
    code, details = raw_call(stack.gateway.address, "/clientanalyze.gateway.v1.Threads/SearchThreads", b"\x0a\x09ab", auth)
    assert code == "INTERNAL" and details.startswith("could not decode the request message: malformed"), details
    finished = stack.gateway.wait_until(lambda: [l for l in stack.gateway.log_lines()
                                                 if l.get("msg") == "RPC finished" and "could not decode" in l.get("rpc.message", "")], "the call's log line")
    assert {line["level"] for line in finished} == {"warning"}, finished
    metrics = stack.gateway.http("/metrics")[2]
    assert re.search(r'grpc_server_undecodable_requests_total\{[^}]*grpc_method="SearchThreads"[^}]*grpc_code="INTERNAL"[^}]*\} 1', metrics), \
        [l for l in metrics.splitlines() if "undecodable" in l]


# ---- CLI ---------------------------------------------------------------------------------------------------

def test_the_cli_exits_as_documented_takes_common_options_first_and_says_errors_in_sentences(stack, tmp_path):
    import subprocess
    from test_gateway import binary

    missing = subprocess.run([str(binary("cla")), "analyze"], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2 and "Missing expected argument '<inn>'" in missing.stderr, missing
    assert cla(stack, "feedback", "r1").returncode == 2  # no --rating
    assert cla(stack, "list", "--level", "purple").returncode == 2  # a value checked when the command runs

    later = int(time.time() * 1000) + 3_600_000
    job = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7728456786"}, "run_at_ms": later})[2]["job"]
    assert stack.rest("POST", f"/api/v1/jobs/{job['id']}/cancel", {})[0] == 200
    first = subprocess.run([str(binary("cla")), "--json", "--gateway", stack.gateway.address, f"--key={stack.admin_key}",
                            "status", job["id"]], capture_output=True, text=True, timeout=30)
    assert first.returncode == 3, first  # cancelled: as `cla analyze` would end
    assert json.loads(first.stdout)["job"]["state"] == "JOB_STATE_CANCELLED"

    report = analyse(stack, "7705123452")
    unwritable = tmp_path / "no-such-folder" / "report.pdf"
    saved = cla(stack, "report", report["id"], "--pdf", str(unwritable))
    assert saved.returncode == 1
    assert saved.stderr.strip() == f"cla: cannot write the PDF to {unwritable}: No such file or directory", saved.stderr
    assert cla(stack, "report", report["id"], "--pdf", str(tmp_path / "report.pdf")).returncode == 0
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_storage_keeps_its_database_private_and_refuses_one_other_users_can_read(tmp_path):
    import os
    import stat
    import subprocess
    from chassis_support import ServiceProcess, binary

    data = tmp_path / "data"
    database = data / "storage.sqlite"
    args = ["--set", f"storage.path={database}"]
    old = os.umask(0o022)  # a permissive umask, as a shell's default: storage must not inherit it
    try:
        with ServiceProcess("storage", tmp_path, args):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = sorted(data.iterdir())
    assert database in files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files), \
        [(f.name, oct(f.stat().st_mode)) for f in files]

    database.chmod(0o644)
    refused = subprocess.run([str(binary("storage")), "--rpc-port", "0", "--admin-port", "0", *args],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0
    assert f"{database} can be read by other users (mode 0644)" in refused.stderr, refused.stderr
    assert "chmod 600" in refused.stderr and "storage.allow_shared_files" in refused.stderr

    with ServiceProcess("storage", tmp_path, [*args, "--set", "storage.allow_shared_files=true"]) as storage:
        warnings = [l for l in storage.log_lines() if l["level"] == "warning" and "can be read by other users" in l["msg"]]
        assert warnings, storage.log_text()


def test_refused_authentication_is_audited_and_limited_per_address_with_retry_after(tmp_path):
    stack = GatewayStack(tmp_path, gateway_args=("--set", "auth.failed_per_minute=10"))
    try:
        wrong = "cla_keydeadbeef00000000_" + "0" * 64
        answers = [stack.rest("GET", "/api/v1/reports", key=wrong) for _ in range(14)]
        assert [a[0] for a in answers[:10]] == [401] * 10, [a[0] for a in answers]
        assert [a[0] for a in answers[10:]] == [429] * 4
        status, head, body = answers[-1]
        assert int(head["Retry-After"]) >= 1 and "too many failed authentications from 127.0.0.1" in body["error"]["message"]
        over_grpc = stack.grpc("Reports/ListReports", {}, key=wrong)
        assert over_grpc["error"] == "RESOURCE_EXHAUSTED", over_grpc
        # A valid key from the same address is not locked out.
        assert stack.rest("GET", "/api/v1/reports")[0] == 200

        records = stack.rest("GET", "/api/v1/admin/audit?page.page_size=100")[2]["records"]
        refused = [r for r in records if r.get("outcome") == "UNAUTHENTICATED"]
        assert len(refused) == 10, [r.get("outcome") for r in records]  # the limited ones are not audited one by one
        record = refused[0]
        assert record["action"] == "gateway.v1.Reports/ListReports" and record["target"] == "keydeadbeef00000000"
        assert "127.0.0.1" in record["remote_address"]
        fingerprint = record["details"]["presented_sha256_prefix"]
        assert re.fullmatch(r"[0-9a-f]{12}", fingerprint) and fingerprint not in wrong
        assert "0" * 64 not in json.dumps(records)  # the presented secret is never stored
    finally:
        stack.close()


def test_expect_100_continue_is_answered_before_the_body_is_sent(stack):
    import socket
    body = json.dumps({"request": {"inn": "5402987650", "notes": "x" * 2000}}).encode()
    with socket.create_connection(("127.0.0.1", stack.rest_port), timeout=10) as connection:
        connection.sendall((f"POST /api/v1/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {stack.admin_key}\r\n"
                            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode())
        interim = connection.recv(4096)  # nothing of the body sent yet: the server must speak first
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n"), interim
        connection.sendall(body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += connection.recv(4096)
        assert answer.startswith(b"HTTP/1.1 202 "), answer
    # curl sends the header itself; with the interim answer it does not wait out its own one-second timeout.
    import subprocess
    done = subprocess.run(["curl", "-sv", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Bearer {stack.admin_key}",
                           "-H", "Content-Type: application/json", "-H", "Expect: 100-continue", "--data-binary", body.decode(),
                           f"http://127.0.0.1:{stack.rest_port}/api/v1/analyses"], capture_output=True, text=True, timeout=30)
    assert done.stdout == "202" and "< HTTP/1.1 100 Continue" in done.stderr and "Done waiting" not in done.stderr, done.stderr


def test_deleting_a_thread_deletes_its_jobs_so_none_points_at_a_deleted_report(stack):
    status, _, first = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "1650123403"}})
    done = stack.wait_job(first["job"]["id"])
    later = int(time.time() * 1000) + 3_600_000
    waiting = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "1650123403"}, "run_at_ms": later})[2]["job"]
    assert waiting["thread_id"] == done["thread_id"]
    other = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7705123452"}, "run_at_ms": later})[2]["job"]

    listed = stack.rest("GET", "/api/v1/jobs?inn=1650123403&page.page_size=1000")[2]["jobs"]
    of_thread = [job for job in listed if job["thread_id"] == done["thread_id"]]  # earlier tests' jobs too
    assert {done["id"], waiting["id"]} <= {job["id"] for job in of_thread}

    status, _, deleted = stack.rest("DELETE", f"/api/v1/threads/{done['thread_id']}")
    assert status == 200 and int(deleted["jobs_deleted"]) == len(of_thread) and int(deleted["reports_deleted"]) >= 1, deleted
    assert stack.rest("GET", "/api/v1/jobs?inn=1650123403")[2].get("jobs", []) == []
    for job in (done, waiting):
        status, _, body = stack.rest("GET", f"/api/v1/jobs/{job['id']}")
        assert status == 404, body
    assert stack.rest("GET", f"/api/v1/reports/{done['report_id']}")[0] == 404
    assert stack.rest("GET", f"/api/v1/jobs/{other['id']}")[2]["job"]["state"] == "JOB_STATE_SCHEDULED"  # another thread's
    assert stack.rest("DELETE", f"/api/v1/threads/{done['thread_id']}")[0] == 404


def test_identical_concurrent_submissions_make_one_job_unless_forced(stack):
    from concurrent.futures import ThreadPoolExecutor
    request = {"request": {"inn": "7816345676", "notes": "пять одинаковых"}}
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: stack.rest("POST", "/api/v1/analyses", request), range(5)))
    ids = {body["job"]["id"] for _, _, body in answers}
    assert len(ids) == 1, answers
    assert sorted(bool(body.get("created")) for _, _, body in answers) == [False] * 4 + [True]
    forced = stack.rest("POST", "/api/v1/analyses", {**request, "force": True})[2]
    assert forced["created"] and forced["job"]["id"] not in ids
    other_notes = stack.rest("POST", "/api/v1/analyses", {"request": {**request["request"], "notes": "другие"}})[2]
    assert other_notes["created"] and other_notes["job"]["id"] not in ids
    for job_id in [*ids, forced["job"]["id"], other_notes["job"]["id"]]:
        stack.wait_job(job_id)
    # Once it has ended, the same request is a new analysis.
    again = stack.rest("POST", "/api/v1/analyses", request)[2]
    assert again["created"] and again["job"]["id"] not in ids
    stack.wait_job(again["job"]["id"])


def test_an_ogrn_is_checked_and_resolved_to_the_inn_wherever_an_inn_is_accepted(stack):
    status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"ogrn": "1027700123450", "client_name": "Ветер"}})
    assert status == 202, body
    assert body["job"]["request"]["inn"] == "7705123452" and body["job"]["request"]["ogrn"] == "1027700123450"
    done = stack.wait_job(body["job"]["id"])

    status, _, bad = stack.rest("POST", "/api/v1/analyses", {"request": {"ogrn": "1027700123451"}})
    assert status == 400 and bad["error"]["message"].startswith("request.ogrn: "), bad
    status, _, unknown = stack.rest("POST", "/api/v1/analyses", {"request": {"ogrn": "1253900123454"}})  # valid, no company
    assert status == 404 and unknown["error"]["message"] == "request.ogrn: no company with OGRN 1253900123454 in ЕГРЮЛ/ЕГРИП", unknown
    over_grpc = stack.grpc("Analyses/Submit", {"request": {"ogrn": "1027700123451"}})
    assert over_grpc["error"] == "INVALID_ARGUMENT" and over_grpc["message"].startswith("request.ogrn: ")

    thread = stack.grpc("Threads/GetThread", {"ogrn": "1027700123450"})
    assert thread["thread"]["id"] == done["thread_id"] and thread["thread"]["inn"] == "7705123452", thread
    found = stack.rest("GET", "/api/v1/threads/search?query=1027700123450")[2]
    assert [t["id"] for t in found["threads"]] == [done["thread_id"]], found
    by_path = stack.rest("GET", "/api/v1/threads/by-ogrn/1027700123450")[2]
    assert by_path["thread"]["id"] == done["thread_id"]
    analysed = cla(stack, "analyze", "1027700123450", "--json", "--force")
    assert analysed.returncode == 0, analysed.stderr
    assert json.loads(analysed.stdout)["inn"] == "7705123452"
