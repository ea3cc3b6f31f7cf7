#!/usr/bin/env python3
"""Web app benchmark: the release executables and the provider sandbox on loopback, a report of АО «СИБСТРОЙМОНТАЖ».

1. Server time of the report page: what the browser asks the gateway for to show it — the page shell
   (`/reports/{id}`) and the report's JSON (`/api/v1/reports/{id}`) with the session cookie — each timed by the
   client over a keep-alive connection, p50/p99 of 2000 requests.
2. Bytes transferred for a first visit (empty cache) and a repeat visit (revalidated with ETags) of the report
   page in headless chromium, from the Resource Timing API (transferSize, headers included).
3. Time to first paint (first-contentful-paint) of the report page, and until its risk factors are on screen,
   in headless chromium, median of 10 visits.

Targets (issue 24): p50 < 10 ms server, < 150 KB first visit, < 300 ms first paint.
Writes bench-results/web.txt. Usage: CLA_BIN_DIR=<release bin> web_bench.py
"""
from __future__ import annotations

import http.client
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "Interop"))

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from test_gateway import GatewayStack  # noqa: E402

REQUESTS = 2000
VISITS = 10


def timed(connection: http.client.HTTPConnection, path: str, headers: dict) -> float:
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    assert response.status == 200 and body, (path, response.status)
    return elapsed


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def chromium():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium")
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")), options=options)


def main() -> None:
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        stack = GatewayStack(Path(tmp), gateway_args=("--set", "auth.default_rate_per_minute=1000000"))
        try:
            status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "5402987650"}})
            report_id = stack.wait_job(body["job"]["id"])["report_id"]
            connection = http.client.HTTPConnection("127.0.0.1", stack.rest_port, timeout=30)
            connection.request("POST", "/web/session", body=json.dumps({"key": stack.admin_key}),
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            cookie = response.getheader("Set-Cookie").split(";")[0]
            headers = {"Cookie": cookie}
            for path in (f"/reports/{report_id}", f"/api/v1/reports/{report_id}"):
                for _ in range(100):
                    timed(connection, path, headers)
            shell = [timed(connection, f"/reports/{report_id}", headers) for _ in range(REQUESTS)]
            data = [timed(connection, f"/api/v1/reports/{report_id}", headers) for _ in range(REQUESTS)]
            both = [a + b for a, b in zip(shell, data)]
            for name, samples in (("page shell", shell), ("report JSON", data), ("shell + JSON", both)):
                p50, p99 = percentiles(samples)
                lines.append(f"server time, {name:<13} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   ({REQUESTS} requests)")

            driver = chromium()
            try:
                base = f"http://127.0.0.1:{stack.rest_port}"
                driver.get(base + "/sign-in")
                WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "key"))
                driver.find_element(By.ID, "key").send_keys(stack.admin_key)
                driver.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
                WebDriverWait(driver, 20).until(lambda d: "/sign-in" not in d.current_url)
                transfer = "return performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))" \
                           ".reduce((sum, e) => sum + e.transferSize, 0)"
                driver.execute_cdp_cmd("Network.enable", {})
                driver.execute_cdp_cmd("Network.clearBrowserCache", {})
                paints, ready = [], []
                sizes = []
                for visit in range(VISITS + 1):
                    driver.get(base + f"/reports/{report_id}")
                    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#marker-list"))
                    timing = driver.execute_script("""
                        const paint = performance.getEntriesByName('first-contentful-paint')[0];
                        const shown = performance.getEntriesByName('report-rendered')[0];
                        return {paint: paint ? paint.startTime : null, ready: shown.startTime};""")
                    sizes.append(driver.execute_script(transfer))
                    if visit > 0:
                        paints.append(timing["paint"])
                        ready.append(timing["ready"])
                lines.append(f"bytes transferred, first visit   {sizes[0] / 1024:7.1f} KB (empty cache)")
                lines.append(f"bytes transferred, repeat visit  {statistics.median(sizes[1:]) / 1024:7.1f} KB (ETags revalidated)")
                lines.append(f"first contentful paint           {statistics.median(paints):7.1f} ms (median of {VISITS})")
                lines.append(f"risk factors on screen by        {statistics.median(ready):7.1f} ms (median of {VISITS}, from navigation start)")
            finally:
                driver.quit()
        finally:
            stack.close()
    out = HERE.parents[1] / "bench-results"
    out.mkdir(exist_ok=True)
    text = "web app: report page of 5402987650 (targets: p50 < 10 ms server, < 150 KB first visit, < 300 ms first paint)\n" + "\n".join(lines) + "\n"
    (out / "web.txt").write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
