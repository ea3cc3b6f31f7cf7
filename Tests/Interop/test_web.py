"""The analysts' web app (issue 24) in a real browser: Debian's chromium driven by selenium against the real
executables and the provider sandbox. What a page shows is checked against the API's JSON for the same report;
access (session cookie, CSRF, roles) is checked from the browser and with plain HTTP as an attacker would."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from test_changes import analyse_then_rerun, sandbox, synthetic_company
from test_gateway import GatewayStack

REPO = Path(__file__).resolve().parents[2]
HOSTILE_INN = "7701123451"
HOSTILE_NAME = "ООО \"<script>alert(\"x\")</script> & 'КАВЫЧКИ'\""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # Every test signs in a few times from the same address: more than the default 30 sign-ins a minute.
    stack = GatewayStack(tmp_path_factory.mktemp("web"), gateway_args=("--set", "auth.failed_per_minute=1000"))
    yield stack
    stack.close()


class Browser:
    """A headless chromium with the console log kept, and the waits a user does."""

    def __init__(self, base: str, width: int = 1280, height: int = 1600):
        chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
        assert chromium and driver, "chromium and chromium-driver are needed (make deps installs them)"
        options = webdriver.ChromeOptions()
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}", "--lang=ru-RU"):
            options.add_argument(argument)
        # A desktop window is at least 500 px wide: a phone's screen is emulated (a touch device's viewport).
        self.phone = width < 500
        if self.phone:
            options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0}})
        options.binary_location = chromium
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver), options=options)
        self.base = base
        self.width, self.height = width, height
        self.console: list[dict] = []

    def screenshot(self, path: Path):
        """The whole page, however long, at this browser's width."""
        needed = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": self.width, "height": min(max(self.height, needed), 8000), "deviceScaleFactor": 2 if self.phone else 1,
            "mobile": self.phone})
        self.driver.save_screenshot(str(path))
        if self.phone:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": self.width, "height": self.height, "deviceScaleFactor": 2, "mobile": True})
        else:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def sideways(self) -> int:
        """How far the page is wider than the screen (0: it fits)."""
        return self.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")

    def close(self):
        self.driver.quit()

    def go(self, path: str):
        self.driver.get(self.base + path)

    def wait(self, css: str, timeout: float = 30):
        WebDriverWait(self.driver, timeout).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def wait_for(self, condition, timeout: float = 30):
        return WebDriverWait(self.driver, timeout).until(lambda d: condition())

    def all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        return self.wait(css).text

    def sign_in(self, key: str, then: str = "/"):
        self.go("/sign-in?next=" + urllib.request.quote(then, safe=""))
        self.wait("#key").send_keys(key)
        self.driver.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
        self.wait_for(lambda: not self.driver.current_url.split("?")[0].endswith("/sign-in"))
        self.wait("[data-page]")

    def fetch(self, url: str, method: str = "GET", body: dict | None = None, headers: dict | None = None) -> dict:
        """A fetch made by the page itself (its cookie, its origin): status, content type and the body's start."""
        return self.driver.execute_async_script("""
            const [url, method, body, headers, done] = arguments;
            fetch(url, {method, headers, body: body === null ? undefined : JSON.stringify(body), credentials: 'same-origin'})
              .then(async (r) => { const bytes = new Uint8Array(await r.arrayBuffer());
                done({status: r.status, type: r.headers.get('content-type'), head: String.fromCharCode(...bytes.slice(0, 8)),
                      size: bytes.length, text: r.headers.get('content-type')?.startsWith('application/json') ? new TextDecoder().decode(bytes) : ''}); })
              .catch((e) => done({status: 0, error: String(e)}));""", url, method, body, headers or {})

    def errors(self) -> list[dict]:
        """Console errors since the last call (a CSP violation is one)."""
        self.console += self.driver.get_log("browser")
        found = [entry for entry in self.console if entry["level"] == "SEVERE"]
        self.console = []
        return found

    def unlabelled_fields(self) -> list[str]:
        return self.driver.execute_script("""
            return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter((e) => !e.labels?.length && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
              .map((e) => e.outerHTML);""")


@pytest.fixture()
def browser(stack):
    browser = Browser(f"http://127.0.0.1:{stack.rest_port}")
    yield browser
    browser.close()


def http(stack: GatewayStack, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """One plain HTTP request without following redirects: status, headers, body."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    request = urllib.request.Request(f"http://127.0.0.1:{stack.rest_port}{path}", method=method, data=body, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def session_cookie(stack: GatewayStack, key: str, origin: str | None = None) -> tuple[str, dict]:
    """Signs in over plain HTTP: the cookie header to send and the session's JSON."""
    headers = {"Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    status, head, body = http(stack, "POST", "/web/session", json.dumps({"key": key}).encode(), headers)
    assert status == 200, body
    return head["Set-Cookie"].split(";")[0], json.loads(body)


def analyse(stack: GatewayStack, inn: str) -> dict:
    status, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": inn}, "force": True})
    assert status == 202, body
    job = stack.wait_job(body["job"]["id"], timeout=120)
    return stack.rest("GET", f"/api/v1/reports/{job['report_id']}")[2]["report"]


# Access


def test_a_page_without_a_session_redirects_to_sign_in_and_comes_back_after(stack, browser):
    status, head, _ = http(stack, "GET", "/history?filter=1")
    assert status == 303 and head["Location"] == "/sign-in?next=%2Fhistory%3Ffilter%3D1"
    browser.go("/history")
    browser.wait("#sign-in-form")
    assert "/sign-in?next=" in browser.driver.current_url
    browser.wait("#key").send_keys("cla_not_a_real_key_at_all_0000000000")
    browser.driver.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
    assert browser.text("#sign-in-message .notice.error") == "the API key is not valid"
    assert "/sign-in?next=" in browser.driver.current_url and not browser.driver.get_cookies()
    browser.wait("#key").clear()
    browser.sign_in(stack.admin_key, then="/history")
    assert browser.driver.current_url.endswith("/history")
    browser.wait("[data-page=history]")


def test_the_session_cookie_is_http_only_strict_and_signing_out_ends_it(stack, browser):
    browser.sign_in(stack.admin_key)
    cookie = next(c for c in browser.driver.get_cookies() if c["name"] == "cla_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert browser.driver.execute_script("return document.cookie") == "", "the session cookie must not be readable by scripts"
    header = f"cla_session={cookie['value']}"
    assert http(stack, "GET", "/api/v1/admin/queue", headers={"Cookie": header})[0] == 200
    browser.driver.find_element(By.ID, "sign-out").click()
    browser.wait("#sign-in-form")
    status, _, body = http(stack, "GET", "/api/v1/admin/queue", headers={"Cookie": header})
    assert status == 401 and b"sign in again" in body
    assert http(stack, "GET", "/", headers={"Cookie": header})[0] == 303
    # Behind TLS the cookie is Secure.
    status, head, _ = http(stack, "POST", "/web/session", json.dumps({"key": stack.admin_key}).encode(),
                           {"Content-Type": "application/json", "X-Forwarded-Proto": "https"})
    assert status == 200 and "; Secure" in head["Set-Cookie"] and "HttpOnly" in head["Set-Cookie"]
    assert head["Set-Cookie"].startswith("__Host-cla_session="), "over TLS the cookie is bound to this host"


def test_a_revoked_key_ends_its_session_and_a_planted_second_cookie_is_refused(stack):
    key = stack.create_key("ROLE_ANALYST")
    cookie, _ = session_cookie(stack, key)
    assert http(stack, "GET", "/api/v1/jobs", headers={"Cookie": cookie})[0] == 200
    key_id = key.split("_")[1]
    assert stack.rest("DELETE", f"/api/v1/admin/keys/{key_id}")[0] == 200
    stack.gateway.wait_until(lambda: http(stack, "GET", "/api/v1/jobs", headers={"Cookie": cookie})[0] == 401,
                             "the revoked key refused", timeout=45)
    # The session ended with its key: the pages send the browser to sign in, and the sign-in page stays.
    status, head, _ = http(stack, "GET", "/history", headers={"Cookie": cookie})
    assert status == 303 and head["Location"].startswith("/sign-in")
    assert http(stack, "GET", "/sign-in?next=%2Fhistory", headers={"Cookie": cookie})[0] == 200

    admin, _ = session_cookie(stack, stack.admin_key)
    assert http(stack, "GET", "/api/v1/jobs", headers={"Cookie": admin})[0] == 200
    planted = f"{admin}; cla_session=0123456789abcdef"
    assert http(stack, "GET", "/api/v1/jobs", headers={"Cookie": planted})[0] == 401
    assert http(stack, "GET", "/history", headers={"Cookie": planted})[0] == 303


def test_after_sign_in_only_paths_of_this_site_are_followed(stack):
    cookie, _ = session_cookie(stack, stack.admin_key)
    for next_path, expected in [("/history", "/history"), ("//evil.example", "/"), ("/%5Cevil.example", "/"),
                                ("/%09/evil.example", "/"), ("https://evil.example", "/"), ("/reports/r1%23x", "/reports/r1#x")]:
        status, head, _ = http(stack, "GET", f"/sign-in?next={next_path}", headers={"Cookie": cookie})
        assert status == 303 and head["Location"] == expected, (next_path, head["Location"])


def test_unknown_pages_are_404_and_sign_in_takes_only_json(stack):
    cookie, _ = session_cookie(stack, stack.admin_key)
    for path in ("/jobs", "/admin/nothing", "/reports/a/b", "/whatever"):
        assert http(stack, "GET", path, headers={"Cookie": cookie})[0] == 404, path
    status, head, _ = http(stack, "POST", "/history", b"x", {"Cookie": cookie})
    assert status == 405 and head["Allow"] == "GET, HEAD"
    status, _, body = http(stack, "POST", "/web/session", f"key={stack.admin_key}".encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415 and b"application/json" in body
    # The labels the pages show are the reports' own.
    status, head, body = http(stack, "GET", "/web/labels.json")
    labels = json.loads(body)
    assert status == 200 and labels["level"]["RISK_LEVEL_INSUFFICIENT_DATA"] == "Недостаточно данных"
    assert labels["state"]["STATE_PARTIAL"] == "Частично" and labels["stage"]["STAGE_COMPLETED"] == "Готово"
    assert http(stack, "GET", "/web/labels.json", headers={"If-None-Match": head["ETag"]})[0] == 304


def test_changes_made_with_the_cookie_need_the_csrf_token_and_sign_in_refuses_other_sites(stack):
    cookie, session = session_cookie(stack, stack.admin_key)
    body = json.dumps({"request": {"inn": "7705123452"}}).encode()
    base = {"Cookie": cookie, "Content-Type": "application/json"}
    status, _, answer = http(stack, "POST", "/api/v1/analyses", body, base)
    assert status == 403 and b"x-csrf-token" in answer
    status, _, answer = http(stack, "POST", "/api/v1/analyses", body, {**base, "X-CSRF-Token": "0" * 64})
    assert status == 403
    status, _, answer = http(stack, "POST", "/api/v1/analyses", body, {**base, "X-CSRF-Token": session["csrf_token"]})
    assert status == 202, answer
    assert http(stack, "DELETE", "/web/session", headers={"Cookie": cookie})[0] == 403
    # A page of another site cannot sign a browser in (login CSRF), nor is a failed sign-in quiet.
    status, _, answer = http(stack, "POST", "/web/session", json.dumps({"key": stack.admin_key}).encode(),
                             {"Content-Type": "application/json", "Origin": "https://evil.example"})
    assert status == 403
    status, _, answer = http(stack, "POST", "/web/session", json.dumps({"key": "cla_abc_0123456789abcdef0123"}).encode(),
                             {"Content-Type": "application/json"})
    assert status == 401
    audit = stack.rest("GET", "/api/v1/admin/audit?page.page_size=200")[2]["records"]
    assert any(r["action"] == "gateway.v1.Web/SignIn" and r["outcome"] == "UNAUTHENTICATED" for r in audit)
    assert any(r["action"] == "gateway.v1.Web/SignIn" and r["outcome"] == "OK" for r in audit)
    # Hostile bodies are refused plainly.
    for raw in (b"{\"key\": \"cla_\\u0000x\"}", b"\xff\xfe", b"{" * 10_000):
        status, _, answer = http(stack, "POST", "/web/session", raw, {"Content-Type": "application/json"})
        assert status in (400, 401), (raw[:10], status, answer)
    status, _, answer = http(stack, "POST", "/web/session", b"x" * (2 << 20), {"Content-Type": "application/json"})
    assert status == 413


def test_a_viewer_sees_no_admin_pages_and_cannot_submit(stack, browser):
    viewer = stack.create_key("ROLE_VIEWER")
    cookie, session = session_cookie(stack, viewer)
    for path in ("/admin", "/admin/keys", "/analyses/new"):
        assert http(stack, "GET", path, headers={"Cookie": cookie})[0] == 403, path
    status, _, answer = http(stack, "POST", "/api/v1/analyses", json.dumps({"request": {"inn": "7705123452"}}).encode(),
                             {"Cookie": cookie, "Content-Type": "application/json", "X-CSRF-Token": session["csrf_token"]})
    assert status == 403 and b"analyst" in answer
    assert http(stack, "GET", "/api/v1/admin/keys", headers={"Cookie": cookie})[0] == 403
    browser.sign_in(viewer)
    nav = browser.text("header nav")
    assert "Администрирование" not in nav and "Новый анализ" not in nav and "Архив" in nav
    assert not browser.all("#new-analysis")
    browser.go("/admin/keys")
    assert "Нет доступа" in browser.text("main h1")
    assert not browser.all("#keys")


# Analysing, and the report as the API has it


def test_analysing_a_company_shows_live_progress_and_a_report_that_matches_the_api(stack, browser):
    browser.sign_in(stack.admin_key)
    browser.go("/analyses/new")
    inn = browser.wait("#inn")
    inn.send_keys("7728456787")
    assert "контрольная цифра (10-я) должна быть 6" in browser.text("#inn-hint")
    assert inn.get_attribute("aria-invalid") == "true"
    browser.driver.find_element(By.CSS_SELECTOR, "#analyze-form button[type=submit]").click()
    assert "контрольная цифра" in browser.text("#analyze-message .notice.error")
    inn.send_keys(Keys.BACKSPACE, "6")
    assert browser.text("#inn-hint") == "ИНН корректен"
    browser.driver.find_element(By.ID, "client-name").send_keys("Грузовик со слов клиента")
    browser.driver.find_element(By.ID, "notes").send_keys("проверка перед поставкой")
    browser.driver.find_element(By.ID, "opt-force").click()
    assert browser.unlabelled_fields() == []
    browser.driver.find_element(By.CSS_SELECTOR, "#analyze-form button[type=submit]").click()
    browser.wait_for(lambda: "/jobs/" in browser.driver.current_url)
    link = browser.wait("#job-report-link", timeout=60)
    assert browser.text("#progress-percent") == "100 %"
    assert browser.driver.find_element(By.ID, "progress").get_attribute("value") == "100"
    done = [item.get_attribute("data-stage") for item in browser.all("#stages li.done")]
    assert "STAGE_REGISTRIES" in done and "STAGE_COMPLETED" in done
    live = {item.get_attribute("data-source"): item.get_attribute("data-state") for item in browser.all("#job-sources li")}
    assert set(live) >= {"SOURCE_DADATA", "SOURCE_CASEBOOK", "SOURCE_INFOSPHERE", "SOURCE_TAVILY"}
    link.click()
    browser.wait("[data-page=report]")
    report_id = browser.driver.find_element(By.CSS_SELECTOR, "[data-page=report]").get_attribute("data-report")
    report = stack.rest("GET", f"/api/v1/reports/{report_id}")[2]["report"]

    assert browser.text("#report-title") == report["company"]["short_name"]
    assert browser.text("#client-name") == "Название со слов клиента: Грузовик со слов клиента"
    assert browser.text("#client-notes") == "Примечания клиента: проверка перед поставкой"
    assert float(browser.driver.find_element(By.ID, "score").get_attribute("data-score")) == report["risk"]["score"]
    assert browser.text("#score") == f"{report['risk']['score']:g} из 100".replace(".", ",")
    assert browser.driver.find_element(By.ID, "level").get_attribute("data-level") == report["risk"]["level"]
    shown = [item.get_attribute("data-code") for item in browser.all("#marker-list > li")]
    assert shown == [marker["code"] for marker in report["risk"]["markers"]] and shown
    first = report["risk"]["markers"][0]
    item = browser.driver.find_element(By.CSS_SELECTOR, f"#marker-list > li[data-code='{first['code']}']")
    assert first["title"] in item.text and first["evidence"][0]["value"].replace("\xa0", " ") in item.text
    rows = browser.all("#sources-table tbody tr")
    assert [row.find_elements(By.TAG_NAME, "td")[0].text for row in rows] == [
        {"SOURCE_DADATA": "DaData", "SOURCE_CASEBOOK": "Casebook", "SOURCE_INFOSPHERE": "InfoSphere", "SOURCE_TAVILY": "Tavily",
         "SOURCE_PERPLEXITY": "Perplexity", "SOURCE_LLM": "LLM"}[status["source"]] for status in report["sources"]]
    assert all(row.find_elements(By.TAG_NAME, "td")[2].text == "Получено" for row in rows)
    assert report["narrative"]["summary"].split("\n")[0] in browser.text("#narrative")
    assert report["company"]["full_name"] in browser.text("#company-facts")

    # Court cases: all of them, sortable and filterable.
    cases = report["court_cases"]
    assert len(browser.all("#cases-table tbody tr")) == len(cases) > 5
    browser.driver.find_element(By.CSS_SELECTOR, "#cases-table th button[data-column='6']").click()
    amounts = [case.get("claim_kopecks", 0) for case in cases]
    first_row = browser.all("#cases-table tbody tr")[0].get_attribute("data-case")
    assert first_row == next(case["number"] for case in cases if case.get("claim_kopecks", 0) == min(amounts))
    Select(browser.driver.find_element(By.ID, "cases-role")).select_by_value("CASE_ROLE_PLAINTIFF")
    assert len(browser.all("#cases-table tbody tr")) == sum(case["role"] == "CASE_ROLE_PLAINTIFF" for case in cases)
    Select(browser.driver.find_element(By.ID, "cases-role")).select_by_value("")
    browser.driver.find_element(By.ID, "cases-filter").send_keys(cases[3]["number"])
    assert [row.get_attribute("data-case") for row in browser.all("#cases-table tbody tr")] == [cases[3]["number"]]
    assert browser.text("#cases-count") == f"Показано 1 из {len(cases)}"

    # Downloads, fetched as the browser would follow the links (with its cookie).
    links = {link.get_attribute("data-format"): link.get_attribute("href") for link in browser.all("#download-links a")}
    assert set(links) == {"pdf", "html", "markdown", "csv"}
    pdf = browser.fetch(links["pdf"])
    assert pdf["status"] == 200 and pdf["type"] == "application/pdf" and pdf["head"].startswith("%PDF") and pdf["size"] > 10_000
    assert browser.fetch(links["csv"])["type"].startswith("text/csv")
    assert browser.errors() == []


def test_a_failed_source_says_so_in_its_section_and_an_unknown_company_is_not_called_clean(stack, browser):
    partial = analyse(stack, "5026112237")  # Casebook 503, Tavily timing out
    unknown = analyse(stack, "3900123459")
    browser.sign_in(stack.admin_key, then=f"/reports/{partial['id']}")
    browser.wait("[data-page=report]")
    courts = browser.text("#courts")
    assert "нет данных: Casebook — ошибка" in courts and "не найдено" not in courts
    mentions = browser.text("#mentions")
    assert "Tavily" in mentions and "Упоминаний не найдено" not in mentions
    assert "Проверка неполная" in browser.text("#incomplete-sources")
    state = {row.find_elements(By.TAG_NAME, "td")[0].text: row.find_elements(By.TAG_NAME, "td")[2].text for row in browser.all("#sources-table tbody tr")}
    assert state["Casebook"] == "Ошибка"
    # The page of a job that ended before it was opened still lists how each source answered.
    browser.go(f"/jobs/{partial['job_id']}")
    browser.wait("#job-report-link")
    live = {item.get_attribute("data-source"): item.get_attribute("data-state") for item in browser.all("#job-sources li")}
    assert live["SOURCE_CASEBOOK"] == "STATE_ERROR" and live["SOURCE_DADATA"] == "STATE_OK", live

    browser.go(f"/reports/{unknown['id']}")
    browser.wait("[data-page=report]")
    assert browser.text("#report-title") == "Компания с ИНН 3900123459"
    assert "не удалось идентифицировать" in browser.text("#verdict")
    assert unknown["risk"]["level"] == "RISK_LEVEL_INSUFFICIENT_DATA"
    assert browser.driver.find_element(By.ID, "level").text == "Недостаточно данных"
    assert browser.text("#score") == "балл не рассчитан", "a company nothing is known about has no score"
    for section in ("#courts", "#registries", "#mentions"):
        text = browser.text(section)
        assert "компания не идентифицирована" in text and "не найдено" not in text, (section, text)


def test_a_company_whose_texts_hold_markup_is_shown_as_text(stack, browser):
    report = analyse(stack, HOSTILE_INN)
    assert report["company"]["short_name"] == HOSTILE_NAME
    browser.sign_in(stack.admin_key, then=f"/reports/{report['id']}")
    browser.wait("[data-page=report]")
    assert browser.text("#report-title") == HOSTILE_NAME
    assert "Иванов <img src=x onerror=alert(1)> Иван" in browser.text("#company-facts")
    with pytest.raises(NoAlertPresentException):
        browser.driver.switch_to.alert.text
    scripts = browser.driver.execute_script("return [...document.scripts].map((s) => s.src)")
    assert scripts == [browser.base + "/assets/js/app.js"]
    assert not browser.driver.execute_script("return document.querySelectorAll('main img, main b, main i, main svg:not(.gauge)').length")
    hrefs = [link.get_attribute("href") for link in browser.all("#mention-list a")]
    assert hrefs and not any(href.startswith("javascript:") for href in hrefs), hrefs
    browser.go("/")
    browser.wait("#recent-table")
    assert HOSTILE_NAME in browser.text("#recent-table")
    assert browser.errors() == []


# Start page and search


def test_the_start_page_shows_recent_reports_the_queue_and_providers_and_searches(stack, browser):
    report = analyse(stack, "1650123403")
    browser.sign_in(stack.admin_key)
    browser.wait("#recent-table")
    first = browser.all("#recent-table tbody tr")[0]
    assert report["company"]["short_name"] in first.text
    assert browser.driver.find_element(By.CSS_SELECTOR, "#queue-depth dd[data-count=waiting]").text.isdigit()
    providers = {item.get_attribute("data-source") for item in browser.all("#provider-list li")}
    assert {"SOURCE_DADATA", "SOURCE_CASEBOOK", "SOURCE_TAVILY"} <= providers
    search = browser.wait("#search-query")
    search.send_keys("1650123403", Keys.ENTER)
    browser.wait("[data-page=thread]")
    assert browser.driver.current_url.endswith(f"/threads/{report['thread_id']}")
    browser.go("/")
    browser.wait("#search-query").send_keys("КАМА", Keys.ENTER)
    browser.wait("#search-table")
    assert "КАМА-ИМПОРТ" in browser.text("#search-table")
    browser.wait("#search-query").clear()
    browser.driver.find_element(By.ID, "search-query").send_keys("такого нет нигде", Keys.ENTER)
    browser.wait_for(lambda: "ничего не найдено" in browser.text("#search-results"))


# What is served


def test_assets_have_etags_compression_and_pages_a_strict_csp_without_inline_script(stack):
    status, head, body = http(stack, "GET", "/assets/js/app.js", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and head["Content-Encoding"] == "gzip" and head["Content-Type"].startswith("text/javascript")
    assert b"loadSession" in gzip.decompress(body)
    etag = head["ETag"]
    assert http(stack, "GET", "/assets/js/app.js", headers={"If-None-Match": etag})[0] == 304
    status, head, body = http(stack, "GET", "/assets/js/app.js")
    assert head["Content-Encoding"] is None and b"loadSession" in body and head["Cache-Control"] == "no-cache"
    assert http(stack, "GET", "/assets/../../etc/passwd")[0] == 404
    status, head, body = http(stack, "GET", "/sign-in")
    csp = head["Content-Security-Policy"]
    assert status == 200 and "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert b"<script type=\"module\" src=\"/assets/js/app.js\"></script>" in body and body.count(b"<script") == 1
    assert head["X-Frame-Options"] == "DENY"
    # The embedded copy is what the sources say.
    check = subprocess.run([sys.executable, str(REPO / "scripts" / "embed-web-assets.py"), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_keyboard_focus_labels_and_a_phone_sized_screen(stack, tmp_path):
    report = analyse(stack, "5402987650")
    phone = Browser(f"http://127.0.0.1:{stack.rest_port}", width=390, height=844)
    try:
        phone.go("/sign-in")
        phone.wait("#key")
        assert phone.driver.switch_to.active_element.get_attribute("id") == "key", "the sign-in page starts in the key field"
        # The first focusable element is the skip link; focused, it shows, and it leads to the content.
        first = phone.driver.execute_script("return document.querySelector('a[href], button, input, select, textarea')")
        assert first.get_attribute("class") == "skip-link" and first.get_attribute("href").endswith("#main")
        phone.driver.execute_script("arguments[0].focus()", first)
        assert first.is_displayed() and first.rect["x"] >= 0
        first.send_keys(Keys.ENTER)
        assert phone.driver.switch_to.active_element.get_attribute("id") == "main"
        assert phone.all("#sign-in-form"), "following the skip link must not reload the page"
        phone.sign_in(stack.admin_key, then=f"/reports/{report['id']}")
        phone.wait("#marker-list")
        assert phone.driver.execute_script("return window.innerWidth") == 390
        assert phone.sideways() <= 0, f"the report page scrolls sideways on a phone by {phone.sideways()} px"
        phone.screenshot(tmp_path / "report-phone.png")
        # Every control is reachable by Tab and shows its focus.
        phone.driver.execute_script("document.activeElement.blur()")
        seen = set()
        for _ in range(25):
            phone.driver.switch_to.active_element.send_keys(Keys.TAB)
            element = phone.driver.switch_to.active_element
            outline = phone.driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", element)
            seen.add((element.tag_name, outline))
        assert any(tag == "a" and outline != "none" for tag, outline in seen), seen
        assert phone.unlabelled_fields() == []
        assert phone.errors() == []
    finally:
        phone.close()


# Threads: versions, diff, feedback with a re-run


def test_feedback_with_a_rerun_makes_version_2_and_the_thread_shows_its_diff_and_the_feedback(stack, browser):
    first = analyse(stack, "7816345676")
    browser.sign_in(stack.admin_key, then=f"/threads/{first['thread_id']}")
    browser.wait("[data-page=thread]")
    assert [item.get_attribute("data-version") for item in browser.all("#versions li")] == ["1"]
    browser.wait("#feedback-comment").send_keys("Проверьте ещё раз суды: <b>важно</b>")
    Select(browser.driver.find_element(By.ID, "feedback-rating")).select_by_value("FEEDBACK_RATING_INACCURATE")
    rerun = browser.driver.find_element(By.ID, "feedback-rerun")
    if not rerun.is_selected():
        rerun.click()
    assert browser.unlabelled_fields() == []
    browser.driver.find_element(By.CSS_SELECTOR, "#feedback-form button[type=submit]").click()
    browser.wait("#rerun-link").click()
    browser.wait("#job-report-link", timeout=90)
    browser.go(f"/threads/{first['thread_id']}")
    browser.wait_for(lambda: len(browser.all("#versions li")) == 2)
    thread = stack.rest("GET", f"/api/v1/threads/{first['thread_id']}")[2]
    assert {item.get_attribute("data-report") for item in browser.all("#versions li")} == {r["id"] for r in thread["reports"]}
    second = next(r for r in thread["reports"] if r["version"] == 2)
    assert second["parent_report_id"] == first["id"]

    Select(browser.driver.find_element(By.ID, "diff-base")).select_by_value(first["id"])
    Select(browser.driver.find_element(By.ID, "diff-other")).select_by_value(second["id"])
    browser.driver.find_element(By.CSS_SELECTOR, "#diff-form button[type=submit]").click()
    browser.wait(f"#diff .diff[data-base='{first['id']}'][data-other='{second['id']}']")
    # Read in one go: the page may redraw the diff while a test reads it element by element.
    shown = browser.driver.execute_script("""return {score: document.getElementById('diff-score').textContent,
        markers: [...document.querySelectorAll('#diff-markers li')].map((li) => li.dataset.code),
        changes: [...document.querySelectorAll('#diff-changes li')].map((li) => li.textContent),
        none: document.getElementById('diff-changes-none')?.textContent ?? null}""")
    diff = stack.rest("POST", "/api/v1/reports/compare", {"report_ids": [first["id"], second["id"]]})[2]["diffs"][0]
    russian = lambda score: f"{score:g}".replace(".", ",")  # noqa: E731 (how the page writes 17.5)
    assert f"{russian(diff['score_before'])} → {russian(diff['score_after'])}" in shown["score"].replace("\u00a0", "")
    assert sorted(change["code"] for change in diff.get("marker_changes", [])) == sorted(shown["markers"])
    # The company did not change between the two runs: the page says so, as the API does (no events).
    assert diff["changes_compared"] is True
    assert len(shown["changes"]) == len(diff.get("changes", []))
    assert all(event["summary"] in text for event, text in zip(diff.get("changes", []), shown["changes"]))
    assert (shown["none"] is not None) == (not diff.get("changes"))

    listed = stack.rest("GET", f"/api/v1/threads/{first['thread_id']}/feedback")[2]["feedback"]
    assert listed[0]["rerun"] is True and listed[0]["comment"] == "Проверьте ещё раз суды: <b>важно</b>"
    newest = "const li = document.querySelector('#feedback-list li[data-feedback]'); return li ? [li.dataset.feedback, li.textContent] : null"
    browser.wait_for(lambda: (item := browser.driver.execute_script(newest)) and item[0] == listed[0]["id"]
                     and "Проверьте ещё раз суды: <b>важно</b>" in item[1])
    assert browser.errors() == []


def test_the_thread_page_lists_what_changed_about_a_company_with_its_evidence(stack, browser):
    inn = synthetic_company(stack, "66", lambda now, then: now["status"] == "ACTIVE" and then["status"] == "BANKRUPT")
    first, second = analyse_then_rerun(stack, inn, lambda: sandbox(stack, "POST", f"/sandbox/companies/{inn}/revision"))
    browser.sign_in(stack.admin_key, then=f"/threads/{first['thread_id']}")
    browser.wait("[data-page=thread]")
    Select(browser.driver.find_element(By.ID, "diff-base")).select_by_value(first["id"])
    Select(browser.driver.find_element(By.ID, "diff-other")).select_by_value(second["id"])
    browser.driver.find_element(By.CSS_SELECTOR, "#diff-form button[type=submit]").click()
    browser.wait(f"#diff .diff[data-base='{first['id']}'][data-other='{second['id']}'] #diff-changes")
    shown = browser.driver.execute_script("""return [...document.querySelectorAll('#diff-changes li')].map((li) =>
        ({kind: li.dataset.kind, cls: li.className, text: li.textContent}))""")
    events = second["diff_from_parent"]["changes"]
    assert [item["kind"] for item in shown] == [event["kind"] for event in events]
    for item, event in zip(shown, events):
        assert event["summary"] in item["text"] and all(evidence in item["text"] for evidence in event["evidence"]), (item, event)
    assert shown[0]["cls"] == "sev-critical" and "Критическая" in shown[0]["text"]
    assert any("Статус в ЕГРЮЛ: действующая → банкротство" in item["text"] for item in shown)
    out = REPO / "out" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    browser.driver.execute_script("document.getElementById('diff-changes').scrollIntoView()")
    browser.screenshot(out / "thread-changes-desktop.png")
    assert browser.errors() == []


# History: filters, stats, chart, export


def test_history_filters_by_level_and_inn_keeps_them_in_the_url_and_exports_the_same(stack, browser):
    critical = analyse(stack, "5402987650")
    analyse(stack, "7705123452")
    browser.sign_in(stack.admin_key, then="/history")
    browser.wait("#history-results tr[data-report]")
    browser.driver.find_element(By.ID, "filter-level-critical").click()
    browser.driver.find_element(By.CSS_SELECTOR, "#history-filters button[type=submit]").click()
    browser.wait_for(lambda: "level=critical" in browser.driver.current_url)
    browser.wait_for(lambda: browser.all("#history-results tr[data-report]") and all(
        "Критический риск" in row.text for row in browser.all("#history-results tr[data-report]")))
    api = stack.rest("GET", "/api/v1/reports?filter.levels=RISK_LEVEL_CRITICAL&page.page_size=100")[2]["reports"]
    assert {row.get_attribute("data-report") for row in browser.all("#history-results tr[data-report]")} <= {r["id"] for r in api}
    assert critical["id"] in {row.get_attribute("data-report") for row in browser.all("#history-results tr[data-report]")}

    browser.wait("#filter-inn").send_keys("7705123452")
    browser.driver.find_element(By.CSS_SELECTOR, "#history-filters button[type=submit]").click()
    browser.wait_for(lambda: "inn=7705123452" in browser.driver.current_url)
    browser.wait_for(lambda: not browser.all("#history-results tr[data-report]"))  # the clean company is not critical

    # The filters come back from the URL, and the export takes the same ones.
    browser.driver.refresh()
    assert browser.wait("#filter-inn").get_attribute("value") == "7705123452"
    assert browser.driver.find_element(By.ID, "filter-level-critical").is_selected()
    csv_link = browser.driver.find_element(By.ID, "export-csv").get_attribute("href")
    assert "filter.inn=7705123452" in csv_link and "RISK_LEVEL_CRITICAL" in csv_link and "format=csv" in csv_link
    exported = browser.fetch(browser.driver.find_element(By.ID, "export-json").get_attribute("href"))
    assert exported["status"] == 200 and exported["type"].startswith("application/json")
    assert browser.all("#stats [data-stat]") and browser.all("#timeline svg")
    assert browser.errors() == []


# Admin


def test_an_admin_creates_and_revokes_a_key_and_reads_the_audit_log_dead_letters_and_cache(stack, browser):
    analyse(stack, "7728456786")
    browser.sign_in(stack.admin_key, then="/admin/keys")
    browser.wait("#keys")
    browser.driver.find_element(By.ID, "key-name").send_keys("Анна <script>")
    Select(browser.driver.find_element(By.ID, "key-role")).select_by_value("ROLE_ANALYST")
    browser.driver.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    secret = browser.wait("#new-secret").text.strip()
    assert secret.startswith("cla_")
    key_id = secret.split("_")[1]
    row = browser.wait(f"#keys tr[data-key='{key_id}']")
    assert "Анна <script>" in row.text
    status, _, body = stack.rest("GET", "/api/v1/jobs", key=secret)
    assert status == 200, "the key shown once works"
    row.find_element(By.CSS_SELECTOR, "button[data-action=revoke]").click()
    browser.driver.switch_to.alert.accept()
    browser.wait_for(lambda: not browser.all(f"#keys tr[data-key='{key_id}'] button[data-action=revoke]"))
    keys = stack.rest("GET", "/api/v1/admin/keys?include_revoked=true")[2]["keys"]
    assert next(k for k in keys if k["id"] == key_id)["revoked"] is True

    browser.go("/admin/audit")
    browser.wait("#audit tbody tr")
    audit = browser.text("#audit")
    assert "Admin/RevokeApiKey" in audit and "Admin/CreateApiKey" in audit

    browser.go("/admin/dead-letters")
    browser.wait("#dead-letters-status, #dead-letters")
    browser.go("/admin/cache")
    browser.wait("#cache tbody tr")
    assert "casebook:7728456786" in browser.text("#cache")
    assert browser.all("#cache-stats [data-stat]")
    assert browser.unlabelled_fields() == []
    assert browser.errors() == []


# Screenshots of every page, at desktop and phone widths (out/screenshots/)


@pytest.mark.parametrize("width,height,name", [(1280, 1000, "desktop"), (390, 844, "phone")])
def test_every_page_renders_without_errors_and_is_saved_as_a_screenshot(stack, width, height, name):
    report = analyse(stack, "5402987650")
    _, _, body = stack.rest("POST", "/api/v1/analyses", {"request": {"inn": "6670112230"}, "force": True})
    job_id = body["job"]["id"]
    out = REPO / "out" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    pages = [
        ("home", "/", "#recent-table"), ("new-analysis", "/analyses/new", "#analyze-form"),
        ("job", f"/jobs/{job_id}", "#job-report-link"), ("report", f"/reports/{report['id']}", "#marker-list"),
        ("thread", f"/threads/{report['thread_id']}", "#versions li"), ("history", "/history", "#history-results tr[data-report]"),
        ("admin-keys", "/admin/keys", "#keys"), ("admin-audit", "/admin/audit", "#audit tbody tr"),
        ("admin-dead-letters", "/admin/dead-letters", "[data-page=admin]"), ("admin-cache", "/admin/cache", "#cache"),
    ]
    browser = Browser(f"http://127.0.0.1:{stack.rest_port}", width=width, height=height)
    try:
        browser.go("/sign-in")
        browser.wait("#sign-in-form")
        browser.screenshot(out / f"sign-in-{name}.png")
        browser.sign_in(stack.admin_key)
        for page, path, ready in pages:
            browser.go(path)
            browser.wait(ready, timeout=60)
            assert browser.sideways() <= 0, f"{page} scrolls sideways at {width} px by {browser.sideways()} px"
            browser.screenshot(out / f"{page}-{name}.png")
            assert browser.errors() == [], page
            assert browser.unlabelled_fields() == [], page
    finally:
        browser.close()
