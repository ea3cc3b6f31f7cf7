"""System tests of the service chassis: the four real executables (and chassis-test-server, the chassis
around grpc.testing.TestService) started as processes and used as an operator and a client would."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from chassis_support import ServiceProcess, binary, metric_value

EXECUTABLES = ["gateway", "analyzer", "report-renderer", "storage"]
# Dependencies that nobody serves (port 1 refuses connections), so readiness does not depend on what else
# runs on this machine.
NOWHERE = ["--set", "dependencies.storage.address=127.0.0.1:1"]
DEPENDENCY_ARGS = {
    "gateway": NOWHERE + ["--set", "dependencies.analyzer.address=127.0.0.1:1",
                          "--set", "dependencies.report_renderer.address=127.0.0.1:1"],
    "analyzer": NOWHERE + ["--set", "dependencies.report_renderer.address=127.0.0.1:1"],
    "report-renderer": [],
    "storage": [],
}
HAS_REQUIRED_DEPENDENCY = {"gateway": True, "analyzer": True, "report-renderer": False, "storage": False}


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.mark.parametrize("name", EXECUTABLES)
def test_executable_serves_the_operational_contract(name: str, log_dir: Path):
    with ServiceProcess(name, log_dir, DEPENDENCY_ARGS[name]) as service:
        # /healthz: alive, fixed schema.
        status, liveness = service.json("/healthz")
        assert status == 200
        assert set(liveness) == {"status", "service", "uptime_seconds"} and liveness["status"] == "alive"
        assert liveness["service"] == name

        # The line announcing the RPC port names the allocator: linking RPCHTTP2 makes it mimalloc.
        listening = next(line for line in service.log_lines() if "rpc.port" in line)
        assert listening.get("allocator", "").startswith("mimalloc"), f"{name} logged {listening}"

        # /info: what runs, with the effective feature flags.
        status, info = service.json("/info")
        assert status == 200
        assert set(info) == {"name", "version", "git_revision", "build", "instance", "started_at_ms",
                             "uptime_seconds", "feature_flags", "backends"}
        assert info["name"] == name
        assert info["feature_flags"]["web_search"] == "true" and info["feature_flags"]["queue_backend"] == "embedded"

        # /readyz: ready unless a required dependency is down, which it names.
        required = HAS_REQUIRED_DEPENDENCY[name]
        ready_status = 503 if required else 200

        def readiness_settled():
            status, body = service.json("/readyz")
            checked = all(d["detail"] != "not checked yet" for d in body["dependencies"])
            return (status, body) if status == ready_status and checked else None

        status, readiness = service.wait_until(readiness_settled, f"/readyz {ready_status}")
        assert set(readiness) == {"status", "phase", "dependencies"}
        assert readiness["phase"] == "serving"
        assert readiness["status"] == ("not_ready" if required else "ready")
        for dependency in readiness["dependencies"]:
            assert set(dependency) == {"name", "required", "status", "detail", "checked_seconds_ago"}
            assert dependency["status"] == "down" and "UNAVAILABLE" in dependency["detail"]
            assert "127.0.0.1:1" in dependency["detail"]

        # gRPC: health agrees with /readyz; reflection lists the services and resolves a method's type.
        assert service.client("check")["status"] == ("NOT_SERVING" if required else "SERVING")
        reflected = service.client("reflect")
        assert {"grpc.health.v1.Health", "clientanalyze.ops.v1.Ops", "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection"} <= set(reflected["services"])
        assert reflected["get_metrics_input"] == "clientanalyze.ops.v1.GetMetricsRequest"
        assert service.client("info")["name"] == name

        # /metrics: valid for promtool, with the RPC metrics of the calls just made.
        status, content_type, exposition = service.http("/metrics")
        assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
        checked = subprocess.run([promtool(), "check", "metrics"], input=exposition, capture_output=True, text=True)
        assert checked.returncode == 0, f"promtool: {checked.stdout}{checked.stderr}\n{exposition}"
        assert metric_value(exposition, "grpc_server_handled_total", grpc_service="grpc.health.v1.Health",
                            grpc_method="Check", grpc_code="OK") == 1
        assert metric_value(exposition, "grpc_server_started_total", grpc_service="clientanalyze.ops.v1.Ops",
                            grpc_method="GetInfo") == 1
        assert metric_value(exposition, "grpc_server_handling_seconds_count", grpc_method="GetInfo") == 1
        assert metric_value(exposition, "cla_build_info", service=name) == 1
        assert metric_value(exposition, "process_resident_memory_bytes") > 1_000_000
        if required:
            assert metric_value(exposition, "grpc_client_handled_total", grpc_service="grpc.health.v1.Health",
                                grpc_code="UNAVAILABLE") >= 1

        # Ops.GetMetrics is the same data, typed.
        metrics = service.client("metrics", "grpc_server_handled")["metrics"]
        assert [m["name"] for m in metrics] == ["grpc_server_handled_total"]
        assert metrics[0]["kind"] == "METRIC_KIND_COUNTER"


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool not found: `make deps` installs Debian's prometheus package"
    return path


@pytest.mark.parametrize("name", EXECUTABLES)
def test_bad_configuration_prints_one_line_and_exits_non_zero(name: str, tmp_path: Path):
    config = tmp_path / "bad.yaml"
    config.write_text("rpc:\n  port: 50000\nadmin:\n  prot: 9000\n")
    done = subprocess.run([str(binary(name)), "--config", str(config)], capture_output=True, text=True, timeout=10)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr == (f'{name}: config error in {config} line 4: admin.prot: unknown key '
                           f'(did you mean "admin.port"?)\n')

    done = subprocess.run([str(binary(name)), "--rpc-port", "0"], capture_output=True, text=True, timeout=10,
                          env={"CLA_LOG_LEVEL": "verbose"})
    assert done.returncode == 2
    assert done.stderr == (f"{name}: config error in environment variable CLA_LOG_LEVEL: log.level: expected one "
                           f'of trace, debug, info, notice, warning, error, critical, got "verbose"\n')


@pytest.mark.parametrize("name", EXECUTABLES)
def test_help_and_version(name: str):
    done = subprocess.run([str(binary(name)), "--help"], capture_output=True, text=True, timeout=10)
    assert done.returncode == 0
    for flag in ["--config", "--rpc-port", "--admin-port", "--set", "--version"]:
        assert flag in done.stdout
    done = subprocess.run([str(binary(name)), "--version"], capture_output=True, text=True, timeout=10)
    assert done.returncode == 0 and done.stdout.startswith(f"{name} 0.")


def test_readyz_follows_a_required_dependency(log_dir: Path):
    renderer = ServiceProcess("report-renderer", log_dir)
    storage = ServiceProcess("storage", log_dir)
    storage_port = storage.rpc_port
    analyzer_args = ["--set", f"dependencies.storage.address=127.0.0.1:{storage_port}",
                     "--set", f"dependencies.report_renderer.address={renderer.address}",
                     "--set", "health.probe_interval=100ms"]
    try:
        with ServiceProcess("analyzer", log_dir, analyzer_args) as analyzer:
            analyzer.wait_until(lambda: analyzer.json("/readyz")[0] == 200, "ready with both dependencies up")
            assert analyzer.client("check")["status"] == "SERVING"

            storage.kill()
            _, body = analyzer.wait_until(
                lambda: (r := analyzer.json("/readyz"))[0] == 503 and r, "not ready once storage is gone")
            down = {d["name"]: d for d in body["dependencies"]}
            assert down["storage"]["status"] == "down" and down["report-renderer"]["status"] == "up"
            assert analyzer.client("check")["status"] == "NOT_SERVING"

            storage = ServiceProcess("storage", log_dir, rpc_port=storage_port)
            analyzer.wait_until(lambda: analyzer.json("/readyz")[0] == 200, "ready again after storage restarts")
            assert analyzer.client("check")["status"] == "SERVING"
            messages = [line["msg"] for line in analyzer.log_lines() if line.get("dependency") == "storage"]
            assert messages == ["dependency is up", "dependency is down", "dependency is up"]
    finally:
        storage.kill()
        renderer.kill()


def test_sigterm_drains_in_flight_calls_and_refuses_new_ones(log_dir: Path):
    with ServiceProcess("chassis-test-server", log_dir, ["--set", "shutdown.drain_timeout=30s"]) as server:
        watch = server.client_process("watch")
        slow = server.client_process("slow", "100", "2")

        def in_flight() -> float:
            value = metric_value(server.http("/metrics")[2], "grpc_server_in_flight_calls",
                                 grpc_method="StreamingOutputCall")
            return value or 0

        server.wait_until(lambda: in_flight() == 100, "100 slow calls in flight")
        assert json.loads(watch.stdout.readline()) == {"status": "SERVING"}

        server.signal(signal.SIGTERM)
        assert json.loads(watch.stdout.readline()) == {"status": "NOT_SERVING"}
        # New calls are refused while the old ones finish.
        late = server.client_process("unary")
        late_out, late_err = late.communicate(timeout=30)
        assert late.returncode != 0, f"a call after SIGTERM succeeded: {late_out}"
        assert "UNAVAILABLE" in late_err

        out, err = slow.communicate(timeout=60)
        assert slow.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1]) == {"codes": {"OK": 100}}
        assert server.wait(timeout=30) == 0
        watch_out, watch_err = server.finish(watch, timeout=10)
        assert watch_out.strip(), f"the watch ended without a status (exit {watch.returncode}):\n{watch_err}"
        assert json.loads(watch_out.strip().splitlines()[-1]) == {"end": "UNAVAILABLE"}
        messages = [line["msg"] for line in server.log_lines()]
        assert any(m.startswith("SIGTERM: shutting down gracefully") for m in messages)
        assert messages[-1] == "stopped"


def test_a_second_signal_exits_at_once(log_dir: Path):
    with ServiceProcess("chassis-test-server", log_dir, ["--set", "shutdown.drain_timeout=60s"]) as server:
        slow = server.client_process("slow", "1", "30")
        server.wait_until(lambda: metric_value(server.http("/metrics")[2], "grpc_server_in_flight_calls",
                                               grpc_method="StreamingOutputCall") == 1, "a slow call in flight")
        server.signal(signal.SIGTERM)
        server.wait_until(lambda: any(l["msg"].startswith("SIGTERM") for l in server.log_lines()), "the first SIGTERM")
        started = time.monotonic()
        server.signal(signal.SIGINT)
        assert server.wait(timeout=5) == 1
        assert time.monotonic() - started < 5
        slow.kill()


def test_sighup_reloads_flags_and_log_level_and_says_what_changed(log_dir: Path, tmp_path: Path):
    config = tmp_path / "analyzer.yaml"
    config.write_text("log:\n  level: info\nfeatures:\n  web_search: true\nproviders:\n  dadata:\n    api_key: old-key-123\n")
    args = ["--config", str(config)] + DEPENDENCY_ARGS["analyzer"]
    with ServiceProcess("analyzer", log_dir, args) as analyzer:
        assert analyzer.json("/info")[1]["feature_flags"]["web_search"] == "true"
        config.write_text("log:\n  level: debug\nfeatures:\n  web_search: false\nshutdown:\n  drain_timeout: 5s\n"
                          "providers:\n  dadata:\n    api_key: new-key-456\n")
        analyzer.signal(signal.SIGHUP)
        analyzer.wait_until(lambda: analyzer.json("/info")[1]["feature_flags"]["web_search"] == "false",
                            "the new flag in /info")
        assert analyzer.client("info")["featureFlags"]["web_search"] == "false"
        lines = analyzer.log_lines()
        reloaded = [l["msg"] for l in lines if l["msg"].startswith("configuration reloaded")]
        assert reloaded == [
            "configuration reloaded: log.level: info → debug; features.web_search: true → false; "
            "providers.dadata.api_key: (set) → (changed)",
            "configuration reloaded: these keys changed but need a restart and keep their old value: "
            "shutdown.drain_timeout",
        ]
        # The new level is in force: debug lines (each RPC's "RPC finished") now appear.
        analyzer.client("check")
        analyzer.wait_until(lambda: any(l["level"] == "debug" for l in analyzer.log_lines()), "a debug line")

        # A broken file changes nothing.
        config.write_text("log: [broken\n")
        analyzer.signal(signal.SIGHUP)
        analyzer.wait_until(lambda: any("not reloaded" in l["msg"] for l in analyzer.log_lines()), "the refusal")
        assert analyzer.json("/healthz")[0] == 200
        log = analyzer.log_text()
        assert "old-key-123" not in log and "new-key-456" not in log


def test_log_lines_of_a_call_carry_its_request_and_trace_id(log_dir: Path):
    with ServiceProcess("chassis-test-server", log_dir, ["--set", "log.level=debug"]) as server:
        server.client("unary", "x-request-id=req-42", "traceparent=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        server.client("unary")
        finished = [l for l in server.log_lines() if l["msg"] == "RPC finished" and "UnaryCall" in l["rpc.method"]]
        assert len(finished) == 2
        assert finished[0]["request.id"] == "req-42"
        assert finished[0]["trace.id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert finished[0]["rpc.code"] == "OK" and finished[0]["service"] == "chassis-test-server"
        # Without an id from the caller, the server makes one.
        assert len(finished[1]["request.id"]) == 16 and "trace.id" not in finished[1]


def test_secrets_stay_out_of_logs_info_and_errors(log_dir: Path, tmp_path: Path):
    secret_file = tmp_path / "llm-key"
    secret_file.write_text("file-secret-789\n")
    env = {"CLA_PROVIDERS_TAVILY_API_KEY": "env-secret-123", "CLA_LLM_API_KEY_FILE": str(secret_file)}
    with ServiceProcess("analyzer", log_dir, DEPENDENCY_ARGS["analyzer"] + ["--set", "log.level=trace"], env=env) as analyzer:
        analyzer.client("check")
        _, _, info = analyzer.http("/info")
        for text in [info, analyzer.log_text(), json.dumps(analyzer.client("info"))]:
            assert "env-secret-123" not in text and "file-secret-789" not in text
    done = subprocess.run([str(binary("analyzer")), "--set", "providers.tavily.api_key_file=/nonexistent/secret-path"],
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 2 and "cannot read the secret file" in done.stderr
    listed = subprocess.run([str(binary("analyzer")), "--list-keys"], capture_output=True, text=True, timeout=10,
                            env=env)
    assert "providers.tavily.api_key = (not set)" in listed.stdout and "env-secret-123" not in listed.stdout
