"""What a re-run says changed (issue 25, change detection), through the real executables: a synthetic sandbox
company changes between two analyses, and the second report names each change with its evidence in the API,
the comparison and the PDF; a source that failed the first time is said not to have been compared, and nothing
it would have shown is reported as new or resolved."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

from test_analyzer import pdf_text
from test_fleet import valid_inn
from test_gateway import GatewayStack, cla

ALL_SOURCES = ["SOURCE_DADATA", "SOURCE_CASEBOOK", "SOURCE_INFOSPHERE", "SOURCE_TAVILY", "SOURCE_PERPLEXITY"]


def sandbox(stack: GatewayStack, method: str, path: str) -> dict:
    with urllib.request.urlopen(urllib.request.Request(stack.sandbox.url + path, method=method), timeout=10) as response:
        return json.loads(response.read())


def synthetic_company(stack: GatewayStack, region: str, wanted) -> str:
    """The first synthetic INN of `region` whose summaries at revisions 0 and 1 satisfy `wanted(now, next)`. The
    generator is seeded by the INN, so it is the same company on every run."""
    for number in range(3000):
        inn = valid_inn(number, region)
        if wanted(*(sandbox(stack, "GET", f"/sandbox/companies/{inn}?revision={r}") for r in (0, 1))):
            return inn
    raise AssertionError(f"no synthetic company of region {region} is what the test needs")


def analyse_then_rerun(stack: GatewayStack, inn: str, between=lambda: None) -> tuple[dict, dict]:
    """Version 1, then `between`, then version 2 as a re-run asking every source again."""
    job = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": inn}})[2]["job"]
    first = stack.wait_job(job["id"])
    assert first["state"] == "JOB_STATE_SUCCEEDED", first
    between()
    status, _, body = stack.rest("POST", "/api/v1/feedback", {"feedback": {
        "report_id": first["report_id"], "rating": "FEEDBACK_RATING_INACCURATE", "comment": "Проверьте ещё раз",
        "refresh_sources": ALL_SOURCES, "rerun": True}})
    assert status == 201, body
    second = stack.wait_job(body["rerun_job"]["id"])
    assert second["state"] == "JOB_STATE_SUCCEEDED", second
    return (stack.rest("GET", f"/api/v1/reports/{first['report_id']}")[2]["report"],
            stack.rest("GET", f"/api/v1/reports/{second['report_id']}")[2]["report"])


def test_a_company_that_went_bad_between_two_analyses_is_reported_change_by_change(tmp_path: Path):
    stack = GatewayStack(tmp_path)
    try:
        # A company that is clean now and goes bankrupt or is liquidated at its next revision.
        inn = synthetic_company(stack, "77", lambda now, then: now["kind"] == "clean" and now["status"] == "ACTIVE"
                                and then["status"] in ("LIQUIDATED", "BANKRUPT"))
        changed: dict = {}

        def liquidate_or_bankrupt() -> None:
            changed.update(sandbox(stack, "POST", f"/sandbox/companies/{inn}/revision"))

        first, second = analyse_then_rerun(stack, inn, liquidate_or_bankrupt)
        diff = second["diff_from_parent"]
        assert diff["changes_compared"] is True and diff["base_report_id"] == first["id"]
        summaries = [event["summary"] for event in diff["changes"]]
        status_name = {"LIQUIDATED": "ликвидирована", "BANKRUPT": "банкротство"}[changed["status"]]
        assert f"Статус в ЕГРЮЛ: действующая → {status_name}" in summaries, summaries
        status_event = next(e for e in diff["changes"] if e["kind"] == "KIND_STATUS")
        assert status_event["severity"] == "SEVERITY_CRITICAL" and status_event["evidence"], status_event
        assert diff["changes"][0]["severity"] == "SEVERITY_CRITICAL", "most severe first"
        assert any(s.startswith("Уровень риска повысился: ") and s.endswith("→ критический риск") for s in summaries), summaries
        if changed["status"] == "BANKRUPT":
            assert any(s.startswith("Новое дело о банкротстве: ") for s in summaries), summaries
        # Nothing is said about sources: every one answered both times.
        assert not [e for e in diff["changes"] if e["kind"] == "KIND_SOURCE"], summaries

        # The comparison API says the same.
        compared = stack.rest("POST", "/api/v1/reports/compare", {"report_ids": [first["id"], second["id"]]})[2]
        assert [e["summary"] for e in compared["diffs"][0]["changes"]] == summaries

        # The command line prints the same events with their evidence; one report id is a usage error.
        printed = cla(stack, "compare", first["id"], second["id"])
        assert printed.returncode == 0, printed.stderr
        assert f"[critical] Статус в ЕГРЮЛ: действующая → {status_name}" in printed.stdout, printed.stdout
        assert all(f"] {summary}" in printed.stdout for summary in summaries), printed.stdout
        lonely = cla(stack, "compare", first["id"])
        assert lonely.returncode == 2 and "give 2 to 10 report ids" in lonely.stderr, lonely.stderr

        # And the PDF: the section, the status line, its severity.
        status, _, pdf = stack.rest("GET", f"/api/v1/reports/{second['id']}/document")
        assert status == 200
        text = pdf_text(pdf, tmp_path)
        assert "Что изменилось в данных о компании" in text, text[:3000]
        assert f"Статус в ЕГРЮЛ: действующая → {status_name}" in text, text[:3000]
        for format in ("html", "markdown"):
            status, _, document = stack.rest("GET", f"/api/v1/reports/{second['id']}/document?format={format}")
            assert status == 200 and "Что изменилось в данных о компании" in document.decode(), format
            assert f"Статус в ЕГРЮЛ: действующая → {status_name}" in document.decode(), format
        # Version 1 has no parent: no change section at all.
        status, _, pdf = stack.rest("GET", f"/api/v1/reports/{first['id']}/document")
        assert "Что изменилось" not in pdf_text(pdf, tmp_path)
    finally:
        stack.close()


def test_a_source_that_failed_the_first_time_is_said_not_compared_and_its_findings_are_not_called_new(tmp_path: Path):
    # Casebook fails three attempts per company (all of version 1's), then answers (version 2).
    stack = GatewayStack(tmp_path, sandbox_args=("--fault", "casebook=flaky:3"))
    try:
        inn = synthetic_company(stack, "54", lambda now, _: now["defendant_cases"] >= 2)
        first, second = analyse_then_rerun(stack, inn)
        casebook = lambda report: next(s for s in report["sources"] if s["source"] == "SOURCE_CASEBOOK")
        assert casebook(first)["state"] == "STATE_ERROR" and casebook(second)["state"] == "STATE_OK", (casebook(first), casebook(second))
        assert len(second["court_cases"]) >= 2
        changes = second["diff_from_parent"]["changes"]
        # The cases version 2 found were there all along as far as anyone knows: not "new".
        assert not [e for e in changes if e["kind"] == "KIND_COURT_CASE"], changes
        source = [e for e in changes if e["kind"] == "KIND_SOURCE"]
        assert len(source) == 1 and re.fullmatch(r"Casebook в прежней версии: ошибка \(.+\) — судебные дела не сравнивались",
                                                  source[0]["summary"]), source
        status, _, pdf = stack.rest("GET", f"/api/v1/reports/{second['id']}/document")
        text = pdf_text(pdf, tmp_path)
        assert "судебные дела не сравнивались" in text and "не сравнивалось" in text, text[:3000]
    finally:
        stack.close()


def test_a_new_analysis_of_a_company_analysed_before_says_what_changed_since_the_last_version(tmp_path: Path):
    stack = GatewayStack(tmp_path)
    try:
        # Sued between the two analyses, and still active.
        inn = synthetic_company(stack, "78", lambda now, then: now["status"] == then["status"] == "ACTIVE"
                                and then["defendant_cases"] > now["defendant_cases"])
        first = stack.wait_job(stack.rest("POST", "/api/v1/analyses", {"request": {"inn": inn}})[2]["job"]["id"])
        sandbox(stack, "POST", f"/sandbox/companies/{inn}/revision")
        # A new submission, not a re-run, asking the providers again (not their cached answers), as a scheduled check would.
        status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": inn, "options": {"force_refresh": True}}, "force": True})
        assert status == 202, body
        second = stack.rest("GET", f"/api/v1/reports/{stack.wait_job(body['job']['id'])['report_id']}")[2]["report"]
        # Its parent is the version before it, and its diff says what changed since.
        assert second["version"] == 2 and second["parent_report_id"] == first["report_id"]
        diff = second["diff_from_parent"]
        assert diff["base_report_id"] == first["report_id"] and diff["report_id"] == second["id"] and diff["changes_compared"] is True
        new_cases = [e for e in diff["changes"] if e["kind"] == "KIND_COURT_CASE"]
        assert new_cases and all(e["summary"].startswith(("Новое дело, компания — ответчик: ", "Новое дело о банкротстве: ")) for e in new_cases), diff
        # Every case named as new was not in version 1.
        known = {case["number"] for case in stack.rest("GET", f"/api/v1/reports/{first['report_id']}")[2]["report"].get("court_cases", [])}
        assert all(e["summary"].split(": ", 1)[1].split(" ")[0] not in known for e in new_cases), (known, new_cases)
        status, _, pdf = stack.rest("GET", f"/api/v1/reports/{second['id']}/document")
        text = pdf_text(pdf, tmp_path)
        assert "Изменения относительно предыдущей версии" in text and new_cases[0]["summary"].split(" (")[0] in text, text[:3000]
    finally:
        stack.close()
