#!/usr/bin/env python3
"""Builds the Python-made wire corpus: hand-written, realistic messages encoded by Python protobuf, for the
Swift tests to decode (Tests/ContractsTests/Corpus/python/).

    .venv/bin/python Tests/Interop/make_corpus.py          # (re)write the corpus and its README.md
    .venv/bin/python Tests/Interop/make_corpus.py --check  # exit 1 if the committed files differ

The files are committed; test_proto_interop.py rebuilds them in memory and fails if the committed bytes or
README.md no longer match, so the corpus cannot drift silently. Changing a message here is a deliberate
change of the corpus: re-run this script and update the Swift assertions that read README.md's values.

Each message exercises something the Swift decoder must get right, noted in `notes`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import text_format
from google.protobuf.message import Message

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proto_loader  # noqa: E402
from proto_loader import Protos  # noqa: E402

CORPUS_DIR = proto_loader.REPO / "Tests" / "ContractsTests" / "Corpus" / "python"


@dataclass
class Entry:
    short_name: str  # the file is <short_name>.binpb
    message: Message
    notes: str

    @property
    def file_name(self) -> str:
        return f"{self.short_name}.binpb"

    @property
    def type_name(self) -> str:
        return self.message.DESCRIPTOR.full_name

    def encode(self) -> bytes:
        # Deterministic: map entries sorted by key, so the bytes do not depend on insertion order.
        return self.message.SerializeToString(deterministic=True)


def build(protos: Protos) -> list[Entry]:
    """The corpus messages. Pure: the same classes give the same messages (and bytes) every time."""
    common = "clientanalyze.common.v1."
    Job = protos.message_class(common + "Job")
    ProgressEvent = protos.message_class(common + "ProgressEvent")
    CompanyCard = protos.message_class(common + "CompanyCard")
    Report = protos.message_class(common + "Report")
    HealthCheckResponse = protos.message_class("grpc.health.v1.HealthCheckResponse")
    ServiceInfo = protos.message_class("clientanalyze.ops.v1.ServiceInfo")

    job = Job(
        id="job_01JDQ8Z3K4M5N6P7Q8R9S0T1V3",
        state="JOB_STATE_RUNNING",
        thread_id="thr_01JDQ8Z3K4M5N6P7Q8R9S0T1V2",
        idempotency_key="cli-2026-11-25-0001",
        attempts=1,
        max_attempts=5,
        stage="STAGE_REGISTRIES",
        percent=35,
        lease_owner="analyzer-7f9c@worker-2",
        lease_expires_at_ms=1_764_000_060_000,
        created_at_ms=1_764_000_000_000,
        updated_at_ms=1_764_000_004_210,
        started_at_ms=1_764_000_000_512,
        submitted_by="key_ops_01",
        labels={"source": "cli", "priority": "high", "отдел": "закупки"},
    )
    job.request.inn = "7707083893"
    job.request.client_name = "Сбербанк"
    job.request.notes = "Проверка перед заключением договора поставки"
    options = job.request.options
    options.sources.extend(["SOURCE_DADATA", "SOURCE_CASEBOOK", "SOURCE_TAVILY"])
    options.refresh_sources.append("SOURCE_CASEBOOK")
    options.narrative_llm = False  # explicitly off: present on the wire although false
    options.render_pdf = True
    options.extra_intents.extend(["судебные споры с поставщиками", "sanctions exposure"])
    # web_search stays unset: absent means "service default", which differs from false.

    event = ProgressEvent(
        job_id="job_01JDQ8Z3K4M5N6P7Q8R9S0T1V3",
        sequence=4,
        stage="STAGE_REGISTRIES",
        percent=40,
        message="Источник Infosphere не ответил за 30 с",
        at_ms=1_764_000_031_000,
    )
    event.source.source = "SOURCE_INFOSPHERE"  # sets the `detail` oneof to `source`
    event.source.state = "STATE_TIMEOUT"
    event.source.reason = "нет ответа за 30 с"
    event.source.duration_ms = 30_000
    event.source.attempts = 3

    health = HealthCheckResponse(status="SERVING")

    info = ServiceInfo(
        name="storage",
        version="1.4.0",
        git_revision="3f2c9ab",
        build="2026-11-25 release",
        started_at_ms=1_764_000_000_000,
        uptime_ms=86_400_000,
        feature_flags={"narrative_llm": "false", "render_pdf": "true", "web_search": "true",
                       "queue.max_attempts": "5"},
        instance="storage-1:4242",
        backends={"storage": "sqlite", "queue": "embedded"},
    )

    card = CompanyCard(
        inn="7725123450",
        kpp="772501001",
        ogrn="1127746123450",
        ogrn_date="2012-03-14",
        kind="SUBJECT_KIND_LEGAL",
        full_name="ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ \"РОМАШКА\"",
        short_name="ООО \"РОМАШКА\"",
        legal_form="ООО",
        status="COMPANY_STATUS_LIQUIDATED",
        registration_date="2012-03-14",
        liquidation_date="2019-04-30",
    )
    # A plain string field (no `optional`, not in a oneof) assigned "" explicitly: proto3 cannot tell it from
    # unset, so nothing is written and Swift must read "".
    card.actuality_date = ""
    card.address.value = "г Москва, ул Садовая-Кудринская, д 3, кв 12"
    card.address.region = "Москва"
    card.address.city = "Москва"
    card.address.mass_registration = True
    card.head.name = "Иванов Иван Иванович"
    card.head.post = "ЛИКВИДАТОР"
    card.head.inn = "772512345622"
    card.head.start_date = "2018-10-01"
    card.head.disqualified = True
    card.managers.append(card.head)
    card.founders.add(kind="KIND_PERSON", name="Иванов Иван Иванович", inn="772512345622",
                      share_percent=100.0, share_kopecks=1_000_000)
    card.founders.add(kind="KIND_LEGAL", name="ООО \"ЛЮТИК\"")  # share unknown: both optionals absent
    card.activities.add(code="46.90", name="Торговля оптовая неспециализированная", main=True)
    card.capital_kopecks = 0  # present and zero, unlike employee_count and branch_count, which are absent
    card.finances.add(year=2018, tax_system="УСН", income_kopecks=125_000_000, expense_kopecks=131_000_000,
                      debt_kopecks=0)  # penalty_kopecks absent

    report = Report(
        id="rep_01JDQ9A1B2C3D4E5F6G7H8J9K0",
        thread_id="thr_01JDQ9A1B2C3D4E5F6G7H8J9K1",
        version=1,
        job_id="job_01JDQ9A1B2C3D4E5F6G7H8J9K2",
        inn="7707083893",
        client_name="Сбербанк",
        created_at_ms=1_764_000_000_000,
        duration_ms=3_980,
        document_formats=["pdf", "docx"],
    )
    report.company.inn = "7707083893"
    report.company.short_name = "ПАО СБЕРБАНК"
    report.company.status = "COMPANY_STATUS_ACTIVE"
    report.risk.score = 12.5
    report.risk.level = 99  # a level from a newer schema; proto3 enums are open, so it must survive
    report.risk.confidence = 0.9
    report.risk.model_version = "2027.1.0"
    report.risk.unfloored_level = "RISK_LEVEL_LOW"
    report.risk.markers.add(code="registry.mass_address", category="RISK_CATEGORY_REGISTRATION",
                            severity="SEVERITY_LOW", title="Адрес массовой регистрации", contribution=2.5)

    return [
        Entry("job", job,
              "request.options.narrative_llm is present and false (proto3 `optional`); web_search is absent; "
              "labels has a Cyrillic key."),
        Entry("progress_event", event,
              "The `detail` oneof is set to `source`, a SourceStatus with state STATE_TIMEOUT (5)."),
        Entry("health_check_response", health, "status SERVING (1): the whole message is two bytes, 08 01."),
        Entry("service_info", info, "Two string→string maps, feature_flags (4 entries) and backends (2)."),
        Entry("company_card_liquidated", card,
              "A liquidated company. capital_kopecks is present with value 0; employee_count and branch_count "
              "are absent. actuality_date was assigned \"\" and, being a plain proto3 string, is not on the "
              "wire (reads as \"\"). head.disqualified and address.mass_registration are present and true. "
              "founders[1] has neither share_percent nor share_kopecks; finances[0].debt_kopecks is present "
              "and 0, penalty_kopecks absent."),
        Entry("report_unknown_risk_level", report,
              "risk.level is 99, a number RiskLevel does not declare: it must decode as an unknown value "
              "and re-encode as 99. risk.unfloored_level is present (RISK_LEVEL_LOW = 1)."),
    ]


def render_readme(entries: list[Entry]) -> str:
    lines = [
        "# Python-made wire corpus",
        "",
        "Messages encoded by Python protobuf (upb) with deterministic serialization, for the Swift tests to",
        "decode. Generated by `Tests/Interop/make_corpus.py` — do not edit by hand; re-run",
        "`.venv/bin/python Tests/Interop/make_corpus.py` after changing it. The pytest suite",
        "(`Tests/Interop`) fails if these files or this README drift from the script.",
        "",
        "The values below are the exact field values, in protobuf text format. Fields not listed are unset:",
        "zero/empty for plain proto3 fields, absent for `optional` fields and oneofs. `optional` fields that",
        "are listed with a zero/false value are *present* with that value.",
        "",
        "| File | Message type | Bytes |",
        "|---|---|---|",
    ]
    for e in entries:
        lines.append(f"| `{e.file_name}` | `{e.type_name}` | {len(e.encode())} |")
    for e in entries:
        text = text_format.MessageToString(e.message, as_utf8=True).rstrip("\n")
        lines += ["", f"## `{e.file_name}` — `{e.type_name}`", "", e.notes, "", "```textproto", text, "```"]
    return "\n".join(lines) + "\n"


def outputs(protos: Protos) -> dict[str, bytes]:
    """Every file of the corpus directory, by name, as the script would write it."""
    entries = build(protos)
    files = {e.file_name: e.encode() for e in entries}
    files["README.md"] = render_readme(entries).encode()
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = outputs(proto_loader.load(Path(tmp)))
    if args.check:
        stale = [n for n, data in files.items() if not (CORPUS_DIR / n).is_file() or (CORPUS_DIR / n).read_bytes() != data]
        for name in stale:
            print(f"differs: {CORPUS_DIR / name}")
        return 1 if stale else 0
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (CORPUS_DIR / name).write_bytes(data)
        print(f"wrote {CORPUS_DIR / name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
