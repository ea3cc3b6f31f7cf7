"""The Kubernetes manifests (compose/kubernetes, issue 27): kustomize builds the base and the production overlay
(Debian's kubectl), every core resource validates against Kubernetes' own schema (kubernetes-validate), and what
the manifests tell the executables — commands, flags, configuration keys, secret variables, ports, probe
services — is what the executables accept and serve: the flags from `--help`, the keys from `--list-keys`, the
probes asked of a running storage over grpc.health.v1."""

from __future__ import annotations

import re

import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from chassis_support import REPO, ServiceProcess, binary
from ops_support import COMPOSE, init_secrets, load_yaml
from test_operations import flatten, help_flags, list_keys

KUBERNETES = COMPOSE / "kubernetes"
SERVICES = {"gateway": (50051, 9091), "analyzer": (50052, 9092), "report-renderer": (50053, 9093), "storage": (50054, 9094)}
KUBERNETES_VERSION = "1.33"
# Kinds that need an operator; kubernetes-validate knows only Kubernetes' own.
OPERATOR_KINDS = {"ServiceMonitor", "PrometheusRule", "ScaledObject", "TriggerAuthentication"}


def build(overlay: str) -> list[dict]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed (make deps installs Debian's kubectl)"
    done = subprocess.run([kubectl, "kustomize", str(KUBERNETES / overlay)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [document for document in yaml.safe_load_all(done.stdout) if document]


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def manifests(request) -> list[dict]:
    return build(request.param)


@pytest.fixture(scope="module")
def production() -> list[dict]:
    return build("overlays/production")


def of_kind(manifests: list[dict], kind: str) -> dict[str, dict]:
    return {item["metadata"]["name"]: item for item in manifests if item["kind"] == kind}


def test_every_resource_validates_against_the_kubernetes_schema(manifests):
    kinds = {item["kind"] for item in manifests}
    assert {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "ConfigMap"} <= kinds
    for item in manifests:
        if item["kind"] in OPERATOR_KINDS:
            continue
        try:
            kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)
        except jsonschema.ValidationError as error:  # what kubernetes-validate raises for a resource that does not fit
            pytest.fail(f"{item['kind']}/{item['metadata']['name']}: {error.message} at {list(error.absolute_path)}")


def test_the_configuration_is_the_compose_stacks_own():
    for name in SERVICES:
        copy = (KUBERNETES / "base" / "config" / f"{name}.yaml").read_text()
        assert copy == (COMPOSE / "config" / f"{name}.yaml").read_text(), \
            f"compose/kubernetes/base/config/{name}.yaml differs from compose/config/{name}.yaml: copy it over"


def test_each_deployment_runs_its_executable_with_flags_keys_secrets_and_ports_it_accepts(manifests, tmp_path):
    deployments = of_kind(manifests, "Deployment")
    assert set(deployments) == set(SERVICES)
    config = of_kind(manifests, "ConfigMap")
    assert len(config) == 1
    files = next(iter(config.values()))["data"]
    made = {path.name for path in init_secrets(tmp_path).iterdir()}  # the Secret is created from these files
    for name, (rpc_port, admin_port) in SERVICES.items():
        pod = deployments[name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        args = container["args"]
        assert args[0] == name and container["image"].split("/")[-1].startswith("client-analyze")
        accepted = help_flags(binary(name))
        assert all(arg in accepted for arg in args[1:] if arg.startswith("--")), args
        config_path = args[args.index("--config") + 1]
        mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        config_mount = next(m for m in mounts.values() if config_path.startswith(m["mountPath"] + "/"))
        items = volumes[config_mount["name"]]["configMap"]["items"]
        assert [item["path"] for item in items] == [config_path.rsplit("/", 1)[1]]
        keys, variables = list_keys(name)
        settings = flatten(yaml.safe_load(files[items[0]["key"]]))
        assert set(settings) <= set(keys), f"{name}: unknown keys {sorted(set(settings) - set(keys))}"
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        assert ports["grpc"] == settings["rpc.port"] == rpc_port and ports["admin"] == settings["admin.port"] == admin_port
        if name == "gateway":
            assert ports["http"] == settings["rest.port"]

        # Every secret variable names a file of the mounted Secret, and every file it projects exists.
        secrets = next(volume["secret"] for volume in volumes.values() if "secret" in volume)
        assert secrets["secretName"] == "client-analyze-secrets"
        projected = {item["key"] for item in secrets["items"]}
        assert projected <= made, f"{name}: init-secrets.sh makes no {sorted(projected - made)}"
        secret_mount = next(m for m in mounts.values() if volumes[m["name"]].get("secret"))["mountPath"]
        services = of_kind(manifests, "Service")
        for variable in container["env"]:
            assert variable["name"] in variables, f"{name}: {variable['name']} is not a variable {name} reads"
            if variable["name"].endswith("_ADDRESS"):
                # A dependency balanced over every pod: a headless Service of that port.
                match = re.fullmatch(r"dns:///([a-z-]+):(\d+)", variable["value"])
                assert match, variable
                headless = services[match[1]]["spec"]
                assert headless["clusterIP"] == "None" and int(match[2]) in [p["port"] for p in headless["ports"]], variable
                continue
            assert variable["name"].endswith("_FILE") and variable["value"].startswith(secret_mount + "/")
            assert variable["value"].rsplit("/", 1)[1] in projected, variable

        # Probes: gRPC health on the RPC port, liveness by its own name, readiness for the whole server.
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["grpc"]["port"] == rpc_port, (name, probe)
        assert container["livenessProbe"]["grpc"]["service"] == "liveness"
        assert container["readinessProbe"]["grpc"].get("service", "") == ""

        # Locked down: not root (the image's user), a read-only root filesystem, no capabilities.
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        assert pod["automountServiceAccountToken"] is False
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
        assert "useradd --system --uid 10001" in (COMPOSE / "Dockerfile").read_text()


def test_services_budgets_autoscalers_and_network_policies_cover_every_deployment(manifests):
    deployments, services = of_kind(manifests, "Deployment"), of_kind(manifests, "Service")
    budgets, scalers = of_kind(manifests, "PodDisruptionBudget"), of_kind(manifests, "HorizontalPodAutoscaler")
    for name in SERVICES:
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "client-analyze"
        assert services[name]["spec"]["selector"] == deployments[name]["spec"]["selector"]["matchLabels"]
        assert {port["targetPort"] for port in services[name]["spec"]["ports"]} >= {"grpc", "admin"}
        assert budgets[name]["spec"]["selector"]["matchLabels"] == deployments[name]["spec"]["selector"]["matchLabels"]
        if name != "gateway":
            assert services[f"{name}-pods"]["spec"]["clusterIP"] == "None", "a headless Service for client-side balancing"
    for name in ("gateway", "report-renderer"):
        assert scalers[name]["spec"]["scaleTargetRef"]["name"] == name
        assert scalers[name]["spec"]["metrics"][0]["resource"]["name"] == "cpu"

    # Only the gateway's API ports are open to anyone; internal RPC only from our pods; admin from monitoring.
    policies = of_kind(manifests, "NetworkPolicy")
    deny = policies["client-analyze-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress"] and "ingress" not in deny
    open_to_all = [(name, rule) for name, policy in policies.items() for rule in policy["spec"].get("ingress", []) if "from" not in rule]
    assert [name for name, _ in open_to_all] == ["gateway-from-anywhere"]
    assert {port["port"] for port in open_to_all[0][1]["ports"]} == {50051, 8080}
    internal = policies["internal-from-client-analyze"]["spec"]
    assert internal["ingress"][0]["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "client-analyze"}}}]
    assert {port["port"] for port in internal["ingress"][0]["ports"]} == {SERVICES[n][0] for n in ("analyzer", "report-renderer", "storage")}
    admin = policies["admin-from-monitoring"]["spec"]["ingress"][0]
    assert {port["port"] for port in admin["ports"]} == {ports[1] for ports in SERVICES.values()}


def test_production_scrapes_alerts_and_scales_analyzers_on_the_queue(production):
    assert {item["metadata"].get("namespace") for item in production} == {"client-analyze"}
    (monitor,) = of_kind(production, "ServiceMonitor").values()
    assert monitor["spec"]["endpoints"][0]["port"] == "admin" and monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    rules = of_kind(production, "PrometheusRule")["client-analyze"]
    assert rules["spec"]["groups"] == load_yaml(COMPOSE / "prometheus" / "rules" / "cla-alerts.yml")["groups"]
    check = subprocess.run([sys.executable, str(REPO / "scripts" / "kubernetes-rules.py"), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    scaled = of_kind(production, "ScaledObject")["analyzer"]["spec"]
    storage = flatten(load_yaml(KUBERNETES / "base" / "config" / "storage.yaml"))
    assert scaled["scaleTargetRef"]["name"] == "analyzer"
    assert scaled["triggers"][0]["metadata"]["queueName"] == storage["rabbitmq.queue"]
    assert "analyzer" not in of_kind(production, "HorizontalPodAutoscaler"), "KEDA makes the analyzers' autoscaler"
    auth = of_kind(production, "TriggerAuthentication")[scaled["triggers"][0]["authenticationRef"]["name"]]
    assert auth["spec"]["secretTargetRef"][0] == {"parameter": "host", "name": "client-analyze-secrets", "key": "rabbitmq_url"}
    assert of_kind(production, "Deployment")["analyzer"]["spec"]["replicas"] == 3


def test_the_probes_the_manifests_ask_for_are_answered_by_a_running_service(tmp_path):
    # Storage alone on SQLite has no required dependency: both probes answer SERVING once it listens.
    storage = ServiceProcess("storage", tmp_path, ["--set", f"storage.path={tmp_path / 'cla.sqlite'}"])
    try:
        storage.wait_until(lambda: storage.http("/readyz")[0] == 200, "storage ready")
        for service in ("liveness", ""):
            answer = storage.client("check", service) if service else storage.client("check")
            assert answer["status"] == "SERVING", (service, answer)
    finally:
        storage.kill()
