"""Helpers of test_operations.py: the compose files, tools that must be installed (a missing one fails the test,
never skips it), a throw-away Prometheus on loopback, RabbitMQ's Prometheus plugin on a test broker, the
gateway stack started from compose/config/, and the metric names and label matchers in PromQL."""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from backend_servers import RabbitMQ, free_port
from chassis_support import HERE, REPO, ServiceProcess

COMPOSE = REPO / "compose"
SERVICES = ("gateway", "analyzer", "report-renderer", "storage")


def tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed: `make deps` installs it (Makefile APT_PACKAGES)", pytrace=False)
    return path


def init_secrets(tmp_path: Path) -> Path:
    """Runs compose/init-secrets.sh on a copy of compose/ under tmp_path: the secrets folder it filled, whose
    files (dotfiles aside) are what compose mounts and the Kubernetes Secret is made from."""
    copy = tmp_path / "compose"
    shutil.copytree(COMPOSE, copy, ignore=shutil.ignore_patterns("secrets", "kubernetes"))
    run("bash", copy / "init-secrets.sh")
    for hidden in (copy / "secrets").glob(".*"):
        hidden.unlink()
    return copy / "secrets"


def run(*command: str | Path, timeout: float = 60, env: dict | None = None) -> str:
    """Runs a command; a non-zero exit fails the test with its output."""
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(map(str, command))}` exited with {done.returncode}\n--- stdout ---\n{done.stdout}"
                    f"\n--- stderr ---\n{done.stderr}", pytrace=False)
    return done.stdout + done.stderr


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text())


def compose_file(name: str = "compose.yaml") -> dict:
    return load_yaml(COMPOSE / name)


# PromQL ----------------------------------------------------------------------------------------------------------

_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'|`([^`]*)`')
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_RANGE = re.compile(r"\[[^\]]*\]")
_BRACES = re.compile(r"\{([^{}]*)\}")
_IDENTIFIER = re.compile(r"(?<![\w$.:#§])[A-Za-z_:][\w:]*(?![\w:])")
_MATCHER = re.compile(r"([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*§(\d+)§")
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
             "offset", "atan2", "inf", "nan"}


def promql_selectors(expr: str) -> tuple[list[tuple[str, list[tuple[str, str, str]]]], set[str]]:
    """The vector selectors of a PromQL expression as (metric name, [(label, operator, value)]), and the label
    names of its grouping clauses (by, without, on, ignoring, group_left/right). Functions and aggregations
    are told apart from metric names by the parenthesis that follows them."""
    strings: list[str] = []

    def keep_string(match: re.Match) -> str:
        strings.append(next(group for group in match.groups() if group is not None))
        return f"§{len(strings) - 1}§"

    text = _STRING.sub(keep_string, expr)
    grouping = set()
    for match in _GROUPING.finditer(text):
        grouping |= {label.strip() for label in match.group(2).split(",") if label.strip()}
    text = _GROUPING.sub(" ", text)
    text = _RANGE.sub(" ", text)
    matcher_sets: list[list[tuple[str, str, str]]] = []

    def keep_braces(match: re.Match) -> str:
        matcher_sets.append([(label, op, strings[int(index)]) for label, op, index in _MATCHER.findall(match.group(1))])
        return f"{{#{len(matcher_sets) - 1}}}"

    text = _BRACES.sub(keep_braces, text)
    selectors = []
    for match in _IDENTIFIER.finditer(text):
        name = match.group(0)
        rest = text[match.end():].lstrip()
        if name in _KEYWORDS or rest.startswith("("):
            continue
        matchers = []
        if rest.startswith("{#"):
            matchers = matcher_sets[int(rest[2:rest.index("}")])]
        selectors.append((name, matchers))
    return selectors, grouping


def grafana_to_promql(expr: str) -> str:
    """A panel's query with Grafana's variables replaced, as Prometheus would receive it."""
    expr = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "1h")
    return re.sub(r"\$\{?\w+\}?", ".+", expr)


def dashboards() -> dict[Path, dict]:
    return {path: json.loads(path.read_text()) for path in sorted((COMPOSE / "grafana" / "dashboards").glob("*.json"))}


def panels(board: dict):
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(board: dict) -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable."""
    queries = [(f"panel {panel['title']!r}", target["expr"])
               for panel in panels(board) for target in panel.get("targets", []) if target.get("expr")]
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            match = re.fullmatch(r"label_values\(\s*([\w:]+)\s*,\s*(\w+)\s*\)", query.strip())
            assert match, f"variable {variable['name']}: only label_values(metric, label) is supported here: {query}"
            queries.append((f"variable {variable['name']!r}", f'count by ({match[2]}) ({match[1]})'))
    return queries


def alert_rules() -> list[dict]:
    return [rule for path in sorted((COMPOSE / "prometheus" / "rules").glob("*.yml"))
            for group in load_yaml(path)["groups"] for rule in group["rules"]]


def exposition_series(text: str) -> dict[str, dict[str, set[str]]]:
    """Metric name → label → the values seen, from a Prometheus text exposition."""
    series: dict[str, dict[str, set[str]]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head = line.rsplit(" ", 1)[0]
        name, _, labels = head.partition("{")
        entry = series.setdefault(name, {})
        for label, value in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels):
            entry.setdefault(label, set()).add(value)
    return series


# Processes ---------------------------------------------------------------------------------------------------------

def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the test process goes, so nothing outlives a crashed run."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Prometheus:
    """/usr/bin/prometheus on a free loopback port with its data in a temporary directory; a scrape target
    "SELF" in the config is replaced by its own address."""

    def __init__(self, directory: Path, config: dict):
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        for job in config["scrape_configs"]:  # "SELF": this Prometheus's own address
            for static in job.get("static_configs", []):
                static["targets"] = [f"127.0.0.1:{self.port}" if t == "SELF" else t for t in static["targets"]]
        self.config_path = directory / "prometheus.yml"
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.log_path = directory / "prometheus.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [tool("prometheus"), f"--config.file={self.config_path}", f"--storage.tsdb.path={directory / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=self.log, stderr=self.log, preexec_fn=_die_with_parent)
        try:
            self.wait_until(lambda: self._ready(), "Prometheus ready", timeout=30)
        except BaseException:
            self.close()
            raise

    def _ready(self) -> bool:
        assert self.process.poll() is None, f"prometheus exited:\n{self.log_path.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def api(self, path: str, **params) -> dict:
        """GET /api/v1/<path>; the `data` of a successful answer, else an AssertionError with the error."""
        query = urllib.parse.urlencode(params, doseq=True)
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            body = json.loads(error.read())
        assert body.get("status") == "success", f"{path} {params}: {body}"
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        return self.api("query", query=expr)["result"]

    def wait_until(self, condition, what: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}\n--- prometheus log ---\n"
                             f"{self.log_path.read_text()[-3000:]}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


def local_prometheus_config(targets: dict[str, list[str]]) -> dict:
    """compose/prometheus/prometheus.yml for local processes: the same jobs, paths, parameters and rule files,
    each job's discovery replaced by the given loopback targets, 1 s intervals, no Alertmanager."""
    config = load_yaml(COMPOSE / "prometheus" / "prometheus.yml")
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert sorted(jobs) == sorted(targets), f"the test has targets for {sorted(targets)}, prometheus.yml scrapes {jobs}"
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["rule_files"] = [str(COMPOSE / "prometheus" / pattern) for pattern in config["rule_files"]]
    config.pop("alerting", None)
    for job in config["scrape_configs"]:
        for key in [key for key in job if key.endswith("_sd_configs") or key == "static_configs"]:
            del job[key]
        job["static_configs"] = [{"targets": targets[job["job_name"]]}]
    return config


def enable_rabbitmq_prometheus(broker: RabbitMQ) -> int:
    """Turns on the rabbitmq_prometheus plugin of a running test broker (scripts/rabbitmq-test-server.sh starts it
    without plugins), listening on a free loopback port; returns that port."""
    script_args = broker.process.args  # script BASE AMQP_PORT DIST_PORT EPMD_PORT PARENT_PID
    node = f"cla-test-{broker.port}@localhost"
    env = {**os.environ, "HOME": str(broker.base / "home"), "ERL_EPMD_PORT": str(script_args[4]),
           "RABBITMQ_CONF_ENV_FILE": "/dev/null", "RABBITMQ_ENABLED_PLUGINS_FILE": str(broker.base / "enabled_plugins"),
           "RABBITMQ_PLUGINS_EXPAND_DIR": str(broker.base / "plugins-expand"),
           "RABBITMQ_MNESIA_BASE": str(broker.base / "mnesia")}
    port = free_port()
    run("/usr/lib/rabbitmq/bin/rabbitmqctl", "-q", "-n", node, "eval",
        "application:load(rabbitmq_prometheus), application:set_env(rabbitmq_prometheus, tcp_config, "
        f'[{{port, {port}}}, {{ip, "127.0.0.1"}}]).', env=env)
    run("/usr/lib/rabbitmq/bin/rabbitmq-plugins", "-n", node, "enable", "--online", "rabbitmq_prometheus", env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                if response.status == 200:
                    return port
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise AssertionError(f"rabbitmq_prometheus did not answer on 127.0.0.1:{port}")


def ops_client(service: ServiceProcess, *args: str, timeout: float = 90) -> dict:
    """ops_client.py (grpcio, in a child process) against a service: its last JSON line."""
    done = subprocess.run([sys.executable, str(HERE / "ops_client.py"), service.address, *args],
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"ops_client {args} failed:\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
