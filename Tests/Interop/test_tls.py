"""TLS (issue 27, item 4): the gateway's gRPC and REST ports over TLS, called with grpcio, curl, urllib and the
cla command line; certificates renewed in place and re-read on SIGHUP; mutual TLS between all four services;
expired, mismatched and untrusted certificates refused, each with a sentence that says why."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from chassis_support import HERE, ServiceProcess, binary, metric_value
from test_analyzer import pdf_text
from test_gateway import GatewayStack
from tls_support import PKI


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


def trusting(pki: PKI) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pki.ca.path))


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True, text=True, timeout=30)


def served_certificate(port: int) -> str:
    """The PEM certificate a new connection to the port is given (no verification: we only look at it)."""
    return ssl.get_server_certificate(("127.0.0.1", port), timeout=5)


def same_certificate(pem: str, other: str) -> bool:
    return ssl.PEM_cert_to_DER_cert(pem) == ssl.PEM_cert_to_DER_cert(other)


def grpc_check(service: ServiceProcess, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A grpcio health check of the service with the given CLA_TEST_TLS_* variables."""
    return subprocess.run([sys.executable, str(HERE / "chassis_client.py"), service.address, "check"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **env})


def cla(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary("cla")), *args], capture_output=True, text=True, timeout=60)


# ---- The gateway's external ports ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stack(tmp_path_factory, pki):
    """The gateway serves TLS on both its ports; the services behind it speak h2c among themselves."""
    directory = tmp_path_factory.mktemp("tls-gateway")
    # The gateway reads its certificate from these paths, which a test renews in place.
    cert, key = directory / "gateway.pem", directory / "gateway.key"
    cert.write_bytes(pki.server.cert.read_bytes())
    key.write_bytes(pki.server.key.read_bytes())
    stack = GatewayStack(directory, rest_tls=trusting(pki), gateway_args=(
        "--set", f"tls.certificate_file={cert}", "--set", f"tls.key_file={key}"))
    stack.gateway.client_env = pki.grpc_env()
    stack.cert_path, stack.key_path = cert, key
    yield stack
    stack.close()


def test_the_gateway_serves_grpc_and_rest_over_tls_to_grpcio_curl_and_the_cli(stack, pki, tmp_path):
    listening = [line["msg"] for line in stack.gateway.log_lines() if "listening on" in line.get("msg", "")]
    assert any(m.startswith("REST listening on https://") for m in listening), listening
    assert any(m.startswith("RPC listening on") and m.endswith("(TLS)") for m in listening), listening

    # grpcio trusting our CA: health, and a call of the gateway's own API with a key.
    assert stack.gateway.client("check")["status"] == "SERVING"
    status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7705123452"}})
    assert status == 202, body
    job = stack.wait_job(body["job"]["id"])
    got = stack.grpc("Analyses/GetJob", {"job_id": job["id"]})
    assert got["job"]["state"] == "JOB_STATE_SUCCEEDED", got

    # curl over HTTPS with the CA: the PDF of that analysis.
    pdf = tmp_path / "report.pdf"
    done = curl("--cacert", str(pki.ca.path), "-H", f"Authorization: Bearer {stack.admin_key}", "-o", str(pdf), "-w", "%{http_code} %{ssl_verify_result}",
                f"https://127.0.0.1:{stack.rest_port}/api/v1/reports/{job['report_id']}/document")
    assert done.returncode == 0 and done.stdout == "200 0", done
    assert "ИНН 7705123452" in pdf_text(pdf.read_bytes(), tmp_path)
    # localhost is in the certificate too; without the CA curl refuses it, and plain HTTP gets no answer.
    untrusted = curl(f"https://localhost:{stack.rest_port}/api/v1/openapi.json")
    assert untrusted.returncode == 60 and "certificate" in untrusted.stderr, untrusted
    plain = curl("-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{stack.rest_port}/api/v1/openapi.json")
    assert plain.returncode != 0 or plain.stdout != "200", plain

    # cla with --ca-file (before or after the subcommand); without it, h2c to a TLS port fails with exit 1.
    listed = cla("--ca-file", str(pki.ca.path), "--gateway", stack.gateway.address, f"--key={stack.admin_key}", "--json",
                 "list", "--inn", "7705123452")
    assert listed.returncode == 0, listed
    assert json.loads(listed.stdout)["reports"][0]["id"] == job["report_id"]
    h2c = cla("--gateway", stack.gateway.address, f"--key={stack.admin_key}", "list")
    assert h2c.returncode == 1 and h2c.stderr.startswith("cla: UNAVAILABLE"), h2c
    missing = cla("--ca-file", str(tmp_path / "nope.pem"), "--gateway", stack.gateway.address, f"--key={stack.admin_key}", "list")
    assert missing.returncode == 2 and "nope.pem: cannot read it (no such file or directory)" in missing.stderr, missing

    # grpcio trusting another CA is refused, and the gateway counts the failed handshake.
    before = metric_value(stack.gateway.http("/metrics")[2], "tls_handshake_failures_total", use="rpc") or 0
    wrong_ca = grpc_check(stack.gateway, pki.grpc_env(ca=pki.other.path))
    assert wrong_ca.returncode != 0 and "UNAVAILABLE" in wrong_ca.stderr, wrong_ca
    stack.gateway.wait_until(
        lambda: (metric_value(stack.gateway.http("/metrics")[2], "tls_handshake_failures_total", use="rpc") or 0) > before,
        "the failed handshake counted")


def test_cla_mcp_relays_to_the_gateway_over_https_trusting_the_ca_file(stack, pki):
    relay = subprocess.Popen(
        [str(binary("cla")), "mcp", "--ca-file", str(pki.ca.path), "--url", f"https://127.0.0.1:{stack.rest_port}/mcp"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CLA_API_KEY": stack.admin_key})
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}
    out, err = relay.communicate(json.dumps(initialize) + "\n", timeout=60)
    answer = json.loads(out.splitlines()[0])
    assert answer["id"] == 1 and answer["result"]["serverInfo"]["name"] == "client-analyze", (out, err)


def test_a_certificate_renewed_in_place_is_served_after_sighup_and_a_bad_one_keeps_the_one_in_use(stack, pki):
    assert same_certificate(served_certificate(stack.rest_port), pki.server.pem())
    assert same_certificate(served_certificate(stack.gateway.rpc_port), pki.server.pem())

    stack.cert_path.write_bytes(pki.renewed.cert.read_bytes())
    stack.key_path.write_bytes(pki.renewed.key.read_bytes())
    stack.gateway.signal(signal.SIGHUP)
    stack.gateway.wait_until(lambda: same_certificate(served_certificate(stack.rest_port), pki.renewed.pem()), "REST serves the renewed certificate")
    assert same_certificate(served_certificate(stack.gateway.rpc_port), pki.renewed.pem())
    expiry = metric_value(stack.gateway.http("/metrics")[2], "tls_certificate_expiry_timestamp_seconds", use="rest")
    assert expiry == pki.renewed.not_after.timestamp(), expiry
    assert stack.gateway.client("check")["status"] == "SERVING"

    # An expired certificate, then a key of another certificate: each refused with its reason, the renewed one stays.
    stack.cert_path.write_bytes(pki.expired.cert.read_bytes())
    stack.key_path.write_bytes(pki.expired.key.read_bytes())
    stack.gateway.signal(signal.SIGHUP)
    stack.gateway.wait_until(lambda: "expired on" in stack.gateway.log_text(), "the expired certificate refused")
    stack.cert_path.write_bytes(pki.renewed.cert.read_bytes())
    stack.gateway.signal(signal.SIGHUP)
    stack.gateway.wait_until(lambda: "is not the key of the certificate" in stack.gateway.log_text(), "the mismatched key refused")
    errors = [line["msg"] for line in stack.gateway.log_lines() if line.get("level") == "error"]
    assert any(m.startswith("TLS files not reloaded, the ones in use stay: the certificate in") and "expired on" in m for m in errors), errors
    assert same_certificate(served_certificate(stack.rest_port), pki.renewed.pem())
    assert same_certificate(served_certificate(stack.gateway.rpc_port), pki.renewed.pem())
    status, _, _ = stack.rest("GET", "/api/v1/openapi.json", key=None)
    assert status == 200
    stack.key_path.write_bytes(pki.renewed.key.read_bytes())


@pytest.mark.parametrize("case", ["expired", "mismatched", "missing", "half", "client-ca-without-tls", "client-tls-off"])
def test_a_service_with_unusable_tls_files_does_not_start_and_says_which_file_and_why(pki, tmp_path, case):
    args = {
        "expired": pki.server_args(pki.expired),
        "mismatched": ("--set", f"tls.certificate_file={pki.server.cert}", "--set", f"tls.key_file={pki.renewed.key}"),
        "missing": ("--set", f"tls.certificate_file={tmp_path / 'none.pem'}", "--set", f"tls.key_file={pki.server.key}"),
        "half": ("--set", f"tls.certificate_file={pki.server.cert}"),
        "client-ca-without-tls": ("--set", f"tls.client_ca_file={pki.ca.path}"),
        "client-tls-off": ("--set", f"dependencies.tls.ca_file={pki.ca.path}"),
    }[case]
    expected = {
        "expired": f"the certificate in {pki.expired.cert} (tls.certificate_file) expired on 20",
        "mismatched": f"tls.key_file {pki.renewed.key} is not the key of the certificate in {pki.server.cert}",
        "missing": f"tls.certificate_file {tmp_path / 'none.pem'}: cannot read it (no such file or directory)",
        "half": "tls.certificate_file and tls.key_file go together: set both or neither",
        "client-ca-without-tls": "tls.client_ca_file asks for client certificates, which needs TLS",
        "client-tls-off": "dependencies.tls.ca_file is set but dependencies.tls.enabled is false",
    }[case]
    done = subprocess.run([str(binary("storage")), "--rpc-port", "0", "--admin-port", "0",
                           "--set", f"storage.path={tmp_path / 'db.sqlite'}", *args],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done
    assert done.stderr.startswith("storage: ") and expected in done.stderr, done.stderr
    assert not (tmp_path / "db.sqlite").exists()


# ---- Mutual TLS between the services -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mutual(tmp_path_factory, pki):
    """Every service serves TLS and asks for a client certificate from the test CA; every service dials its
    dependencies over TLS with the client certificate."""
    stack = GatewayStack(tmp_path_factory.mktemp("tls-mutual"), rest_tls=trusting(pki),
                         common_args=(*pki.server_args(client_ca=True), *pki.client_args()))
    for service in stack.services:
        service.client_env = pki.grpc_env(pki.client)
    yield stack
    stack.close()


def test_with_mutual_tls_an_analysis_runs_through_every_service_to_a_pdf(mutual, tmp_path):
    status, _, body = mutual.rest("POST", "/api/v1/analyses", {"request": {"inn": "7816345676"}})
    assert status == 202, body
    job = mutual.wait_job(body["job"]["id"], timeout=60)
    status, head, pdf = mutual.rest("GET", f"/api/v1/reports/{job['report_id']}/document")
    assert status == 200 and head["Content-Type"] == "application/pdf"
    assert "ИНН 7816345676" in pdf_text(pdf, tmp_path)
    for service in mutual.services:
        assert service.client("check")["status"] == "SERVING", service.name
        assert any(line.get("msg", "").endswith("(TLS)") for line in service.log_lines()), service.name


@pytest.mark.parametrize("client", ["none", "expired", "stranger"])
def test_a_service_asking_for_client_certificates_refuses_none_an_expired_one_and_one_of_another_ca(mutual, pki, client):
    storage = mutual.storage
    env = {"none": pki.grpc_env(), "expired": pki.grpc_env(pki.expired_client), "stranger": pki.grpc_env(pki.stranger_client)}[client]
    before = metric_value(storage.http("/metrics")[2], "tls_handshake_failures_total", use="rpc") or 0
    process = grpc_check(storage, env)
    assert process.returncode != 0 and "UNAVAILABLE" in process.stderr, process
    storage.wait_until(
        lambda: (metric_value(storage.http("/metrics")[2], "tls_handshake_failures_total", use="rpc") or 0) > before,
        "the refused handshake counted")


def test_a_service_whose_client_certificate_is_not_trusted_is_not_ready_and_says_why(mutual, pki, tmp_path):
    analyzer = ServiceProcess("analyzer", tmp_path, [
        *pki.server_args(), *pki.client_args(pki.stranger_client),
        "--set", "rpc.service_token=internal-service-token-for-tests",
        "--set", f"dependencies.storage.address={mutual.storage.address}",
        "--set", f"dependencies.report_renderer.address={mutual.renderer.address}",
        "--set", f"providers.sandbox_url={mutual.sandbox.url}"])
    with analyzer:
        def probed_storage():
            status, _, body = analyzer.http("/readyz")
            storage = next(d for d in json.loads(body)["dependencies"] if d["name"] == "storage")
            return status == 503 and storage["detail"] != "not checked yet" and storage

        storage = analyzer.wait_until(probed_storage, "storage probed")
        assert storage["status"] == "down"
        assert storage["detail"] == (f"UNAVAILABLE: the connection to {mutual.storage.address} closed: "
                                     'TLS: the server sent the TLS alert "unknown ca"'), storage


# ---- Our client refuses servers it must not trust -------------------------------------------------------------

class TLSServer:
    """A bare TLS listener on loopback serving a given certificate, completing handshakes and then closing."""

    def __init__(self, cert: Path, key: Path):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.context.set_alpn_protocols(["h2"])
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(connection, server_side=True) as secured:
                    secured.recv(1)
            except (ssl.SSLError, OSError):
                pass

    def close(self):
        self.socket.close()


@pytest.mark.parametrize("served", ["expired", "stranger", "elsewhere"])
def test_the_cli_refuses_a_server_with_an_expired_certificate_one_of_an_untrusted_ca_or_one_for_another_name(pki, served):
    pair = {"expired": pki.expired, "stranger": pki.stranger_server, "elsewhere": pki.elsewhere}[served]
    server = TLSServer(pair.cert, pair.key)
    try:
        done = cla("--ca-file", str(pki.ca.path), "--gateway", f"127.0.0.1:{server.port}", "--key=cla_x_0123456789abcdef01", "list")
    finally:
        server.close()
    assert done.returncode == 1, done
    reason = "the certificate is not for this server's name" if served == "elsewhere" else "certificate verify failed"
    assert f"TLS handshake failed: {reason}" in done.stderr, done.stderr
