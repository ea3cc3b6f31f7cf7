"""Operations (issue 10): the compose stack, Prometheus alerts and their unit tests, Alertmanager, Grafana
dashboards, the configuration reference and the runbook, checked against the real executables.

Static checks: promtool and amtool on the configuration; the compose files against the Compose Specification's
JSON schema; compose commands, config keys, variables and ports against what the executables accept
(`--help`, `--list-keys`); the Dockerfile against the Makefile's packages and the libraries the binaries link;
dashboards' JSON; runbook anchors; docs/configuration.md against scripts/config-reference.py.

System checks (one module-scoped stack): the gateway stack of test_gateway.py with Tarantool and RabbitMQ, each
service started from its compose/config file; one full analysis so that every metric family is exported; a
real Prometheus (loopback, 1 s scrapes) with compose's scrape jobs and alert rules scraping it all; the
dashboards' and rules' metrics checked against what the services export; a poison job dead-lettered on a
separate storage until Prometheus sees storage_jobs{state="dead"} rise and the DLQ alert go pending.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from backend_servers import RabbitMQ, Tarantool
from chassis_support import REPO, ServiceProcess, binary, raw_call
from ops_support import (COMPOSE, SERVICES, Prometheus, init_secrets, alert_rules, compose_file, dashboard_queries, dashboards,
                         enable_rabbitmq_prometheus, exposition_series, grafana_to_promql, http_get, load_yaml,
                         local_prometheus_config, ops_client, panels, promql_selectors, run, tool)
from test_gateway import TOKEN, GatewayStack

DATASOURCE_UID = "cla-prometheus"
# Series that do not come from our services, named precisely. Prometheus's own: `up` (one per target) and
# `ALERTS` (one per pending or firing alert). RabbitMQ's rabbitmq_prometheus plugin: the node-wide series on
# /metrics and the per-queue ones on /metrics/detailed (families queue_coarse_metrics, queue_consumer_count);
# the system test checks each of them is really served by the plugin.
PROMETHEUS_SERIES = {"up": {"job", "instance"}, "ALERTS": {"alertname", "alertstate", "severity", "job", "instance"}}
RABBITMQ_SERIES = {"rabbitmq_connections", "rabbitmq_channels", "rabbitmq_channel_messages_published_total",
                   "rabbitmq_channel_messages_delivered_ack_total", "rabbitmq_channel_messages_redelivered_total",
                   "rabbitmq_detailed_queue_messages_ready", "rabbitmq_detailed_queue_messages_unacked",
                   "rabbitmq_detailed_queue_consumers"}
TARGET_LABELS = {"job", "instance"}  # added by Prometheus to every scraped series
SCHEMA = Path(__file__).resolve().parent / "data" / "compose-spec" / "compose_spec.json"
SCHEMA_SHA256 = "0dc04bd346dcfee1b1419628fff79937bbf076925f298f272a2b490e2b112bac"


# promtool, amtool ----------------------------------------------------------------------------------------------------

def test_promtool_accepts_the_prometheus_config_and_the_alert_rules():
    out = run(tool("promtool"), "check", "config", COMPOSE / "prometheus" / "prometheus.yml")
    rules = sorted((COMPOSE / "prometheus" / "rules").glob("*.yml"))
    assert rules and f"SUCCESS: {len(rules)} rule files found" in out, out  # the config pulls in every rule file
    out = run(tool("promtool"), "check", "rules", *rules)
    assert f"SUCCESS: {len(alert_rules())} rules found" in out, out


def test_promtool_rule_unit_tests_pass_and_every_alert_has_firing_and_quiet_cases():
    tests = sorted((COMPOSE / "prometheus" / "tests").glob("*.yml"))
    out = run(tool("promtool"), "test", "rules", *tests)
    assert "SUCCESS" in out and "FAILED" not in out, out
    firing, quiet = set(), set()
    for path in tests:
        for group in load_yaml(path)["tests"]:
            for case in group.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    alerts = {rule["alert"] for rule in alert_rules() if "alert" in rule}
    assert alerts - firing == set(), f"alerts without a test where they fire: {sorted(alerts - firing)}"
    assert alerts - quiet == set(), f"alerts without a test where they must not fire: {sorted(alerts - quiet)}"


def test_every_alert_has_severity_summary_and_a_runbook_section_and_every_section_an_alert():
    runbook = (REPO / "docs" / "runbook.md").read_text()
    anchors = {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
               for heading in re.findall(r"^#{2,4} (.+)$", runbook, re.M)}
    alerts = set()
    for rule in alert_rules():
        if "alert" not in rule:
            continue
        alerts.add(rule["alert"])
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        path, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert path == "docs/runbook.md" and anchor in anchors, f"{rule['alert']}: no section #{anchor} in {path}"
        assert anchor == rule["alert"].lower(), f"{rule['alert']}: the runbook section is named after the alert"
    sections = set(re.findall(r"^### (Cla\w+)$", runbook, re.M))
    assert sections == alerts, f"runbook sections without a rule: {sorted(sections - alerts)}; rules without: {sorted(alerts - sections)}"


def test_alertmanager_config_is_valid_and_routes_critical_alerts_to_on_call():
    config = COMPOSE / "alertmanager" / "alertmanager.yml"
    assert "SUCCESS" in run(tool("amtool"), "check-config", config)

    def route(*labels: str) -> str:
        return run(tool("amtool"), "config", "routes", "test", f"--config.file={config}", *labels).split("\n")[0].strip()

    assert route("severity=critical", "alertname=ClaTargetDown") == "on-call"
    assert route("severity=warning", "alertname=ClaQueueOldestJobTooOld") == "operators"
    severities = {rule["labels"]["severity"] for rule in alert_rules() if "alert" in rule}
    assert severities == {"critical", "warning"}


# Compose --------------------------------------------------------------------------------------------------------

def compose_validator():
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256, f"{SCHEMA} differs from the vendored file"
    schema = json.loads(SCHEMA.read_text())
    assert schema["$schema"].startswith("http://json-schema.org/draft/2019-09/schema")
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


@pytest.mark.parametrize("name", ["compose.yaml", "compose.sandbox.yaml"])
def test_compose_files_follow_the_compose_specification(name):
    validator = compose_validator()
    document = compose_file(name)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)
    # The schema is strict: a misspelt key is an error.
    broken = json.loads(json.dumps(document))
    next(iter(broken["services"].values()))["helthcheck"] = {"test": ["NONE"]}
    assert any("helthcheck" in e.message for e in validator.iter_errors(broken))


def help_flags(executable: str | Path) -> set[str]:
    done = subprocess.run([str(executable), "--help"], capture_output=True, text=True, timeout=30)
    flags = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9.-]*", done.stdout + done.stderr))
    assert flags, f"{executable} --help listed no flags"
    return flags


SERVICE_IMAGE = "client-analyze:dev"


def test_compose_commands_use_only_flags_the_executables_accept():
    ours = {"gateway", "analyzer", "report-renderer", "storage", "provider-sandbox", "cla"}
    checked = set()
    for name in ("compose.yaml", "compose.sandbox.yaml"):
        for service_name, service in compose_file(name)["services"].items():
            command = service.get("command")
            if not command:
                continue
            if service.get("image") == SERVICE_IMAGE:
                assert command[0] in ours, f"{service_name}: runs {command[0]}, not one of our executables"
                executable, args = binary(command[0]), command[1:]
            elif service["image"] == "client-analyze-prometheus:dev":
                executable, args = tool("prometheus"), command
            elif service["image"] == "client-analyze-alertmanager:dev":
                executable, args = tool("prometheus-alertmanager"), command
            else:
                pytest.fail(f"{service_name}: no check for the command of image {service['image']}")
            accepted = help_flags(executable)
            for arg in args:
                if arg.startswith("--"):
                    assert arg.split("=")[0] in accepted, f"{service_name}: {arg} is not a flag of {executable}"
            checked.add(service_name)
    assert checked >= {*SERVICES, "provider-sandbox", "prometheus", "alertmanager"}, checked


def list_keys(executable: str) -> tuple[dict[str, str], set[str]]:
    """Every key with its default, and every CLA_ variable, as `<executable> --list-keys` prints them."""
    out = run(binary(executable), "--list-keys", env={})
    keys, variables = {}, set()
    for line in out.splitlines():
        match = re.match(r"^(\S+) = (.*?) {4}\[([^\]]*)\]$", line)
        if match:
            keys[match[1]] = match[2]
            variables |= set(re.findall(r"CLA_\w+", match[3]))
    assert len(keys) > 10, out
    return keys, variables


def flatten(mapping: dict, prefix: str = "") -> dict[str, object]:
    flat = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= flatten(value, name + ".")
        else:
            flat[name] = value
    return flat


def service_config(compose: dict, service: str) -> tuple[Path, dict[str, object]]:
    """The config file compose mounts for one of our services (its --config argument) and its keys."""
    command = compose["services"][service]["command"]
    target = command[command.index("--config") + 1]
    # Bind mounts, not `configs:` (podman-compose does not support them).
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in compose["services"][service].get("volumes", [])
              if volume.startswith("./")}
    assert target in mounts, f"{service}: --config {target} is not mounted"
    path = COMPOSE / mounts[target]
    return path, flatten(load_yaml(path))


def host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def test_compose_config_files_use_only_keys_the_executables_list_and_the_ports_agree():
    compose = compose_file()
    prometheus = load_yaml(COMPOSE / "prometheus" / "prometheus.yml")
    scrape = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    configs, ports = {}, {}
    for service in SERVICES:
        keys, variables = list_keys(service)
        path, config = service_config(compose, service)
        assert sorted(set(config) - set(keys)) == [], f"{path.name}: keys {service} does not accept"
        configs[service] = config
        definition = compose["services"][service]
        for variable, value in definition.get("environment", {}).items():
            if variable.startswith("CLA_"):
                assert variable in variables, f"{service}: {variable} is no variable of {service} --list-keys"
            if str(value).startswith("/run/secrets/"):
                assert Path(value).name in definition["secrets"], f"{service}: {value} is not a secret it mounts"
        rpc = int(config.get("rpc.port", keys["rpc.port"]))
        admin = int(config.get("admin.port", keys["admin.port"]))
        ports[service] = rpc
        assert config.get("rpc.host") == "0.0.0.0" and config.get("admin.host") == "0.0.0.0", \
            f"{service}: other containers reach it only on 0.0.0.0"
        exposed = {int(p) for p in definition.get("expose", [])} | {int(str(p).split(":")[-1]) for p in definition.get("ports", [])}
        assert {rpc, admin} <= exposed, f"{service}: exposes {exposed}, config says rpc {rpc} admin {admin}"
        health = " ".join(definition["healthcheck"]["test"])
        assert f"http://127.0.0.1:{admin}/readyz" in health, f"{service}: health check {health} is not its /readyz"
        job = scrape[service]
        targets = [t for c in job.get("static_configs", []) for t in c["targets"]]
        discovered = [(name, c["port"]) for c in job.get("dns_sd_configs", []) for name in c["names"]]
        assert targets == [f"{service}:{admin}"] or discovered == [(service, admin)], f"prometheus job {service}: {job}"
    gateway = configs["gateway"]
    # Published on the host's loopback, at the same port unless a variable chooses another.
    published = {int(m[1]): int(m[2]) for p in compose["services"]["gateway"]["ports"]
                 if (m := re.fullmatch(r"127\.0\.0\.1:\$\{CLA_[A-Z_]+:-(\d+)\}:(\d+)", p))}
    assert published == {int(gateway["rest.port"]): int(gateway["rest.port"]), ports["gateway"]: ports["gateway"]}, \
        compose["services"]["gateway"]["ports"]
    # Dependencies: each address names a compose service at that service's RPC port.
    for service, config in configs.items():
        for key, value in config.items():
            if key.startswith("dependencies.") and key.endswith(".address"):
                # dns:///name:port balances over every address of the name (an analyzer per replica).
                host, port = host_port(str(value).removeprefix("dns:///"))
                assert host in compose["services"] and ports.get(host) == port, f"{service}: {key} = {value}"
    # Storage and the analyzers agree on the queue (docs/backends.md): the same backend and broker settings.
    for key in ["features.queue_backend", *[k for k in configs["storage"] if k.startswith("rabbitmq.")]]:
        assert configs["storage"][key] == configs["analyzer"].get(key), f"storage and analyzer differ in {key}"
    assert configs["storage"]["features.queue_backend"] == "rabbitmq"
    broker_host, broker_port = host_port(configs["storage"]["rabbitmq.address"])
    assert str(broker_port) in compose["services"][broker_host]["expose"]
    assert f"{broker_host}:15692" in scrape["rabbitmq"]["static_configs"][0]["targets"]
    assert "prometheus.tcp.port = 15692" in (COMPOSE / "rabbitmq" / "rabbitmq.conf").read_text()
    tarantool_host, tarantool_port = host_port(configs["storage"]["storage.tarantool.address"])
    assert configs["storage"]["storage.backend"] == "tarantool"
    assert compose["services"][tarantool_host]["environment"]["CLA_TARANTOOL_LISTEN"].endswith(f":{tarantool_port}")
    assert configs["storage"]["storage.tarantool.user"] == compose["services"][tarantool_host]["environment"]["CLA_TARANTOOL_USER"]
    # Tarantool runs the repository's instance script, as the test harnesses do.
    assert "./tarantool:/opt/cla/tarantool:ro" in compose["services"]["tarantool"]["volumes"]
    assert "/opt/cla/tarantool/init.lua" in " ".join(compose["services"]["tarantool"]["entrypoint"])
    assert compose["services"]["analyzer"]["deploy"]["replicas"] >= 2
    # The sandbox override: its variables are the analyzer's, and its URL is where the sandbox listens.
    sandbox = compose_file("compose.sandbox.yaml")["services"]
    _, analyzer_variables = list_keys("analyzer")
    assert set(sandbox["analyzer"]["environment"]) <= analyzer_variables
    command = sandbox["provider-sandbox"]["command"]
    url = f"http://provider-sandbox:{command[command.index('--port') + 1]}"
    assert sandbox["analyzer"]["environment"]["CLA_PROVIDERS_SANDBOX_URL"] == url
    assert command[command.index("--host") + 1] == "0.0.0.0"


def test_init_secrets_creates_every_secret_file_compose_mounts(tmp_path: Path):
    secrets = init_secrets(tmp_path)
    copy = secrets.parent
    declared = compose_file()["secrets"]
    made = {path.name for path in secrets.iterdir()}
    # Only the Kubernetes manifests use these two (test_kubernetes.py checks their secrets).
    kubernetes_only = {"admin_key", "rabbitmq_url"}
    assert made == set(declared) | kubernetes_only, f"made {sorted(made)}, compose declares {sorted(declared)}"
    assert (copy / "secrets" / "admin_key").read_text().startswith("cla_admin_")
    password = (copy / "secrets" / "rabbitmq_password").read_text()
    assert (copy / "secrets" / "rabbitmq_url").read_text() == f"amqp://cla:{password}@rabbitmq:5672/"
    for name, secret in declared.items():
        assert (copy / secret["file"]).resolve() == (copy / "secrets" / name).resolve()
    assert len((copy / "secrets" / "service_token").read_text()) >= 32
    token = (copy / "secrets" / "service_token").read_text()
    run("bash", copy / "init-secrets.sh")
    assert (copy / "secrets" / "service_token").read_text() == token, "running it again must keep the secrets"
    used = {name for service in compose_file()["services"].values() for name in service.get("secrets", [])}
    assert used == set(declared), f"declared but unused: {sorted(set(declared) - used)}"


# Dockerfile -----------------------------------------------------------------------------------------------------

def dockerfile_stages() -> list[str]:
    text = (COMPOSE / "Dockerfile").read_text().replace("\\\n", " ")
    return re.split(r"^FROM ", text, flags=re.M)[1:]


def apt_packages(stage: str) -> set[str]:
    match = re.search(r"apt-get install -y --no-install-recommends((?:\s+[a-z0-9][a-z0-9.+-]*)+)", stage)
    assert match, stage
    return set(match[1].split())


def test_dockerfile_builds_what_compose_runs_with_the_makefile_packages_and_the_linked_libraries():
    build, runtime = dockerfile_stages()
    assert "--static-swift-stdlib" in build and re.match(r"\$\{SWIFT_IMAGE\} AS build", build)
    assert re.search(r"ARG SWIFT_IMAGE=swift:6\.\d+-bookworm", (COMPOSE / "Dockerfile").read_text())
    assert re.search(r"ARG RUNTIME_IMAGE=debian:bookworm-slim", (COMPOSE / "Dockerfile").read_text())
    makefile = (REPO / "Makefile").read_text()
    apt = set(re.search(r"^APT_PACKAGES\s*:=(.*)$", makefile, re.M)[1].split())
    assert {p for p in apt_packages(build) if p.endswith("-dev")} == {p for p in apt if p.endswith("-dev")}
    assert apt_packages(build) <= apt, "the build stage installs packages the Makefile does not list"
    built = [set(m.split()) for m in re.findall(r"for product in ([a-z -]+); do", build)]
    smoke = set(re.search(r"for product in ([a-z -]+); do\s+\"\$product\" --help", runtime)[1].split())
    run_in_compose = {service["command"][0] for name in ("compose.yaml", "compose.sandbox.yaml")
                      for service in compose_file(name)["services"].values()
                      if service.get("image") == SERVICE_IMAGE}
    assert all(products == smoke for products in built) and run_in_compose <= smoke, (built, smoke, run_in_compose)
    # images/services.Containerfile is the same runtime around binaries built on the host (for podman).
    prebuilt = (COMPOSE / "images" / "services.Containerfile").read_text().replace("\\\n", " ")
    assert apt_packages(prebuilt) == apt_packages(runtime)
    assert set(re.search(r"for product in ([a-z -]+); do", prebuilt)[1].split()) == smoke
    # Every shared library the executables link comes from a package the runtime stage installs (libc6 and
    # libgcc-s1 are in every Debian image). Swift's own libraries are linked statically in the release build,
    # except what they need themselves: FoundationXML needs libxml2, FoundationNetworking libcurl.
    runtime_packages = apt_packages(runtime) | {"libc6", "libgcc-s1"}
    toolchain_needs = {"libFoundationXML.so": "libxml2", "libFoundationNetworking.so": "libcurl4"}
    system_libraries: dict[str, set[str]] = {}  # soname → products linking it
    for product in sorted(smoke):
        path = binary(product)
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-d", path))
        resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", run("ldd", path), re.M))
        for soname in needed:
            if "/swift/" in resolved.get(soname, ""):
                if soname in toolchain_needs:
                    assert toolchain_needs[soname] in runtime_packages, f"{product} links {soname}"
            else:
                system_libraries.setdefault(soname, set()).add(product)
    owners = {}
    for line in run("dpkg", "-S", *[f"*/{soname}" for soname in system_libraries]).splitlines():
        package, _, path = line.partition(": ")
        owners.setdefault(Path(path).name, package.split(":")[0])
    for soname, products in sorted(system_libraries.items()):
        assert owners.get(soname) in runtime_packages, \
            f"{sorted(products)} link {soname} from {owners.get(soname)}, which the runtime stage does not install"


# Configuration reference ---------------------------------------------------------------------------------------

def test_the_configuration_reference_is_what_the_executables_print_now():
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "config-reference.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{done.stderr}\n{done.stdout[-6000:]}"
    text = (REPO / "docs" / "configuration.md").read_text()
    for service in SERVICES:
        keys, _ = list_keys(service)
        missing = [key for key in keys if f"`{key}`" not in text]
        assert not missing, f"{service} keys missing from docs/configuration.md: {missing}"


# Grafana ---------------------------------------------------------------------------------------------------------

def test_dashboards_are_valid_json_with_fixed_unique_uids_on_the_provisioned_datasource():
    provisioning = load_yaml(COMPOSE / "grafana" / "provisioning" / "datasources" / "prometheus.yaml")
    (datasource,) = provisioning["datasources"]
    assert datasource["uid"] == DATASOURCE_UID and datasource["type"] == "prometheus"
    prometheus = compose_file()["services"]["prometheus"]
    assert datasource["url"] == "http://prometheus:9090" and "127.0.0.1:${CLA_PROMETHEUS_PORT:-9090}:9090" in prometheus["ports"]
    provider = load_yaml(COMPOSE / "grafana" / "provisioning" / "dashboards" / "client-analyze.yaml")["providers"][0]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in compose_file()["services"]["grafana"]["volumes"]

    boards = dashboards()
    uids = [board["uid"] for board in boards.values()]
    assert len(uids) == len(set(uids)) and all(re.fullmatch(r"cla-[a-z0-9-]{1,36}", uid) for uid in uids), uids
    assert {"cla-overview", "cla-rpc", "cla-jobs", "cla-providers", "cla-storage"} <= set(uids)
    for path, board in boards.items():
        assert board.get("id") is None, f"{path.name}: a fixed id would clash between Grafana instances"
        ids = [panel["id"] for panel in panels(board)]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        for panel in panels(board):
            if panel["type"] == "row":
                continue
            assert panel["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}, f"{path.name}: {panel['title']}"
            assert panel["targets"] and all(t["datasource"]["uid"] == DATASOURCE_UID and t["expr"] for t in panel["targets"])
            assert panel.get("description"), f"{path.name}: {panel['title']} has no description"
    jobs = boards[COMPOSE / "grafana" / "dashboards" / "jobs.json"]
    tiles = {panel["title"]: panel for panel in panels(jobs) if panel["type"] == "stat"}
    for title, series in [("Dead letters (storage)", 'storage_jobs{state="dead"}'),
                          ("Dead letters (RabbitMQ DLQ)", 'storage_broker_messages{queue="dead"}')]:
        tile = tiles[title]
        assert series in tile["targets"][0]["expr"]
        steps = tile["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert steps[-1] == {"color": "red", "value": 11}, f"{title}: red above 10, as the alert"


def test_the_promql_reader_finds_metrics_and_labels():
    selectors, grouping = promql_selectors(
        'sum by (le, job) (rate(a_bucket{x="1", y=~"p|q"}[$__rate_interval])) / ignoring(z) b or vector(0) '
        'and on (job) histogram_quantile(0.9, c{le="1.0"}) > 1e3 offset 5m')
    assert selectors == [("a_bucket", [("x", "=", "1"), ("y", "=~", "p|q")]), ("b", []), ("c", [("le", "=", "1.0")])]
    assert grouping == {"le", "job", "z"}


# The system ---------------------------------------------------------------------------------------------------------

class ComposeConfiguredStack(GatewayStack):
    """test_gateway.py's stack, each service started as compose.yaml starts it — its --config file from
    compose/config/ and its environment, with the /run/secrets/ files replaced by local ones — on loopback and
    free ports (flags override the file's hosts, ports and backend addresses)."""

    def __init__(self, tmp_path: Path, **kwargs):
        self.compose = compose_file()
        self.secrets = tmp_path / "secrets"
        self.secrets.mkdir(parents=True)
        values = {"service_token": TOKEN, "tarantool_password": Tarantool.PASSWORD, "rabbitmq_password": RabbitMQ.PASSWORD}
        for name in self.compose["secrets"]:
            (self.secrets / name).write_text(values.get(name, "") + "\n")
        super().__init__(tmp_path, **kwargs)

    def start(self, name: str, args: list[str] = (), rpc_port: int = 0) -> ServiceProcess:
        definition = self.compose["services"][name]
        config, _ = service_config(self.compose, name)
        command = [str(config) if arg.startswith("/etc/cla/") else arg for arg in definition["command"][1:]]
        env = {key: str(value).replace("/run/secrets/", f"{self.secrets}/") for key, value in definition["environment"].items()}
        local = ["--set", "rpc.host=127.0.0.1", "--set", "admin.host=127.0.0.1"]
        if name == "gateway":
            local += ["--set", "rest.host=127.0.0.1"]
        if name == "storage":
            local += ["--set", "cache.cleanup_interval=1s"]  # so that an expired entry is swept at once
        service = ServiceProcess(name, self.tmp_path, [*command, *args, *local], env=env, rpc_port=rpc_port)
        self.services.append(service)
        return service


def send_undecodable(service: ServiceProcess, metadata: list[tuple[str, str]]):
    """One call whose request bytes are truncated protobuf: INTERNAL, counted as the peer's fault."""
    code, _ = raw_call(service.address, "/clientanalyze.storage.v1.Threads/SearchThreads", b"\x0a\x09ab", metadata)
    assert code == "INTERNAL"


class Operations:
    def __init__(self, tmp_path: Path):
        self.stack = self.poison = self.prometheus = None
        try:
            self.stack = ComposeConfiguredStack(tmp_path, backend="tarantool+rabbitmq")
            self.rabbitmq_metrics_port = enable_rabbitmq_prometheus(self.stack.rabbitmq)
            # One analysis end to end, its PDF downloaded, and an expired cache entry swept: every family is
            # exported after that (provider, job, render, broker, cache metrics appear on first use).
            status, _, body = self.stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "5402987650"}})
            assert status == 202, body
            job = self.stack.wait_job(body["job"]["id"])
            status, _, _ = self.stack.rest("GET", f"/api/v1/reports/{job['report_id']}/document")
            assert status == 200
            ops_client(self.stack.storage, "expire", "ops:expiring", f"x-service-token={TOKEN}")
            self.stack.storage.wait_until(lambda: "storage_cache_expired_removed_total" in self.stack.storage.http("/metrics")[2],
                                          "the sweeper to remove the expired entry")
            # Request bytes that do not decode, so the counter the error-rate rule subtracts exists.
            send_undecodable(self.stack.storage, [("x-service-token", TOKEN)])
            # A storage of its own for the poison jobs (the stack's analyzer would take them), dead-lettering
            # after 2 attempts.
            (tmp_path / "poison").mkdir()
            self.poison = ServiceProcess("storage", tmp_path / "poison", [
                "--set", "jobs.max_attempts=2", "--set", "jobs.retry_backoff=100ms"])
            self.services = {service.name: service for service in self.stack.services}
            self.prometheus = Prometheus(tmp_path / "prometheus", local_prometheus_config({
                "gateway": [self.target(self.stack.gateway)],
                "analyzer": [self.target(self.stack.analyzer)],
                "report-renderer": [self.target(self.stack.renderer)],
                "storage": [self.target(self.stack.storage), self.target(self.poison)],
                "rabbitmq": [f"127.0.0.1:{self.rabbitmq_metrics_port}"],
                "rabbitmq-queues": [f"127.0.0.1:{self.rabbitmq_metrics_port}"],
                "prometheus": ["SELF"],
            }))
            # Every target scraped once before any test reads Prometheus (the scrape test then checks them).
            self.prometheus.wait_until(self.scraped_once, "every target scraped once")
        except BaseException:
            self.close()
            raise

    def scraped_once(self) -> list[dict] | None:
        targets = self.prometheus.api("targets", state="active")["activeTargets"]
        return targets if targets and all(t["health"] != "unknown" for t in targets) else None

    @staticmethod
    def target(service: ServiceProcess) -> str:
        return f"127.0.0.1:{service.admin_port}"

    def close(self):
        if self.prometheus:
            self.prometheus.close()
        if self.poison:
            self.poison.kill()
        if self.stack:
            self.stack.close()


@pytest.fixture(scope="module")
def ops(tmp_path_factory):
    operations = Operations(tmp_path_factory.mktemp("operations"))
    yield operations
    operations.close()


def test_the_services_run_from_the_compose_config_files_and_answer_their_health_checks(ops: Operations):
    info = ops.stack.storage.json("/info")[1]
    assert info["backends"]["queue"] == "rabbitmq" and info["feature_flags"]["queue_backend"] == "rabbitmq"
    assert info["backends"]["storage"] == "tarantool"
    assert ops.stack.analyzer.json("/info")[1]["backends"]["queue"] == "rabbitmq"
    compose = compose_file()
    for name, service in ops.services.items():
        url = re.search(r"http://127\.0\.0\.1:\d+(/\S*)", " ".join(compose["services"][name]["healthcheck"]["test"]))
        status, body = http_get(f"http://127.0.0.1:{service.admin_port}{url[1]}")
        assert status == 200 and json.loads(body)["status"] == "ready", f"{name} {url[1]}: {status} {body}"
        _, config = service_config(compose, name)
        assert service.json("/info")[1]["feature_flags"]["queue_backend"] == config.get("features.queue_backend", "embedded")


def test_the_tarantool_health_check_passes_on_a_ready_instance_and_fails_with_a_wrong_password(ops: Operations):
    check = compose_file()["services"]["tarantool"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "tarantool", "-e"]
    script = check[3].replace("127.0.0.1:3301", f"127.0.0.1:{ops.stack.tarantool.port}")
    local = script.replace("/run/secrets/", f"{ops.stack.secrets}/")
    assert local != script
    assert subprocess.run([tool("tarantool"), "-e", local], capture_output=True, timeout=30).returncode == 0
    wrong = ops.stack.secrets / "wrong_password"
    wrong.write_text("not-the-password\n")
    failing = local.replace(str(ops.stack.secrets / "tarantool_password"), str(wrong))
    assert subprocess.run([tool("tarantool"), "-e", failing], capture_output=True, timeout=30).returncode != 0


def test_prometheus_scrapes_every_target_without_errors(ops: Operations):
    prometheus = ops.prometheus
    targets = ops.scraped_once()
    # A target that failed once may be retried: give each a few cycles to be up, then require no error.
    targets = prometheus.wait_until(lambda: (ts := ops.scraped_once()) and all(t["health"] == "up" for t in ts) and ts,
                                    f"every target up: {[(t['scrapePool'], t['lastError']) for t in targets if t['health'] != 'up']}",
                                    timeout=15)
    assert {t["scrapePool"] for t in targets} == {job["job_name"] for job in load_yaml(COMPOSE / "prometheus" / "prometheus.yml")["scrape_configs"]}
    assert all(t["lastError"] == "" for t in targets), [(t["scrapeUrl"], t["lastError"]) for t in targets]
    up = prometheus.query("up")
    assert len(up) == len(targets) and all(sample["value"][1] == "1" for sample in up), up


def test_the_alert_rules_load_and_evaluate_without_errors(ops: Operations):
    expected = {rule["alert"] for rule in alert_rules()}

    def evaluated():
        rules = [rule for group in ops.prometheus.api("rules")["groups"] for rule in group["rules"]]
        return rules if rules and all(not rule["lastEvaluation"].startswith("0001") for rule in rules) else None

    rules = ops.prometheus.wait_until(evaluated, "every rule evaluated once")
    assert {rule["name"] for rule in rules} == expected
    assert all(rule["health"] == "ok" and not rule.get("lastError") for rule in rules), \
        [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"]


def exported(ops: Operations) -> dict[str, dict[str, set[str]]]:
    """What our services export now: metric name → label → values (the poison storage included)."""
    series: dict[str, dict[str, set[str]]] = {}
    for service in [*ops.stack.services, ops.poison]:
        for name, labels in exposition_series(service.http("/metrics")[2]).items():
            entry = series.setdefault(name, {})
            for label, values in labels.items():
                entry.setdefault(label, set()).update(values)
    return series


def swift_string_literals() -> set[str]:
    literals = set()
    for directory in ("Services", "Shared"):
        for source in (REPO / directory).rglob("*.swift"):
            literals |= set(re.findall(r'"([A-Za-z0-9_.]+)"', source.read_text(errors="replace")))
    return literals


def test_every_metric_and_label_the_dashboards_and_rules_use_is_exported(ops: Operations):
    ours = exported(ops)
    for family in ["grpc_client_handled_total", "provider_requests_total", "analyzer_jobs_total", "render_requests_total",
                   "storage_broker_messages", "storage_jobs_published_total", "storage_cache_expired_removed_total",
                   "grpc_server_undecodable_requests_total"]:
        assert family in ours, f"{family} not exported after the analysis: the test no longer provokes it"
    rabbitmq = set(ops.prometheus.api("label/__name__/values", **{"match[]": '{job=~"rabbitmq.*"}'}))
    assert RABBITMQ_SERIES <= rabbitmq, f"not served by rabbitmq_prometheus: {sorted(RABBITMQ_SERIES - rabbitmq)}"

    def labels_of(name: str) -> set[str]:
        if name in ours:
            return set(ours[name]) | TARGET_LABELS
        if name in PROMETHEUS_SERIES:
            return PROMETHEUS_SERIES[name]
        found = ops.prometheus.api("series", **{"match[]": name})
        return {label for series in found for label in series} - {"__name__"}

    jobs = {job["job_name"] for job in load_yaml(COMPOSE / "prometheus" / "prometheus.yml")["scrape_configs"]}
    literals = swift_string_literals()
    queries = [(f"rule {rule['alert']}", rule["expr"]) for rule in alert_rules()]
    queries += [(f"{path.name} {where}", expr) for path, board in dashboards().items() for where, expr in dashboard_queries(board)]
    problems = []
    for where, expr in queries:
        selectors, grouping = promql_selectors(expr)
        assert selectors, f"{where}: no metric found in {expr}"
        available = set(TARGET_LABELS)
        for name, matchers in selectors:
            if name not in ours and name not in PROMETHEUS_SERIES and name not in RABBITMQ_SERIES:
                problems.append(f"{where}: {name} is not exported by any service")
                continue
            labels = labels_of(name)
            available |= labels
            for label, op, value in matchers:
                if label not in labels:
                    problems.append(f"{where}: {name} has no label {label}")
                elif "$" in value or name not in ours and label != "job":
                    continue
                elif label == "job":
                    if not set(value.split("|")) <= jobs:
                        problems.append(f"{where}: job {value!r} is not a scrape job")
                elif re.fullmatch(r"[\w.+]+(\|[\w.+]+)*", value):
                    # Each value (or alternative of a simple regex) is one the metric was seen with or one the
                    # sources name (outcomes and codes that need a failure to appear).
                    unknown = [v for v in value.split("|") if v not in ours[name].get(label, set()) and v not in literals]
                    if unknown:
                        problems.append(f"{where}: {name}{{{label}{op}…}}: no such value {unknown}")
        for label in grouping - available:
            problems.append(f"{where}: groups by {label}, which none of its metrics has")
    assert not problems, "\n".join(problems)


def test_every_dashboard_query_is_valid_promql(ops: Operations):
    for path, board in dashboards().items():
        for where, expr in dashboard_queries(board):
            try:
                ops.prometheus.query(grafana_to_promql(expr))
            except AssertionError as error:
                pytest.fail(f"{path.name} {where}: {error}", pytrace=False)


def test_a_poison_job_dead_lettered_raises_the_dlq_gauge_in_prometheus_and_the_alert_goes_pending(ops: Operations):
    instance = ops.target(ops.poison)
    dead = f'storage_jobs{{state="dead", instance="{instance}"}}'
    before = ops.prometheus.wait_until(lambda: ops.prometheus.query(dead), f"{dead} scraped")
    assert before[0]["value"][1] == "0", before
    # 11 jobs (one more than the alert's threshold), each leased and failed until storage dead-letters it.
    result = ops_client(ops.poison, "poison", "11")
    assert result == {"dead": 11, "attempts": [2] * 11}, result
    ops.prometheus.wait_until(lambda: [s for s in ops.prometheus.query(dead) if s["value"][1] == "11"],
                              f"{dead} to reach 11 in Prometheus")

    def pending():
        alerts = ops.prometheus.api("alerts")["alerts"]
        return [a for a in alerts if a["labels"]["alertname"] == "ClaDeadLetterQueueBacklog" and a["labels"].get("instance") == instance]

    (alert,) = ops.prometheus.wait_until(pending, "ClaDeadLetterQueueBacklog for the poison storage")
    assert alert["state"] == "pending" and alert["labels"]["severity"] == "critical" and alert["labels"]["state"] == "dead"
    assert alert["annotations"]["summary"] == f"11 dead-lettered jobs on {instance} (storage queue)"
    # The stack's own storage has no dead letters: its alert stays quiet.
    assert not [a for a in ops.prometheus.api("alerts")["alerts"]
                if a["labels"].get("instance") == ops.target(ops.stack.storage)]
