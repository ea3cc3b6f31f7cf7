"""System tests of the report-renderer executable: the fixture reports (Tests/ReportFixtures/ReportFixtures.swift,
written as serialized RenderRequests by the render-fixtures tool) rendered over the real gRPC port by a grpcio client
(chassis_client.py `render`), and the documents checked with the tools a reader would use: poppler (pdftotext,
pdffonts, pdfinfo, pdftoppm) and qpdf for the PDFs, Python's csv and plain string checks for the rest.

Page images are compared with the references in reference/renderer/. After an intended layout change, rewrite them,
LOOK at them, and commit them:
  UPDATE_REFERENCE=1 .venv/bin/python -m pytest -q Tests/Interop/test_renderer.py -k reference
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from chassis_support import HERE, ServiceProcess, binary, metric_value

RENDER = "/clientanalyze.render.v1.Renderer/Render"
CHUNK_BYTES = 64 << 10  # RenderService.chunkBytes: the document is streamed in chunks of this size
REFERENCE_DIR = HERE / "reference" / "renderer"
UPDATE_REFERENCE = os.environ.get("UPDATE_REFERENCE") == "1"

# What a reader must find in each fixture's PDF (pdftotext, whitespace collapsed), and what must not be there.
FACTS = {
    "clean": ['ООО "СЕВЕРНЫЙ ВЕТЕР"', "ИНН 7705123452", "ОГРН 1027700123450", "КПП 770501001", "Действующая",
              "Низкий риск", "12,4 из 100", "Орлова Марина Сергеевна", "А40-118342/2025", "А40-20231/2024",
              "Есть дела в роли ответчика", "Всего 2 дела"],
    "liquidated": ['ООО "БАЛТИЙСКАЯ ЛОГИСТИКА"', "ИНН 7816345676", "ОГРН 1157847123455", "Ликвидирована",
                   "Дата ликвидации 30.08.2024", "Критический риск", "Критические факторы: Компания ликвидирована",
                   "Сведения об адресе недостоверны", "Арбитражные дела с участием компании не найдены"],
    "bankrupt": ['АО "СИБСТРОЙМОНТАЖ"', "ИНН 5402987650", "ОГРН 1045402123458", "Банкротство", "Критический риск",
                 "88,5 из 100", "Процедура банкротства", "Всего 48 дел", "Дела о банкротстве: А45-9876/2025",
                 "Введено наблюдение, дело № А45-9876/2025", "Налоговая задолженность"],
    "partial": ['ООО "ЛУГОВОЕ"', "ИНН 5026112237", "ОГРН 1175026123458", "Действующая", "Низкий риск",
                "Руководство нет данных",
                "нет данных: Casebook — ошибка: HTTP 503 после 3 попыток",
                "Tavily — нет ответа (таймаут): нет ответа за 10 с",
                "Языковая модель не использована: LLM не настроена"],
    "rerun": ['ООО "СЕВЕРНЫЙ ВЕТЕР"', "ИНН 7705123452", "ОГРН 1027700123450", "Отчёт № 2", "повторный анализ",
              "Средний риск", "31,5 из 100", "А40-77001/2026", "Изменения относительно предыдущей версии",
              "Учтённая обратная связь", "Не учтён новый иск от ООО «Грузовик»",
              "Балл: 12,4 → 31,5 (+19,1); уровень: низкий риск → средний риск."],
}
ABSENT = {
    "clean": ["Ликвидирована", "Критический риск", "Изменения относительно предыдущей версии"],
    "liquidated": ["Действующая"],
    "bankrupt": ["Низкий риск"],
    # Sources that failed must not read as "nothing found".
    "partial": ["Арбитражные дела с участием компании не найдены", "Упоминаний компании в интернете не найдено"],
    "rerun": ["Отчёт № 1"],
}
# Pages of each fixture's PDF (measured: 3, 2, 6, 2, 3), with some room for layout changes.
PAGES = {"clean": (2, 4), "liquidated": (1, 3), "bankrupt": (4, 9), "partial": (1, 3), "rerun": (2, 4)}
COMPANY = {"clean": 'ООО "СЕВЕРНЫЙ ВЕТЕР"', "liquidated": 'ООО "БАЛТИЙСКАЯ ЛОГИСТИКА"',
           "bankrupt": 'АО "СИБСТРОЙМОНТАЖ"', "partial": 'ООО "ЛУГОВОЕ"', "rerun": 'ООО "СЕВЕРНЫЙ ВЕТЕР"'}
INN = {"clean": "7705123452", "liquidated": "7816345676", "bankrupt": "5402987650", "partial": "5026112237",
       "rerun": "7705123452", "stress": "5402987650"}
VERSION = {"rerun": 2}

# The page images compared with references (pdftoppm at 50 dpi; 1-based pages).
REFERENCE_PAGES = [("clean", 1), ("clean", 2), ("bankrupt", 1), ("bankrupt", 2), ("partial", 2), ("rerun", 1)]
# The footer (a rule at y≈557 and "сформирован <now>" at y≈560–565 of a 585 px page) changes with every render.
FOOTER_PX = 30
CHANNEL_TOLERANCE = 48  # a pixel differs when some channel differs by more than this
# The fraction of differing pixels a page may have. Calibration: two renders of a page differ in 0 pixels outside the
# footer; page 1 of clean against page 1 of rerun (other score, gauge and colour, one more table row) in 1.1 %.
# Small text changes hardly show at 50 dpi: these catch layout regressions, pdftotext checks the words.
MAX_DIFFERING = 0.005

CSV_HEADER = ["раздел", "код_или_номер", "название", "важность", "роль", "категория", "сумма_руб", "вклад", "статус",
              "дата", "источник", "ссылка", "подробности"]


# --- helpers ---------------------------------------------------------------------------------------------------------

def run(*command: str | Path | int) -> subprocess.CompletedProcess:
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=300)
    assert done.returncode == 0, \
        f"`{' '.join(map(str, command))}` exited with {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def pdf_text(path: Path) -> str:
    """The PDF's text in reading order with every run of whitespace collapsed to one space, so wrapped phrases match."""
    return " ".join(run("pdftotext", "-enc", "UTF-8", path, "-").stdout.split())


def pdf_info(path: Path) -> dict[str, str]:
    lines = run("pdfinfo", "-enc", "UTF-8", path).stdout.splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def pdf_fonts(path: Path) -> list[tuple[str, str]]:
    """(name without the subset tag, emb) for every font `pdffonts` lists."""
    rows = run("pdffonts", path).stdout.splitlines()[2:]  # after the header and the dashes
    return [(row.split()[0].split("+")[-1], row.split()[-5]) for row in rows if row.strip()]


@dataclass
class Rendered:
    path: Path
    meta: dict  # what `chassis_client.py render` printed: chunks, content_type, file_name, page_count, …


class Renderer:
    """The running report-renderer; every document is rendered over gRPC once per module and then shared."""

    def __init__(self, service: ServiceProcess, requests: Path, out: Path):
        self.service, self.requests, self.out = service, requests, out
        self._cache: dict[tuple[str, str], Rendered] = {}

    def render(self, fixture: str, format_name: str = "FORMAT_PDF") -> Rendered:
        key = (fixture, format_name)
        if key not in self._cache:
            extension = {"FORMAT_PDF": "pdf", "FORMAT_HTML": "html", "FORMAT_MARKDOWN": "md", "FORMAT_CSV": "csv"}[format_name]
            path = self.out / f"{fixture}.{extension}"
            meta = self.service.client("render", str(self.requests / f"{fixture}.request.binpb"), str(path),
                                       format_name, timeout=300)
            assert "error" not in meta, f"{fixture} as {format_name}: {meta}"
            self._cache[key] = Rendered(path, meta)
        return self._cache[key]

    def stream(self, body: dict) -> tuple[bytes, dict]:
        """Renders a JSON request with `stream`: the document's bytes and the final {"end": CODE, …} line."""
        process = self.service.client_process("stream", RENDER, json.dumps(body, ensure_ascii=False))
        out, err = self.service.finish(process, timeout=120)
        assert process.returncode == 0, err
        lines = [json.loads(line) for line in out.strip().splitlines()]
        data = b"".join(base64.b64decode(line.get("data", "")) for line in lines[:-1])
        return data, lines[-1]


def check_chunking(meta: dict) -> None:
    """The stream's metadata: type and name on the first chunk, page count and size on the last, sizes consistent."""
    assert meta["total_size"] == meta["bytes"] > 0
    assert meta["chunks"] == math.ceil(meta["bytes"] / CHUNK_BYTES), meta
    assert meta["content_type_in"] == [0], meta
    assert meta["total_size_in"] == [meta["chunks"] - 1], meta


def png_page(pdf: Path, page: int, out: Path) -> Path:
    run("pdftoppm", "-r", "50", "-png", "-f", page, "-l", page, "-singlefile", pdf, out.with_suffix(""))
    return out


def differing_pixels(actual: Image.Image, reference: Image.Image) -> tuple[float, Image.Image]:
    """The fraction of pixels (footer left out) where some channel differs by more than CHANNEL_TOLERANCE, and a
    black-and-white image of them."""
    width, height = actual.size
    box = (0, 0, width, height - FOOTER_PX)
    red, green, blue = ImageChops.difference(actual.crop(box), reference.crop(box)).split()
    worst = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    mask = worst.point(lambda value: 255 if value > CHANNEL_TOLERANCE else 0)
    return mask.histogram()[255] / (mask.width * mask.height), mask


# --- fixtures --------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def requests_dir(tmp_path_factory) -> Path:
    """NAME.request.binpb for every fixture report, written by the render-fixtures tool."""
    directory = tmp_path_factory.mktemp("render-requests")
    run(binary("render-fixtures"), directory, "--requests-only")
    return directory


@pytest.fixture(scope="module")
def renderer(tmp_path_factory, requests_dir: Path) -> Renderer:
    work = tmp_path_factory.mktemp("renderer")
    with ServiceProcess("report-renderer", work) as service:
        yield Renderer(service, requests_dir, work)


# --- PDF -------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", list(FACTS))
def test_pdf_over_grpc_states_the_fixture_facts(renderer: Renderer, fixture: str):
    pdf = renderer.render(fixture)
    check_chunking(pdf.meta)
    assert pdf.meta["content_type"] == "application/pdf"
    assert pdf.meta["file_name"] == f"{INN[fixture]}-v{VERSION.get(fixture, 1)}.pdf"
    assert pdf.path.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf.path)
    missing = [fact for fact in FACTS[fixture] if fact not in text]
    assert not missing, f"{fixture}: not in the PDF text: {missing}\n--- text ---\n{text[:3000]}"
    present = [fact for fact in ABSENT[fixture] if fact in text]
    assert not present, f"{fixture}: should not be in the PDF text: {present}"


@pytest.mark.parametrize("fixture", list(FACTS))
def test_pdf_embeds_only_dejavu_fonts(renderer: Renderer, fixture: str):
    fonts = pdf_fonts(renderer.render(fixture).path)
    assert fonts, "pdffonts lists no fonts"
    assert all(name.startswith("DejaVu") for name, _ in fonts), fonts
    assert all(embedded == "yes" for _, embedded in fonts), fonts


@pytest.mark.parametrize("fixture", list(FACTS))
def test_pdf_is_well_formed_with_page_count_and_metadata(renderer: Renderer, fixture: str):
    pdf = renderer.render(fixture)
    checked = run("qpdf", "--check", pdf.path)
    assert "WARNING" not in checked.stdout + checked.stderr, checked.stdout + checked.stderr
    info = pdf_info(pdf.path)
    pages = int(info["Pages"])
    assert pages == pdf.meta["page_count"]
    low, high = PAGES[fixture]
    assert low <= pages <= high, f"{fixture}: {pages} pages, expected {low}–{high}"
    assert info["Page size"].endswith("(A4)"), info["Page size"]
    assert COMPANY[fixture] in info["Title"], info
    assert info["Author"] == "Client Analyze", info
    assert INN[fixture] in info["Subject"] and INN[fixture] in info["Keywords"], info


def test_stress_report_lists_every_court_case(renderer: Renderer):
    """500 court cases (all in full: the request's max_court_cases is 0), 1 000 mentions, 40 founders, very long
    names: ~150 pages that must still be well formed and complete."""
    pdf = renderer.render("stress")
    check_chunking(pdf.meta)
    assert pdf.meta["chunks"] > 10
    assert pdf.meta["file_name"] == "5402987650-v1.pdf"
    assert 100 <= pdf.meta["page_count"] <= 250, pdf.meta
    assert int(pdf_info(pdf.path)["Pages"]) == pdf.meta["page_count"]
    checked = run("qpdf", "--check", pdf.path)
    assert "WARNING" not in checked.stdout + checked.stderr
    assert {name for name, _ in pdf_fonts(pdf.path)} <= {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"}

    text = pdf_text(pdf.path)
    # The long names wrap (or are cut with "…" in the title and running header) but are there.
    assert "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ" in text
    assert "МЕЖРЕГИОНАЛЬНАЯ-ТОРГОВО-ПРОМЫШЛЕННАЯ" in text
    assert "ОЧЕНЬДЛИННОЕСЛОВОБЕЗПРОБЕЛОВ" in text
    assert "Всего 500 дел" in text and "Найдено 1 000 упоминаний" in text
    # The case numbers, from the CSV of the same request: every one is in the PDF's table.
    rows = list(csv.DictReader(io.StringIO(renderer.render("stress", "FORMAT_CSV").path.read_text("utf-8-sig"))))
    numbers = [row["код_или_номер"] for row in rows if row["раздел"] == "судебное дело"]
    assert len(numbers) == 500
    absent = [number for number in numbers if number not in text]
    assert not absent, f"{len(absent)} case numbers missing from the PDF, e.g. {absent[:5]}"
    for index in (0, 1, 2, 497, 498, 499):  # and mentions from both ends of the list
        assert f"Публикация номер {index} о компании" in text


def test_stress_report_lists_every_founder(renderer: Renderer):
    text = pdf_text(renderer.render("stress").path)
    absent = [index for index in range(40) if f"Учредитель Номер {index} " not in text]
    assert not absent, f"founders missing from the PDF: {absent}"


# --- HTML, Markdown, CSV ---------------------------------------------------------------------------------------------

def test_html_over_grpc_is_escaped_and_has_no_script(renderer: Renderer):
    html = renderer.render("bankrupt", "FORMAT_HTML")
    check_chunking(html.meta)
    assert html.meta["content_type"] == "text/html; charset=utf-8"
    assert html.meta["file_name"] == "5402987650-v1.html"
    assert html.meta["page_count"] == 0
    text = html.path.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<h1>АО &quot;СИБСТРОЙМОНТАЖ&quot;</h1>" in text
    assert 'АО "СИБСТРОЙМОНТАЖ"' not in text  # the quotes are escaped everywhere
    assert "<script" not in text.lower()
    words = " ".join(text.split())  # the renderer joins numbers to their nouns with no-break spaces
    for fact in ("ИНН 5402987650", "Критический риск", "А45-9876/2025", "Всего 48 дел"):
        assert fact in words, fact


def test_html_escapes_markup_in_report_text(renderer: Renderer):
    """A report whose name and summary carry markup (from a registry or a web page) must render it as text."""
    data, end = renderer.stream({
        "format": "FORMAT_HTML",
        "report": {"inn": "7705123452", "version": 1,
                   "company": {"inn": "7705123452", "short_name": '<script>alert(1)</script> ООО "Ко & Ко"'},
                   "narrative": {"summary": "<img src=x onerror=alert(1)>"}},
    })
    assert end == {"end": "OK"}
    text = data.decode("utf-8")
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt; ООО &quot;Ко &amp; Ко&quot;</h1>" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<script" not in text.lower() and "<img" not in text.lower()


def test_markdown_over_grpc(renderer: Renderer):
    markdown = renderer.render("bankrupt", "FORMAT_MARKDOWN")
    check_chunking(markdown.meta)
    assert markdown.meta["content_type"] == "text/markdown; charset=utf-8"
    assert markdown.meta["file_name"] == "5402987650-v1.md"
    text = markdown.path.read_text("utf-8")
    assert text.startswith('# АО "СИБСТРОЙМОНТАЖ"\n')
    for fact in ("ИНН 5402987650", "Критический риск", "## Судебные дела", "А45-9876/2025"):
        assert fact in text, fact


def test_csv_over_grpc_has_a_row_per_marker_court_case_and_source(renderer: Renderer):
    table = renderer.render("bankrupt", "FORMAT_CSV")
    check_chunking(table.meta)
    assert table.meta["content_type"] == "text/csv; charset=utf-8"
    assert table.meta["file_name"] == "5402987650-v1.csv"
    raw = table.path.read_bytes()
    assert raw.startswith("\ufeff".encode()), "no BOM: Excel would read the file as cp1251"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == CSV_HEADER
    records = [dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]]
    sections = [record["раздел"] for record in records]
    assert sections.count("фактор риска") == 5 and sections.count("судебное дело") == 48
    assert sections.count("источник") == 5 and len(records) == 58
    sources = {record["код_или_номер"]: record for record in records if record["раздел"] == "источник"}
    assert list(sources) == ["dadata", "casebook", "infosphere", "tavily", "perplexity"]
    assert all(record["статус"] for record in sources.values())
    bankruptcy = next(record for record in records if record["код_или_номер"] == "А45-9876/2025")
    assert bankruptcy["роль"] == "Ответчик" and bankruptcy["дата"] == "2025-02-17"
    marker = next(record for record in records if record["код_или_номер"] == "registration.bankrupt")
    assert marker["название"] == "Процедура банкротства" and marker["важность"] == "Критическая"
    assert float(marker["вклад"]) == 60


# --- invalid requests ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, message", [
    ({"format": "FORMAT_PDF", "report": {"inn": "12", "version": 1}}, "report.inn: 10 or 12 digits"),
    ({"report": {"inn": "7705123452", "version": 1}},
     "format: one of FORMAT_PDF, FORMAT_HTML, FORMAT_MARKDOWN, FORMAT_CSV"),
    ({"format": "FORMAT_PDF", "report": {"inn": "7705123452", "version": 1, "risk": {"score": 140}}},
     "report.risk.score: a number from 0 to 100"),
], ids=["bad-inn", "unspecified-format", "score-140"])
def test_invalid_request_names_the_field_and_the_service_keeps_serving(renderer: Renderer, body: dict, message: str):
    data, end = renderer.stream(body)
    assert end == {"end": "INVALID_ARGUMENT", "message": message}
    assert data == b""
    # Rendered afresh (not from the cache): the service still answers after refusing a request.
    meta = renderer.service.client("render", str(renderer.requests / "partial.request.binpb"),
                                   str(renderer.out / "after-invalid.pdf"))
    assert meta["content_type"] == "application/pdf" and meta["page_count"] >= 1, meta


# --- page images -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture, page", REFERENCE_PAGES, ids=[f"{f}-p{p}" for f, p in REFERENCE_PAGES])
def test_page_image_matches_reference(renderer: Renderer, tmp_path: Path, fixture: str, page: int):
    reference = REFERENCE_DIR / f"{fixture}-p{page}.png"
    actual_path = png_page(renderer.render(fixture).path, page, tmp_path / reference.name)
    if UPDATE_REFERENCE:
        REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
        reference.write_bytes(actual_path.read_bytes())
        pytest.skip(f"UPDATE_REFERENCE=1: wrote {reference}; look at it before committing")
    assert reference.is_file(), \
        f"no reference image {reference}: run with UPDATE_REFERENCE=1 to write it, then look at it and commit it"
    actual, expected = Image.open(actual_path).convert("RGB"), Image.open(reference).convert("RGB")
    assert actual.size == expected.size, f"{fixture} page {page}: {actual.size} px, reference {expected.size} px"
    fraction, mask = differing_pixels(actual, expected)
    if fraction >= MAX_DIFFERING:
        mask.save(tmp_path / f"{reference.stem}-diff.png")
    assert fraction < MAX_DIFFERING, (
        f"{fixture} page {page}: {fraction:.2%} of pixels differ from {reference} (limit {MAX_DIFFERING:.1%}); "
        f"see {actual_path} and {tmp_path / (reference.stem + '-diff.png')}. If the change is intended, "
        "run with UPDATE_REFERENCE=1 and look at the new references.")


# --- metrics ---------------------------------------------------------------------------------------------------------

def test_metrics_count_renders_by_format_and_outcome(tmp_path: Path, requests_dir: Path):
    with ServiceProcess("report-renderer", tmp_path) as service:
        for format_name in ("FORMAT_PDF", "FORMAT_PDF", "FORMAT_CSV"):
            meta = service.client("render", str(requests_dir / "clean.request.binpb"), str(tmp_path / "out"),
                                  format_name)
            assert "error" not in meta, meta
        refused = service.client("stream", RENDER, json.dumps({"format": "FORMAT_PDF", "report": {"inn": "12"}}))
        assert refused["end"] == "INVALID_ARGUMENT"
        exposition = service.http("/metrics")[2]
    assert metric_value(exposition, "render_requests_total", format="pdf", outcome="ok") == 2
    assert metric_value(exposition, "render_requests_total", format="csv", outcome="ok") == 1
    assert metric_value(exposition, "render_requests_total", format="pdf", outcome="invalid") == 1
    assert metric_value(exposition, "render_duration_seconds_count", format="pdf") == 2
    assert metric_value(exposition, "render_duration_seconds_count", format="csv") == 1
    assert metric_value(exposition, "render_duration_seconds_sum", format="pdf") > 0
    assert metric_value(exposition, "render_output_bytes_total", format="pdf") > 100_000
