"""System tests of what a report says and of hostile or careless input at the front door (issue 22): the real
executables and the provider sandbox, called over REST, gRPC and the cla command line; reports read as a user
reads them (the PDF's text, the HTML, the Markdown, the CSV)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
