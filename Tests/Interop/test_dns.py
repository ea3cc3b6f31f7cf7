"""DNS-based client-side balancing (issue 27, item 3): the gateway reaches its report renderers through
`dns://127.0.0.1:PORT/renderers.test:PORT`, answered by a real dnsmasq on loopback from a hosts file the test
rewrites. Renderers are added and removed while a load of document downloads runs, and no download fails."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from backend_servers import free_port
from chassis_support import ServiceProcess, binary, metric_value
from ops_support import tool
from test_gateway import TOKEN, GatewayStack
from tls_support import PKI

NAME = "renderers.test"


class Dnsmasq:
    """dnsmasq on 127.0.0.1 answering only from `hosts` (re-read on SIGHUP), nothing cached, nothing forwarded:
    other names and types are refused (it has no upstream server) unless `--local=/test/` makes it answer for
    the domain."""

    def __init__(self, directory: Path, *options: str):
        self.hosts = directory / "hosts"
        self.hosts.write_text("")
        self.port = free_port()
        self.log = open(directory / "dnsmasq.log", "w")
        self.process = subprocess.Popen(
            [tool("dnsmasq"), "--keep-in-foreground", "--conf-file=/dev/null", f"--port={self.port}",
             "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts", f"--addn-hosts={self.hosts}",
             "--local-ttl=0", "--cache-size=0", "--user=root", "--pid-file=", "--log-queries", "--log-facility=-", *options],
            stdout=self.log, stderr=subprocess.STDOUT)

    def publish(self, addresses: list[str]) -> None:
        self.hosts.write_text("".join(f"{address} {NAME}\n" for address in addresses))
        self.process.send_signal(signal.SIGHUP)

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)
        self.log.close()


@pytest.fixture
def dns(tmp_path):
    server = Dnsmasq(tmp_path)
    yield server
    server.close()


def renders(service: ServiceProcess) -> float:
    return metric_value(service.http("/metrics")[2], "render_requests_total", format="html", outcome="ok") or 0


def test_renderers_added_and_removed_in_dns_under_load_fail_no_call(tmp_path, dns):
    port = free_port()
    renderers: dict[str, ServiceProcess] = {}

    def start_renderer(host: str) -> None:
        renderers[host] = ServiceProcess("report-renderer", tmp_path, [
            "--set", f"rpc.host={host}", "--set", f"rpc.service_token={TOKEN}"], rpc_port=port)

    for host in ("127.0.0.2", "127.0.0.3"):
        start_renderer(host)
    dns.publish(["127.0.0.2", "127.0.0.3"])
    stack = GatewayStack(tmp_path, gateway_args=(
        "--set", f"dependencies.report_renderer.address=dns://127.0.0.1:{dns.port}/{NAME}:{port}",
        "--set", "dependencies.dns_refresh_interval=200ms", "--set", "auth.default_rate_per_minute=1000000"))
    try:
        status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "7705123452"}})
        assert status == 202, body
        report_id = stack.wait_job(body["job"]["id"])["report_id"]

        outcomes: Counter = Counter()
        counting = threading.Lock()
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                try:
                    outcome = stack.rest("GET", f"/api/v1/reports/{report_id}/document?format=html")[0]
                except Exception as error:  # a refused or dropped connection counts as a failed download
                    outcome = repr(error)
                with counting:
                    outcomes[outcome] += 1

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        started = time.monotonic()
        try:
            stack.gateway.wait_until(lambda: renders(renderers["127.0.0.2"]) > 5 and renders(renderers["127.0.0.3"]) > 5,
                                     "both renderers serving")
            time.sleep(1)
            # A third instance appears in DNS and takes its share.
            start_renderer("127.0.0.4")
            dns.publish(["127.0.0.2", "127.0.0.3", "127.0.0.4"])
            stack.gateway.wait_until(lambda: renders(renderers["127.0.0.4"]) > 5, "the added renderer serving", timeout=20)
            time.sleep(1)
            # The first leaves DNS; once the gateway has drained it, it is stopped the way a rollout stops a pod.
            dns.publish(["127.0.0.3", "127.0.0.4"])
            stack.gateway.wait_until(lambda: f"report-renderer at 127.0.0.2:{port} drained and closed" in stack.gateway.log_text(),
                                     "the removed renderer drained", timeout=20)
            left = renders(renderers["127.0.0.2"])
            renderers["127.0.0.2"].signal(signal.SIGTERM)
            assert renderers["127.0.0.2"].wait(timeout=30) == 0
            before = renders(renderers["127.0.0.3"]) + renders(renderers["127.0.0.4"])
            stack.gateway.wait_until(lambda: renders(renderers["127.0.0.3"]) + renders(renderers["127.0.0.4"]) > before + 20,
                                     "the remaining renderers serving")
            time.sleep(1)
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=60)
            assert not any(worker.is_alive() for worker in workers)
        elapsed = time.monotonic() - started

        assert set(outcomes) == {200}, outcomes
        total = renders(renderers["127.0.0.3"]) + renders(renderers["127.0.0.4"]) + left
        print(f"\n{outcomes[200]} downloads in {elapsed:.1f} s while renderers came and went; per renderer: "
              f"127.0.0.2 {left:.0f} (until drained), 127.0.0.3 {renders(renderers['127.0.0.3']):.0f}, "
              f"127.0.0.4 {renders(renderers['127.0.0.4']):.0f}")
        assert total >= outcomes[200]
        log = stack.gateway.log_text()
        assert f"report-renderer resolved to 3 address(es); added 127.0.0.4:{port}" in log
        assert f"removed 127.0.0.2:{port} (draining)" in log
        queries = (tmp_path / "dnsmasq.log").read_text()
        assert f"query[A] {NAME} from 127.0.0.1" in queries and f"query[AAAA] {NAME} from 127.0.0.1" in queries
    finally:
        stack.close()
        for renderer in renderers.values():
            renderer.kill()


@pytest.mark.parametrize("authoritative", [True, False])
def test_an_unresolvable_name_makes_the_dependency_down_with_the_reason(tmp_path, authoritative):
    dns = Dnsmasq(tmp_path, *(["--local=/test/"] if authoritative else []))
    gateway_args = ("--set", f"dependencies.report_renderer.address=dns://127.0.0.1:{dns.port}/missing.test:50053")
    try:
        stack = GatewayStack(tmp_path, gateway_args=gateway_args)
    except BaseException:
        dns.close()
        raise
    try:
        # report-renderer is optional for the gateway: it stays ready, and says why the renderer is down.
        answer = stack.gateway.wait_until(
            lambda: (body := stack.gateway.json("/readyz")[1]) and next(
                d for d in body["dependencies"] if d["name"] == "report-renderer")["detail"] != "not checked yet" and body,
            "the renderer probed")
        renderer = next(d for d in answer["dependencies"] if d["name"] == "report-renderer")
        assert renderer["status"] == "down"
        reason = "the name has no addresses" if authoritative else "the DNS server answered missing.test with refused (code 5)"
        assert renderer["detail"] == f"UNAVAILABLE: cannot resolve dns://127.0.0.1:{dns.port}/missing.test:50053: {reason}", renderer
    finally:
        stack.close()
        dns.close()


def test_a_dependency_address_that_is_not_a_dns_target_stops_the_service_with_what_was_expected():
    for target, problem in [("dns:/x", "expected dns:///name:port with a port from 1 to 65535"),
                            ("dns://127.0.0.1:53", "expected dns:///name:port or dns://server:port/name:port"),
                            ("dns:///name", "expected dns:///name:port with a port from 1 to 65535"),
                            ("dns://nameserver.example/name:1", "expected the DNS server as an IP address[:port]")]:
        done = subprocess.run([str(binary("gateway")), "--set", f"dependencies.storage.address={target}"],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 2 and problem in done.stderr, (target, done.stderr)


def test_a_dns_target_without_a_server_asks_the_system_resolver(tmp_path):
    storage = ServiceProcess("storage", tmp_path, ["--set", f"rpc.service_token={TOKEN}"])
    with storage:
        # A literal address is what getaddrinfo answers without asking anyone; a name would need /etc/hosts.
        gateway = ServiceProcess("gateway", tmp_path, [
            "--set", f"rpc.service_token={TOKEN}", "--set", f"dependencies.storage.address=dns:///127.0.0.1:{storage.rpc_port}",
            "--set", f"auth.admin_key_file={tmp_path / 'admin.key'}", "--set", "rest.port=0"])
        with gateway:
            gateway.wait_until(lambda: gateway.http("/readyz")[0] == 200, "gateway ready through dns:///")
            assert f"storage resolved to 1 address(es); added 127.0.0.1:{storage.rpc_port}" in gateway.log_text()
            assert gateway.client("check")["status"] == "SERVING"


def test_a_tls_dependency_behind_a_dns_name_is_checked_against_the_name(tmp_path, dns):
    pki = PKI(tmp_path / "pki")
    named = pki.ca.issue("renderers", names=(NAME,), loopback=False)  # valid for the name only, not for 127.0.0.2
    port = free_port()
    tls_client = ("--set", "dependencies.tls.enabled=true", "--set", f"dependencies.tls.ca_file={pki.ca.path}")
    renderer = ServiceProcess("report-renderer", tmp_path, [
        "--set", "rpc.host=127.0.0.2", "--set", f"rpc.service_token={TOKEN}", *pki.server_args(named)], rpc_port=port)
    storage = ServiceProcess("storage", tmp_path, ["--set", f"rpc.service_token={TOKEN}", *pki.server_args()])
    dns.publish(["127.0.0.2"])
    with renderer, storage:
        gateway = ServiceProcess("gateway", tmp_path, [
            "--set", f"rpc.service_token={TOKEN}", *tls_client, "--set", f"dependencies.storage.address={storage.address}",
            "--set", f"dependencies.report_renderer.address=dns://127.0.0.1:{dns.port}/{NAME}:{port}",
            "--set", f"auth.admin_key_file={tmp_path / 'admin.key'}", "--set", "rest.port=0"])
        with gateway:
            def renderer_status():
                status = next(d for d in gateway.json("/readyz")[1]["dependencies"] if d["name"] == "report-renderer")
                return status["detail"] != "not checked yet" and status

            status = gateway.wait_until(renderer_status, "the renderer probed")
            assert status["status"] == "up", status
            assert status["detail"] == f"SERVING (dns://127.0.0.1:{dns.port}/{NAME}:{port})"
