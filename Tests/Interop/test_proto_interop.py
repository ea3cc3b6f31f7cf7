"""Wire compatibility between the Swift contracts (protobuf-c underneath) and Python protobuf (upb), the
reference implementation: each side must decode what the other encodes, losing nothing.

The Swift side is driven through contracts-tool (see conftest.py); files are laid out as
DIR/<proto full message name>/<n>.bin, which is what the tool reads and writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import text_format
from google.protobuf.message import Message
from google.protobuf.unknown_fields import UnknownFieldSet

import make_corpus
from conftest import CORPUS_DIR, SEEDS
from proto_loader import is_map_entry
from random_fill import random_message

COUNT = 20  # messages per type and seed
EXPECTED_TYPE_COUNT = 238  # message types in proto/ (map entries excluded); a change here is a schema change


# MARK: helpers


def unknown_fields(msg: Message, path: str = "") -> list[str]:
    """Where msg (recursively) holds fields its schema does not declare, e.g. ["risk.markers[0]: #42"]."""
    found = []
    unknown = UnknownFieldSet(msg)
    if len(unknown):
        found.append(f"{path or '<root>'}: #" + ", #".join(str(f.field_number) for f in unknown))
    for fd, value in msg.ListFields():
        if fd.message_type is None:
            continue
        name = f"{path}.{fd.name}" if path else fd.name
        if is_map_entry(fd.message_type):
            if fd.message_type.fields_by_name["value"].message_type is not None:
                for key, sub in value.items():
                    found += unknown_fields(sub, f"{name}[{key!r}]")
        elif fd.is_repeated:
            for i, sub in enumerate(value):
                found += unknown_fields(sub, f"{name}[{i}]")
        else:
            found += unknown_fields(value, name)
    return found


def differences(a: Message, b: Message, path: str = "") -> list[str]:
    """Where two messages of the same type differ, e.g. ["risk.score: -0.0 -> 0.0"]; repr-based, so -0.0 and
    0.0 differ, as they do for ==."""
    found = []
    fields = {fd for fd, _ in a.ListFields()} | {fd for fd, _ in b.ListFields()}
    for fd in sorted(fields, key=lambda f: f.number):
        name = f"{path}.{fd.name}" if path else fd.name
        va, vb = getattr(a, fd.name), getattr(b, fd.name)
        if is_map_entry(fd.message_type):
            nested = fd.message_type.fields_by_name["value"].message_type is not None
            for key in sorted(set(va) | set(vb), key=repr):
                if nested and key in va and key in vb:
                    found += differences(va[key], vb[key], f"{name}[{key!r}]")
                elif key not in va or key not in vb or repr(va[key]) != repr(vb[key]):
                    found.append(f"{name}[{key!r}]: {va.get(key, '<absent>')!r} -> {vb.get(key, '<absent>')!r}")
        elif fd.is_repeated:
            if len(va) != len(vb):
                found.append(f"{name}: {len(va)} elements -> {len(vb)}")
            elif fd.message_type is not None:
                for i, (x, y) in enumerate(zip(va, vb)):
                    found += differences(x, y, f"{name}[{i}]")
            elif list(map(repr, va)) != list(map(repr, vb)):
                found.append(f"{name}: {list(va)!r} -> {list(vb)!r}")
        else:
            present = (a.HasField(fd.name), b.HasField(fd.name)) if fd.has_presence else (True, True)
            if present[0] != present[1]:
                found.append(f"{name}: {'present' if present[0] else 'absent'} -> {'present' if present[1] else 'absent'}")
            elif fd.message_type is not None:
                found += differences(va, vb, name)
            elif repr(va) != repr(vb):
                found.append(f"{name}: {va!r} -> {vb!r}")
    return found


def write_layout(root: Path, type_name: str, file_name: str, data: bytes) -> None:
    path = root / type_name / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def layout_files(root: Path):
    """(type name, file name, bytes) of every file of a DIR/<type>/<file> layout, sorted."""
    for type_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(type_dir.iterdir()):
            yield type_dir.name, path.name, path.read_bytes()


def show(msg: Message) -> str:
    return text_format.MessageToString(msg, as_utf8=True) or "<empty>\n"


# MARK: a. swift → python → swift


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed={s}")
def test_swift_to_python_to_swift(protos, contracts_tool, tmp_path, seed):
    swift_dir, python_dir = tmp_path / "swift", tmp_path / "python"
    contracts_tool("emit", swift_dir, "--count", COUNT, "--seed", seed)

    # Swift's registry and the Python schema must describe the same set of types.
    emitted = {p.name for p in swift_dir.iterdir()}
    assert emitted == set(protos.descriptors), (
        f"types only Swift emits: {sorted(emitted - set(protos.descriptors))}; "
        f"types only in proto/: {sorted(set(protos.descriptors) - emitted)}")
    assert len(emitted) == EXPECTED_TYPE_COUNT

    problems = []
    files = 0
    for type_name, file_name, data in layout_files(swift_dir):
        files += 1
        where = f"{type_name}/{file_name} (emit --seed {seed})"
        try:
            msg = protos.message_class(type_name).FromString(data)
        except Exception as error:  # noqa: BLE001 - any parse failure is a finding, reported with the bytes
            problems.append(f"{where}: Python cannot parse it: {error!r}; bytes {data.hex()}")
            continue
        # Every field Swift wrote must be one Python knows: an unknown field means Swift put a value on a
        # wrong number or with a wrong wire type.
        if unknown := unknown_fields(msg):
            problems.append(f"{where}: unknown fields {unknown}; bytes {data.hex()}")
        write_layout(python_dir, type_name, file_name, msg.SerializeToString(deterministic=True))
    assert files == EXPECTED_TYPE_COUNT * COUNT
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:20])

    # Swift decodes Python's re-encoding and compares it with its own original message.
    out = contracts_tool("compare", swift_dir, python_dir)
    assert f"compared {files} messages, 0 differ" in out, out


# MARK: b. python → swift → python


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed={s}")
def test_python_to_swift_to_python(protos, contracts_tool, tmp_path, seed):
    python_dir, swift_dir = tmp_path / "python", tmp_path / "swift"
    originals: dict[tuple[str, str], tuple[str, Message]] = {}
    for type_name in sorted(protos.descriptors):
        for i in range(COUNT):
            message_seed = f"{seed}:{type_name}:{i}"
            msg = random_message(protos, type_name, message_seed)
            originals[type_name, f"{i}.bin"] = message_seed, msg
            write_layout(python_dir, type_name, f"{i}.bin", msg.SerializeToString(deterministic=True))
    assert len(originals) == EXPECTED_TYPE_COUNT * COUNT

    out = contracts_tool("reencode", python_dir, swift_dir)
    assert f"re-encoded {len(originals)} messages" in out, out

    mismatches = []
    for type_name, file_name, data in layout_files(swift_dir):
        message_seed, original = originals.pop((type_name, file_name))
        decoded = protos.message_class(type_name).FromString(data)
        if decoded != original or unknown_fields(decoded):
            mismatches.append(
                f"{type_name} (filler seed {message_seed!r}):\n"
                f"  python wrote {original.SerializeToString(deterministic=True).hex()}\n"
                f"  swift wrote  {data.hex()}\n"
                f"  differences: {differences(original, decoded)}\n"
                f"  unknown fields in swift's: {unknown_fields(decoded)}\n"
                f"--- original ---\n{show(original)}--- after swift ---\n{show(decoded)}")
    assert not originals, f"Swift wrote no re-encoding for {sorted(originals)[:10]}"
    assert not mismatches, f"{len(mismatches)} message(s) changed in Swift's round trip:\n" + "\n".join(mismatches[:5])


def test_unknown_field_walk_finds_nested_unknowns(protos):
    """The unknown-field check of the swift→python test must see fields nested in messages, repeated fields and
    map values, not just the top level."""
    report = protos.message_class("clientanalyze.common.v1.Report")()
    report.risk.markers.add(code="x")
    marker_with_unknown = report.risk.markers[0].SerializeToString() + bytes([0xF8, 0x06, 0x01])  # #111 = 1
    report.risk.markers[0].ParseFromString(marker_with_unknown)
    assert unknown_fields(report) == ["risk.markers[0]: #111"]

    health = protos.message_class("grpc.health.v1.HealthListResponse")()
    health.statuses["svc"].ParseFromString(bytes([0x98, 0x06, 0x02]))  # #99 = 2 in a map value
    assert unknown_fields(health) == ["statuses['svc']: #99"]


def test_filler_is_deterministic_and_covers_presence(protos):
    """The filler's own contract: the same seed gives the same message, and explicit presence is exercised."""
    name = "clientanalyze.common.v1.Founder"
    a = random_message(protos, name, "x:1")
    assert a == random_message(protos, name, "x:1")
    founders = [random_message(protos, name, f"presence:{i}") for i in range(200)]
    # share_percent set to 0.0 (the default) must be present, and that must survive serialization.
    zero = [f for f in founders if f.HasField("share_percent") and f.share_percent == 0.0]
    assert zero, "the filler never sets an optional field to its default value"
    assert all(type(f).FromString(f.SerializeToString()).HasField("share_percent") for f in zero)
    assert any(not f.HasField("share_percent") for f in founders)


# MARK: c. committed corpus, Swift-made


SWIFT_SAMPLE = CORPUS_DIR / "swift" / "sample_report.binpb"


def test_swift_sample_report_decodes_in_python(protos):
    report = protos.message_class("clientanalyze.common.v1.Report").FromString(SWIFT_SAMPLE.read_bytes())
    assert unknown_fields(report) == []

    assert report.inn == "7707083893"
    assert len(report.court_cases) == 50
    assert len(report.web_mentions) == 30
    assert len(report.risk.markers) == 20
    assert report.company.short_name == "ПАО СБЕРБАНК"

    founder = report.company.founders[0]
    assert founder.HasField("share_percent")
    assert founder.share_percent == 50.00000001  # a double, bit for bit
    assert not founder.HasField("share_kopecks")
    assert report.company.HasField("capital_kopecks")
    assert report.company.capital_kopecks == 6_776_124_730_000

    assert report.registry_hits
    assert all("Сумма" in hit.fields for hit in report.registry_hits)
    assert report.registry_hits[0].fields["Сумма"] == "500 руб."

    assert len(report.sources) == 5
    by_source = {s.source: s for s in report.sources}
    infosphere = by_source[protos.enum_number("clientanalyze.common.v1.Source", "SOURCE_INFOSPHERE")]
    assert infosphere.state == protos.enum_number("clientanalyze.common.v1.SourceStatus.State", "STATE_TIMEOUT")


def test_swift_sample_report_encoding_is_stable(contracts_tool, tmp_path):
    """contracts-tool writes the committed file byte for byte: Swift's encoding is deterministic and the
    sample has not changed without the corpus being regenerated."""
    out = tmp_path / "sample_report.binpb"
    contracts_tool("sample-report", out)
    fresh, committed = out.read_bytes(), SWIFT_SAMPLE.read_bytes()
    if fresh != committed:
        first = next((i for i, (x, y) in enumerate(zip(fresh, committed)) if x != y), min(len(fresh), len(committed)))
        pytest.fail(f"contracts-tool sample-report ({len(fresh)} bytes) differs from {SWIFT_SAMPLE} "
                    f"({len(committed)} bytes) from offset {first}: "
                    f"{fresh[first:first + 16].hex()} vs {committed[first:first + 16].hex()}")


# MARK: d. committed corpus, Python-made


PYTHON_CORPUS = CORPUS_DIR / "python"


def test_python_corpus_is_up_to_date(protos):
    expected = make_corpus.outputs(protos)
    committed = {p.name: p.read_bytes() for p in PYTHON_CORPUS.iterdir() if p.is_file()}
    assert sorted(committed) == sorted(expected), "files in the corpus directory differ from make_corpus.py's"
    stale = [name for name in expected if committed[name] != expected[name]]
    assert not stale, (f"{stale} differ from what Tests/Interop/make_corpus.py builds; if the change is "
                       "intended, re-run it and update the Swift tests that assert these values")


def test_python_corpus_survives_swift(protos, contracts_tool, tmp_path):
    entries = make_corpus.build(protos)
    python_dir, swift_dir = tmp_path / "python", tmp_path / "swift"
    for e in entries:
        write_layout(python_dir, e.type_name, f"{e.short_name}.bin", (PYTHON_CORPUS / e.file_name).read_bytes())
    contracts_tool("reencode", python_dir, swift_dir)
    for e in entries:
        data = (swift_dir / e.type_name / f"{e.short_name}.bin").read_bytes()
        decoded = type(e.message).FromString(data)
        assert decoded == e.message, (f"{e.file_name}: Swift's re-encoding {data.hex()} decodes to\n{show(decoded)}"
                                      f"instead of\n{show(e.message)}")
        assert unknown_fields(decoded) == []

    # The presence and unknown-enum cases the corpus exists for, checked on Swift's output explicitly (==
    # above would catch them too, but these are the ones most likely to break).
    def reencoded(short_name):
        entry = next(e for e in entries if e.short_name == short_name)
        return type(entry.message).FromString((swift_dir / entry.type_name / f"{short_name}.bin").read_bytes())

    job = reencoded("job")
    assert job.request.options.HasField("narrative_llm") and job.request.options.narrative_llm is False
    assert not job.request.options.HasField("web_search")
    card = reencoded("company_card_liquidated")
    assert card.HasField("capital_kopecks") and card.capital_kopecks == 0
    assert not card.HasField("employee_count")
    assert reencoded("report_unknown_risk_level").risk.level == 99
    assert reencoded("progress_event").WhichOneof("detail") == "source"
