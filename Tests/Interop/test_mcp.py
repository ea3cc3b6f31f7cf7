"""The MCP server as AI agents reach it: the Python `mcp` client (pinned below 2) over Streamable HTTP at the
gateway's /mcp, and over stdio through `cla mcp`, against the real executables and the provider sandbox."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import json
from pathlib import Path
from types import SimpleNamespace

import httpx
import jsonschema
import pytest
from mcp import ClientSession, McpError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from chassis_support import binary
from test_analyzer import pdf_text
from test_gateway import GatewayStack

REPO = Path(__file__).resolve().parents[2]
CLEAN = "7705123452"  # a company with nothing against it
UNKNOWN = "3900123459"  # no registry knows it
PROVIDERS = ["dadata", "casebook", "infosphere", "tavily", "perplexity"]
ADMIN_TOOLS = {"list_dead_letters", "replay_dead_letters"}
WRITE_TOOLS = {"analyze_company", "cancel_job", "submit_feedback", "lookup_source"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = GatewayStack(tmp_path_factory.mktemp("mcp"))
    yield stack
    stack.close()


def url(stack: GatewayStack) -> str:
    return f"http://127.0.0.1:{stack.rest_port}/mcp"


@contextlib.asynccontextmanager
async def session(stack: GatewayStack, key: str = "admin"):
    """An initialised client session over HTTP: `.client`, `.init` (the initialize result), `.session_id()`."""
    key = stack.admin_key if key == "admin" else key
    http = httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=httpx.Timeout(30, read=120))
    async with http, streamable_http_client(url(stack), http_client=http) as (read, write, session_id):
        async with ClientSession(read, write) as client:
            init = await client.initialize()
            yield SimpleNamespace(client=client, init=init, session_id=session_id)


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 120))


def raw(stack: GatewayStack, method: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One HTTP request to /mcp, as a hostile or careless client sends it."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.rest_port, timeout=30)
    try:
        connection.request(method, "/mcp", body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}).encode()


def mcp_headers(key: str | None, **extra) -> dict:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **extra}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def structured_fits_output_schema(tools: dict, name: str, result) -> None:
    jsonschema.validate(result.structuredContent, tools[name].outputSchema)


# What an agent sees


def test_initialize_lists_tools_resources_templates_and_prompts(stack: GatewayStack):
    async def main():
        async with session(stack) as s:
            assert s.init.serverInfo.name == "client-analyze"
            assert "insufficient_data" in s.init.instructions
            tools = {tool.name: tool for tool in (await s.client.list_tools()).tools}
            resources = [str(r.uri) for r in (await s.client.list_resources()).resources]
            templates = [t.uriTemplate for t in (await s.client.list_resource_templates()).resourceTemplates]
            prompts = [p.name for p in (await s.client.list_prompts()).prompts]
            return tools, resources, templates, prompts

    tools, resources, templates, prompts = run(main())
    assert set(tools) == {
        "analyze_company", "get_job", "cancel_job", "get_report", "get_latest_report", "list_reports", "compare_reports",
        "search_threads", "get_thread", "submit_feedback", "lookup_source", "describe_scoring_model", "provider_status", "queue_depth",
        *ADMIN_TOOLS}
    for tool in tools.values():
        jsonschema.Draft202012Validator.check_schema(tool.inputSchema)
        jsonschema.Draft202012Validator.check_schema(tool.outputSchema)
        assert tool.outputSchema["type"] == "object" and tool.description and tool.title
        assert tool.annotations.readOnlyHint == (tool.name not in {"analyze_company", "cancel_job", "submit_feedback", "replay_dead_letters"}), tool.name
        assert tool.annotations.openWorldHint == (tool.name in {"analyze_company", "lookup_source"}), tool.name
    inn = tools["analyze_company"].inputSchema["properties"]["inn"]
    assert inn["pattern"] == "^([0-9]{10}|[0-9]{12})$" and "ИНН" in inn["description"]
    assert tools["analyze_company"].inputSchema["required"] == ["inn"]
    assert {"report", "job"} <= set(tools["analyze_company"].outputSchema["properties"])
    assert resources == [f"clientanalyze://providers/{p}/spec" for p in PROVIDERS] + ["clientanalyze://scoring-model"]
    assert templates == ["clientanalyze://reports/{id}", "clientanalyze://reports/{id}/pdf"]
    assert prompts == ["due_diligence", "explain_changes"]


def test_analyze_company_sends_progress_and_answers_with_the_report(stack: GatewayStack, tmp_path: Path):
    async def main():
        async with session(stack) as s:
            tools = {tool.name: tool for tool in (await s.client.list_tools()).tools}
            progress = []

            async def on_progress(value, total, message):
                progress.append((value, total, message))

            result = await s.client.call_tool("analyze_company", {"inn": CLEAN, "client_name": "Северный ветер", "notes": "проверка MCP"},
                                              progress_callback=on_progress)
            report_id = result.structuredContent["report"]["id"]
            pdf = await s.client.read_resource(f"clientanalyze://reports/{report_id}/pdf")
            as_json = await s.client.read_resource(f"clientanalyze://reports/{report_id}")
            latest = await s.client.call_tool("get_latest_report", {"inn": CLEAN})
            return tools, progress, result, pdf, as_json, latest

    tools, progress, result, pdf, as_json, latest = run(main())
    assert not result.isError, result.content
    structured_fits_output_schema(tools, "analyze_company", result)
    report = result.structuredContent["report"]
    assert result.structuredContent["job"]["state"] == "JOB_STATE_SUCCEEDED"
    assert report["inn"] == CLEAN and report["client_name"] == "Северный ветер"
    assert {s["source"] for s in report["sources"]} >= {"SOURCE_DADATA", "SOURCE_CASEBOOK", "SOURCE_INFOSPHERE", "SOURCE_TAVILY"}
    # The text an agent without structured output reads: the company, the level and the score.
    summary = result.content[0].text
    assert summary.startswith('ООО "СЕВЕРНЫЙ ВЕТЕР": низкий риск') and "балл" in summary, summary
    assert json.loads(result.content[1].text)["report"]["id"] == report["id"]
    # Progress followed the job's stages, in order, ending at 100.
    values = [value for value, _, _ in progress]
    assert len(progress) >= 5 and values == sorted(values) and values[-1] == 100, progress
    assert all(total == 100 for _, total, _ in progress)
    assert any("реестры" in message for _, _, message in progress) and "готово" in progress[-1][2]
    # The PDF blob is the report, and says what the report says.
    blob = base64.b64decode(pdf.contents[0].blob)
    assert pdf.contents[0].mimeType == "application/pdf" and blob.startswith(b"%PDF")
    assert "СЕВЕРНЫЙ ВЕТЕР" in pdf_text(blob, tmp_path).upper()
    assert json.loads(as_json.contents[0].text)["id"] == report["id"]
    assert latest.structuredContent["report"]["id"] == report["id"]


def test_every_tool_answers_through_its_gateway_operation(stack: GatewayStack):
    inn = "7728456786"

    async def main():
        async with session(stack) as s:
            tools = {tool.name: tool for tool in (await s.client.list_tools()).tools}
            answers = {}

            async def call(name, arguments):
                result = await s.client.call_tool(name, arguments)
                assert not result.isError, (name, result.content)
                structured_fits_output_schema(tools, name, result)
                answers[name] = result.structuredContent
                answers[name + ":text"] = result.content[0].text
                return result.structuredContent

            first = await call("analyze_company", {"inn": inn})
            feedback = await call("submit_feedback", {
                "report_id": first["report"]["id"], "rating": "partially_accurate", "comment": "проверьте суды",
                "focus_areas": ["суды"], "rerun": True})
            rerun = feedback["feedback"]["rerun_job_id"]
            for _ in range(300):
                job = (await call("get_job", {"job_id": rerun}))["job"]
                if job["state"] == "JOB_STATE_SUCCEEDED":
                    break
                await asyncio.sleep(0.1)
            await call("compare_reports", {"report_ids": [first["report"]["id"], job["report_id"]]})
            await call("get_thread", {"inn": inn})
            await call("list_reports", {"inn": inn, "levels": ["low", "medium", "high", "critical"], "page_size": 10})
            await call("search_threads", {"query": inn})
            await call("lookup_source", {"source": "dadata", "inn": inn})
            await call("describe_scoring_model", {})
            await call("provider_status", {})
            await call("list_dead_letters", {})
            await call("queue_depth", {})
            queued = await call("analyze_company", {"inn": "1650123403", "wait": False, "idempotency_key": "mcp-cancel-1"})
            # The sandbox is fast: the job may have ended already, which the gateway says as such.
            cancel = await s.client.call_tool("cancel_job", {"job_id": queued["job"]["id"], "reason": "проверка отмены"})
            if cancel.isError:
                assert cancel.content[0].text.startswith("FAILED_PRECONDITION: job_id: job ") and "has already ended" in cancel.content[0].text
            else:
                structured_fits_output_schema(tools, "cancel_job", cancel)
                assert cancel.structuredContent["job"]["id"] == queued["job"]["id"]
            replay = await s.client.call_tool("replay_dead_letters", {"job_ids": ["no-such-job"]})
            return first, job, answers, replay

    first, rerun, answers, replay = run(main())
    assert rerun["report_id"] and rerun["report_id"] != first["report"]["id"]
    assert len(answers["get_thread"]["reports"]) >= 2 and answers["get_thread"]["feedback"][0]["comment"] == "проверьте суды"
    assert len(answers["compare_reports"]["diffs"]) == 1, answers["compare_reports"]
    # The agent reads what changed in the first text, as the structured diff has it (a fixture: nothing changed).
    diff = answers["compare_reports"]["diffs"][0]
    assert diff["changes_compared"] is True
    summary = answers["compare_reports:text"]
    if diff.get("changes"):
        assert all(change["summary"] in summary for change in diff["changes"][:12]), summary
    else:
        assert summary.endswith("изменений в данных о компании нет"), summary
    assert {r["id"] for r in answers["list_reports"]["reports"]} >= {first["report"]["id"], rerun["report_id"]}
    assert any(t["inn"] == inn for t in answers["search_threads"]["threads"])
    assert answers["lookup_source"]["status"]["state"] in ("STATE_OK", "STATE_CACHED")
    assert answers["describe_scoring_model"]["rules"] and answers["provider_status"]["providers"]
    # Replaying a job that is not dead-lettered is the gateway's refusal, as a tool error.
    assert replay.isError and replay.content[0].text == "NOT_FOUND: job no-such-job not found"


def test_an_unknown_company_is_not_presented_as_clean(stack: GatewayStack):
    async def main():
        async with session(stack) as s:
            return await s.client.call_tool("analyze_company", {"inn": UNKNOWN})

    result = run(main())
    assert not result.isError, result.content
    assert result.structuredContent["report"]["risk"]["level"] == "RISK_LEVEL_INSUFFICIENT_DATA"
    summary = result.content[0].text
    assert "недостаточно данных" in summary and "низкий" not in summary, summary


def test_a_source_that_failed_is_named_in_the_answer_as_unchecked(tmp_path: Path):
    stack = GatewayStack(tmp_path, sandbox_args=("--fault", "tavily=503"))
    try:
        async def main():
            async with session(stack) as s:
                return await s.client.call_tool("analyze_company", {"inn": CLEAN})

        result = run(main())
    finally:
        stack.close()
    assert not result.isError, result.content
    tavily = next(s for s in result.structuredContent["report"]["sources"] if s["source"] == "SOURCE_TAVILY")
    assert tavily["state"] == "STATE_ERROR" and tavily["reason"]
    summary = result.content[0].text
    assert "не считать чистым" in summary and "tavily — error" in summary and "dadata" not in summary, summary


def test_tool_calls_share_the_keys_rate_limit_with_rest(stack: GatewayStack):
    key = stack.create_key("viewer", rate=4)
    assert stack.rest("GET", "/api/v1/reports", key=key)[0] == 200  # one token spent over REST

    async def main():
        async with session(stack, key) as s:
            return [await s.client.call_tool("describe_scoring_model", {}) for _ in range(4)]

    results = run(main())
    assert [r.isError for r in results] == [False, False, False, True], [r.content[0].text for r in results]
    assert results[-1].content[0].text.startswith("RESOURCE_EXHAUSTED: rate limit of 4 requests per minute")
    assert stack.rest("GET", "/api/v1/reports", key=key)[0] == 429


def test_every_provider_spec_is_served_as_written_and_the_scoring_model_too(stack: GatewayStack):
    async def main():
        async with session(stack) as s:
            specs = {p: await s.client.read_resource(f"clientanalyze://providers/{p}/spec") for p in PROVIDERS}
            model = await s.client.read_resource("clientanalyze://scoring-model")
            with pytest.raises(McpError) as missing:
                await s.client.read_resource("clientanalyze://providers/spark/spec")
            return specs, model, missing.value

    specs, model, missing = run(main())
    for provider, result in specs.items():
        content = result.contents[0]
        assert content.mimeType == "text/markdown"
        assert content.text.rstrip("\n") == (REPO / "docs" / "providers" / f"{provider}.md").read_text().rstrip("\n")
    assert json.loads(model.contents[0].text)["rules"]
    assert missing.error.code == -32602 and "spark" in missing.error.message
    # The REST API's description points to the same specs.
    description = stack.rest("GET", "/api/v1/openapi.json")[2]["info"]["description"]
    assert "docs/providers/{dadata,casebook,infosphere,tavily,perplexity}.md" in description
    assert "clientanalyze://providers/{name}/spec" in description


def test_prompts_steer_an_agent_through_the_tools(stack: GatewayStack):
    async def main():
        async with session(stack) as s:
            diligence = await s.client.get_prompt("due_diligence", {"inn": CLEAN, "focus": "суды"})
            changes = await s.client.get_prompt("explain_changes", {"thread": CLEAN})
            with pytest.raises(McpError) as missing:
                await s.client.get_prompt("due_diligence", {})
            return diligence, changes, missing.value

    diligence, changes, missing = run(main())
    text = diligence.messages[0].content.text
    assert CLEAN in text and "суды" in text and "get_latest_report" in text and "не ответили" in text
    assert "compare_reports" in changes.messages[0].content.text and f"inn={CLEAN}" in changes.messages[0].content.text
    assert "inn" in missing.error.message


# Access


def test_without_a_valid_key_nothing_starts(stack: GatewayStack):
    for key in (None, "cla_nope", "cla_key0000000000000000_wrongwrongwrongwrong"):
        status, headers, body = raw(stack, "POST", INITIALIZE, mcp_headers(key))
        assert status == 401, (key, body)
        assert headers["www-authenticate"].startswith('Bearer realm="client-analyze", error="invalid_token", error_description="')
        assert headers["www-authenticate"].isascii() and headers["www-authenticate"].isprintable()
        assert json.loads(body)["error"]["code"] == -32600


def test_roles_decide_which_tools_are_listed_and_callable(stack: GatewayStack):
    viewer, analyst = stack.create_key("viewer"), stack.create_key("analyst")

    async def listed(key):
        async with session(stack, key) as s:
            names = {tool.name for tool in (await s.client.list_tools()).tools}
            submit = await s.client.call_tool("analyze_company", {"inn": CLEAN, "wait": False})
            dead = await s.client.call_tool("list_dead_letters", {})
            status = await s.client.call_tool("provider_status", {})
            queue = await s.client.call_tool("queue_depth", {})
            return names, submit, dead, status, queue

    viewer_tools, viewer_submit, viewer_dead, viewer_status, viewer_queue = run(listed(viewer))
    analyst_tools, analyst_submit, analyst_dead, _, _ = run(listed(analyst))
    admin_tools, admin_submit, admin_dead, _, _ = run(listed("admin"))
    assert not viewer_tools & (WRITE_TOOLS | ADMIN_TOOLS) and "get_report" in viewer_tools and "provider_status" in viewer_tools
    # The queue's depth is shown to every analyst (the web app's start page shows it too).
    assert "queue_depth" in viewer_tools and not viewer_queue.isError and "by_state" in viewer_queue.structuredContent
    assert WRITE_TOOLS <= analyst_tools and not analyst_tools & ADMIN_TOOLS
    assert ADMIN_TOOLS <= admin_tools
    # A tool the role may not call is refused by the gateway, as REST and gRPC refuse it, and says why.
    assert viewer_submit.isError and viewer_submit.content[0].text.startswith("PERMISSION_DENIED") and "analyst" in viewer_submit.content[0].text
    assert viewer_dead.isError and analyst_dead.isError and "admin" in analyst_dead.content[0].text
    assert not viewer_status.isError and viewer_status.structuredContent["providers"]
    assert not analyst_submit.isError and analyst_submit.structuredContent["job"]["id"]
    assert not admin_submit.isError and not admin_dead.isError


def test_a_revoked_key_loses_its_open_session_and_a_session_is_bound_to_its_key(stack: GatewayStack):
    key = stack.create_key("analyst")
    status, headers, _ = raw(stack, "POST", INITIALIZE, mcp_headers(key))
    assert status == 200
    session_id = headers["mcp-session-id"]
    listing = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).encode()
    # The session answers its own key only.
    other = stack.create_key("admin")
    status, _, body = raw(stack, "POST", listing, mcp_headers(other, **{"Mcp-Session-Id": session_id}))
    assert status == 403 and b"another API key" in body
    status, _, body = raw(stack, "POST", listing, mcp_headers(key, **{"Mcp-Session-Id": session_id}))
    assert status == 200 and b"analyze_company" in body
    key_id = key.split("_")[1]
    assert stack.rest("DELETE", f"/api/v1/admin/keys/{key_id}")[0] == 200
    stack.gateway.wait_until(
        lambda: raw(stack, "POST", listing, mcp_headers(key, **{"Mcp-Session-Id": session_id}))[0] == 401,
        "the revoked key refused", timeout=40)


def test_each_tool_call_is_audited_with_its_tool_name(stack: GatewayStack):
    async def main():
        async with session(stack) as s:
            return await s.client.call_tool("analyze_company", {"inn": CLEAN, "wait": False, "idempotency_key": "mcp-audit-1"})

    result = run(main())
    job_id = result.structuredContent["job"]["id"]
    _, _, audit = stack.rest("GET", "/api/v1/admin/audit?page.page_size=50")
    records = [r for r in audit["records"] if r.get("action") == "gateway.v1.Analyses/Submit" and r.get("target") == job_id]
    assert records and records[0]["details"]["mcp_tool"] == "analyze_company", audit["records"][:3]
    assert records[0]["remote_address"].startswith("mcp:127.0.0.1:")
    # A gRPC client cannot pass itself off as an MCP tool in the audit log.
    spoofed = stack.gateway.client("call", "/clientanalyze.gateway.v1.Analyses/Submit",
                                   json.dumps({"request": {"inn": CLEAN}, "idempotency_key": "mcp-audit-spoof"}),
                                   f"authorization=Bearer {stack.admin_key}", "x-mcp-tool=analyze_company")
    _, _, audit = stack.rest("GET", "/api/v1/admin/audit?page.page_size=50")
    record = next(r for r in audit["records"] if r.get("target") == spoofed["job"]["id"])
    assert "mcp_tool" not in record.get("details", {})


# Bad input


def test_bad_arguments_are_tool_errors_naming_the_field_and_nothing_is_written(stack: GatewayStack):
    _, _, before = stack.rest("GET", "/api/v1/jobs?page.page_size=200")

    async def main():
        async with session(stack) as s:
            calls = {
                "checksum": await s.client.call_tool("analyze_company", {"inn": "7705123453"}),
                "pattern": await s.client.call_tool("analyze_company", {"inn": "77051234"}),
                "missing": await s.client.call_tool("analyze_company", {}),
                "unknown argument": await s.client.call_tool("get_report", {"id": "r1", "colour": "red"}),
                "provider": await s.client.call_tool("lookup_source", {"source": "spark", "inn": CLEAN}),
                "type": await s.client.call_tool("list_reports", {"page_size": "many"}),
                "range": await s.client.call_tool("list_reports", {"page_size": 100000}),
                "nul": await s.client.call_tool("search_threads", {"query": "ромашка\x00"}),
                "no report": await s.client.call_tool("get_report", {"id": "nope"}),
            }
            with pytest.raises(McpError) as unknown:
                await s.client.call_tool("no_such_tool", {})
            return calls, unknown.value

    calls, unknown = run(main())
    expectations = {
        "checksum": "INVALID_ARGUMENT: request.inn: checksum",
        "pattern": "INVALID_ARGUMENT: argument inn: \"77051234\" does not match",
        "missing": "INVALID_ARGUMENT: argument inn: required",
        "unknown argument": "INVALID_ARGUMENT: argument colour: unknown",
        "provider": "INVALID_ARGUMENT: argument source: \"spark\" is not one of dadata",
        "type": "INVALID_ARGUMENT: argument page_size: expected an integer",
        "range": "INVALID_ARGUMENT: argument page_size: at most 200",
        "no report": "NOT_FOUND: report nope",
    }
    for name, prefix in expectations.items():
        assert calls[name].isError and calls[name].content[0].text.startswith(prefix), (name, calls[name].content)
    assert calls["nul"].isError and "U+0000 (NUL)" in calls["nul"].content[0].text
    assert unknown.error.code == -32602 and "no_such_tool" in unknown.error.message
    _, _, after = stack.rest("GET", "/api/v1/jobs?page.page_size=200")
    assert len(after.get("jobs", [])) == len(before.get("jobs", []))


def test_malformed_json_rpc_oversized_bodies_and_foreign_origins_are_refused(stack: GatewayStack):
    key = stack.admin_key
    status, _, body = raw(stack, "POST", b'{"jsonrpc": "2.0", "id": 1, "method": ', mcp_headers(key))
    assert status == 400 and json.loads(body)["error"]["code"] in (-32700, -32600)
    status, _, body = raw(stack, "POST", b'\xff\xfe not json', mcp_headers(key))
    assert status == 400
    status, _, body = raw(stack, "POST", b'[' + INITIALIZE + b']', mcp_headers(key))
    assert status == 400
    status, _, _ = raw(stack, "POST", b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"x": "' + b"a" * (2 << 20) + b'"}}', mcp_headers(key))
    assert status == 413
    status, _, body = raw(stack, "POST", INITIALIZE, mcp_headers(key, Origin="http://evil.example"))
    assert status == 403 and b"Origin" in body
    status, _, body = raw(stack, "POST", INITIALIZE, mcp_headers(key, Host="evil.example:80"))
    assert status == 421
    status, _, body = raw(stack, "POST", INITIALIZE, mcp_headers(key, Accept="application/json"))
    assert status == 406
    listing = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).encode()
    status, _, body = raw(stack, "POST", listing, mcp_headers(key))
    assert status == 400 and b"initialize" in body
    status, _, body = raw(stack, "POST", listing, mcp_headers(key, **{"Mcp-Session-Id": "no-such-session"}))
    assert status == 404
    status, _, _ = raw(stack, "PUT", INITIALIZE, mcp_headers(key))
    assert status == 405


def test_the_allowed_hosts_are_configurable_for_in_cluster_names(tmp_path: Path):
    stack = GatewayStack(tmp_path, gateway_args=("--set", "mcp.allowed_hosts=localhost,gateway.client-analyze.svc"))
    try:
        status, _, _ = raw(stack, "POST", INITIALIZE, mcp_headers(stack.admin_key, Host="gateway.client-analyze.svc:8080"))
        assert status == 200
        status, _, _ = raw(stack, "POST", INITIALIZE, mcp_headers(stack.admin_key, Host="127.0.0.1:8080"))
        assert status == 421
    finally:
        stack.close()


def test_a_session_ends_with_delete(stack: GatewayStack):
    status, headers, _ = raw(stack, "POST", INITIALIZE, mcp_headers(stack.admin_key))
    session_id = headers["mcp-session-id"]
    assert raw(stack, "DELETE", None, mcp_headers(stack.admin_key, **{"Mcp-Session-Id": session_id}))[0] == 200
    listing = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).encode()
    assert raw(stack, "POST", listing, mcp_headers(stack.admin_key, **{"Mcp-Session-Id": session_id}))[0] == 404


def test_two_concurrent_sessions_each_get_their_own_answers(stack: GatewayStack):
    async def one(inn: str):
        async with session(stack) as s:
            progress = []

            async def on_progress(value, total, message):
                progress.append(value)

            result = await s.client.call_tool("analyze_company", {"inn": inn, "force_refresh": True}, progress_callback=on_progress)
            return s.session_id(), result, progress

    async def main():
        return await asyncio.gather(one("7816345676"), one("5402987650"))

    (first_id, first, first_progress), (second_id, second, second_progress) = run(main())
    assert first_id != second_id
    assert first.structuredContent["report"]["inn"] == "7816345676" and second.structuredContent["report"]["inn"] == "5402987650"
    assert first_progress and second_progress and first_progress[-1] == second_progress[-1] == 100


# stdio


def test_cla_mcp_relays_stdio_to_the_gateway(stack: GatewayStack):
    closed_before = sum(1 for line in stack.gateway.log_lines() if line.get("msg") == "MCP session closed")
    parameters = StdioServerParameters(
        command=str(binary("cla")), args=["mcp", "--url", url(stack)], env={"CLA_API_KEY": stack.admin_key})

    async def main():
        async with stdio_client(parameters) as (read, write):
            async with ClientSession(read, write) as s:
                init = await s.initialize()
                tools = [tool.name for tool in (await s.list_tools()).tools]
                progress = []

                async def on_progress(value, total, message):
                    progress.append(value)

                result = await s.call_tool("analyze_company", {"inn": CLEAN}, progress_callback=on_progress)
                spec = await s.read_resource("clientanalyze://providers/casebook/spec")
                bad = await s.call_tool("analyze_company", {"inn": "7705123453"})
                return init, tools, result, progress, spec, bad

    init, tools, result, progress, spec, bad = run(main())
    assert init.serverInfo.name == "client-analyze" and "analyze_company" in tools and "queue_depth" in tools
    assert not result.isError and result.structuredContent["report"]["inn"] == CLEAN
    assert progress and progress[-1] == 100
    assert spec.contents[0].text.startswith("# Casebook")
    assert bad.isError and "checksum" in bad.content[0].text
    closed = stack.gateway.wait_until(
        lambda: (count := sum(1 for line in stack.gateway.log_lines() if line.get("msg") == "MCP session closed")) > closed_before and count,
        "cla mcp ends its session when stdin closes")
    assert closed == closed_before + 1


def test_cla_mcp_without_a_key_is_a_usage_error(tmp_path: Path):
    import subprocess
    result = subprocess.run([str(binary("cla")), "mcp", "--key-file", str(tmp_path / "none")], capture_output=True, text=True,
                            timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "no API key" in result.stderr
