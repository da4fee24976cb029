"""Tests of the audit exports: what leaves the building must be checkable.

The bundle is checked with the real ``sha256sum -c`` and the JSONL with the
exact scripts printed in docs/audit-trail.md, because those are what the
other side's expert will run.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from tender.audit_export import EXPORTERS, ExportInconsistentError, ExportMeta, write_bundle
from tender.audit_export.csv_jsonl import CSV_COLUMNS, protect_cell, write_csv, write_jsonl
from tender.audit_export.pdf_report import PDF_SUBJECT, change_summary, write_pdf
from tender.domain.audit_chain import (
    CANONICAL_FORM_VERSION,
    EVENT_FIELDS,
    GENESIS_HASH,
    canonical_json,
    seal,
    verify_chain,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit-trail.md"
UTC = dt.timezone.utc
BASE = dt.datetime(2024, 5, 13, 22, 0, tzinfo=UTC)


def events(n: int, *, start: int = 1, prev: str = GENESIS_HASH, reason=None):
    """A valid chain of ``n`` events, generated lazily like a database cursor."""
    for seq in range(start, start + n):
        event = seal({
            "seq": seq,
            "occurred_at": BASE + dt.timedelta(minutes=17 * seq, microseconds=seq),
            "actor": "siân.jones@kent.gov.uk" if seq % 3 else "system",
            "actor_role": "procurement_officer" if seq % 3 else "system",
            "action": "procurement.stage_changed",
            "object_type": "procurement",
            "object_id": "33",
            "procurement_ref": "KCC-22/00033",
            "lot": seq % 4 or None,
            "before": {"stage": "evaluation", "score": "3"},
            "after": {"stage": "award", "score": "4"},
            "reason": reason if reason is not None else f"Moderation, item {seq}",
            "ip": "10.1.2.3",
        }, prev)
        prev = event["hash"]
        yield event


def meta(**changes) -> ExportMeta:
    values = dict(
        generated_by="clerk@kent.gov.uk",
        generated_at=dt.datetime(2024, 7, 1, 12, 0, tzinfo=UTC),
        procurement_ref="KCC-22/00033",
        procurement_title="Highways maintenance 2024-2028",
    )
    values.update(changes)
    return ExportMeta(**values)


def pdf_text(data: bytes, tmp_path: Path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


# --- CSV ------------------------------------------------------------------------


def test_csv_round_trips_through_csv_reader():
    chain = list(events(5))
    chain[1]["reason"] = 'Comma, "quotes" and\na new line'
    out = io.StringIO(newline="")
    assert write_csv(chain, out) == 5
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS == EVENT_FIELDS
    assert len(rows) == 6
    first = dict(zip(rows[0], rows[1]))
    assert first["seq"] == "1"
    assert first["occurred_at"] == "2024-05-13T22:17:00.000001Z"
    assert first["actor"] == "siân.jones@kent.gov.uk"
    assert json.loads(first["after"]) == {"stage": "award", "score": "4"}
    assert first["after"] == '{"score":"4","stage":"award"}'
    assert first["prev_hash"] == GENESIS_HASH and first["hash"] == chain[0]["hash"]
    assert dict(zip(rows[0], rows[2]))["reason"] == 'Comma, "quotes" and\na new line'
    assert dict(zip(rows[0], rows[4]))["lot"] == ""  # null is an empty cell


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_spreadsheets_would_execute_are_quoted(dangerous):
    chain = list(events(1))
    chain[0].update(reason=dangerous, actor=dangerous)
    out = io.StringIO(newline="")
    write_csv(chain, out)
    row = dict(zip(*list(csv.reader(io.StringIO(out.getvalue(), newline="")))))
    assert row["reason"] == "'" + dangerous
    assert row["actor"] == "'" + dangerous
    assert row["action"] == "procurement.stage_changed"  # safe text untouched


def test_protect_cell_leaves_ordinary_text_alone():
    assert protect_cell("Moderation - agreed") == "Moderation - agreed"
    assert protect_cell("") == ""
    assert protect_cell("-") == "'-"


def test_csv_byte_order_mark_is_optional():
    out = io.StringIO(newline="")
    write_csv(events(1), out, excel_bom=True)
    assert out.getvalue().startswith("\ufeffseq,occurred_at,")


# --- JSONL ---------------------------------------------------------------------


def test_jsonl_lines_parse_and_reverify():
    out = io.StringIO()
    assert write_jsonl(events(20), out) == 20
    lines = out.getvalue().split("\n")
    assert lines[-1] == "" and len(lines) == 21
    parsed = [json.loads(line) for line in lines[:-1]]
    assert verify_chain(parsed).ok
    for line, event in zip(lines, parsed):
        without_hash = {k: v for k, v in event.items() if k != "hash"}
        assert canonical_json(without_hash) == canonical_json(event)
        assert json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":")) == line


def test_jsonl_export_of_a_tampered_trail_does_not_verify():
    chain = list(events(5))
    chain[2]["actor"] = "someone.else@kent.gov.uk"
    out = io.StringIO()
    write_jsonl(chain, out)
    result = verify_chain(json.loads(line) for line in out.getvalue().splitlines())
    assert result.first_broken_seq == 3


def _doc_block(marker: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"```(?:sh|python)\n(" + re.escape(marker) + r"\n.*?)```", text, re.S)
    assert match, f"docs/audit-trail.md has no code block starting with {marker!r}"
    return match.group(1)


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("sha256sum") is None, reason="needs jq and sha256sum")
def test_documented_jq_check_accepts_an_export_and_catches_tampering(tmp_path):
    script = _doc_block("# check-jsonl-with-jq")
    chain = list(events(6))
    chain[2]["reason"] = "tricky \x7f del, 日本語, \"quotes\" \\ and \n newline"
    chain = list(_reseal(chain))
    with open(tmp_path / "audit.jsonl", "w", encoding="utf-8", newline="") as out:
        write_jsonl(chain, out)
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert run.stdout.strip().splitlines()[-1] == "all events OK", run.stdout + run.stderr

    chain[3]["reason"] = "altered"
    with open(tmp_path / "audit.jsonl", "w", encoding="utf-8", newline="") as out:
        write_jsonl(chain, out)
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert "event 4: ALTERED" in run.stdout and "PROBLEMS FOUND" in run.stdout


def test_documented_python_check_accepts_an_export_and_catches_deletion(tmp_path):
    (tmp_path / "check_jsonl.py").write_text(_doc_block("# check_jsonl.py"), encoding="utf-8")
    chain = list(_reseal([{**e, "reason": "del \x7f and emoji 😀"} for e in events(5)]))
    with open(tmp_path / "audit.jsonl", "w", encoding="utf-8", newline="") as out:
        write_jsonl(chain, out)
    command = [sys.executable, "check_jsonl.py", "audit.jsonl"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "all events OK"
    # an altered-and-resealed event is caught by the next link
    chain[1] = seal({**chain[1], "reason": "rewritten"}, chain[1]["prev_hash"])
    with open(tmp_path / "audit.jsonl", "w", encoding="utf-8", newline="") as out:
        write_jsonl(chain, out)
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "event 3: LINK BROKEN" in run.stdout


def _reseal(chain):
    prev = GENESIS_HASH
    for event in chain:
        sealed = seal(event, prev)
        prev = sealed["hash"]
        yield sealed


# --- PDF -------------------------------------------------------------------------


def test_pdf_has_cover_page_and_events(tmp_path):
    out = io.BytesIO()
    assert write_pdf(events(60, reason="=cmd| ' → moderated <b>not bold</b>"), out, meta()) == 60
    data = out.getvalue()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert PDF_SUBJECT.encode() in data  # document information, readable without a PDF parser
    assert b"Audit trail - KCC-22/00033" in data
    text = pdf_text(data, tmp_path)
    if text is None:
        pytest.skip("pdftotext is not installed; checked the document information only")
    cover = text.split("\f")[0]
    for expected in ("Audit trail", "KCC-22/00033", "Highways maintenance 2024-2028", "Period covered",
                     "Events in this report", "60 (event numbers 1 to 60)", "Passed", "Head hash",
                     "1 July 2024 at 12:00:00 UTC", "clerk@kent.gov.uk", "Page 1 of"):
        assert expected in cover, expected
    pages = text.count("\f")
    assert f"Page 1 of {pages}" in cover
    assert "Monday 13 May 2024" in text and "Tuesday 14 May 2024" in text
    assert "siân.jones@kent.gov.uk (procurement_officer)" in text
    assert "<b>not bold</b>" in text  # user text is shown, not interpreted as markup
    assert "stage: evaluation" in text and "award" in text


def test_pdf_cover_reports_a_broken_chain(tmp_path):
    chain = list(events(5))
    del chain[2]
    out = io.BytesIO()
    write_pdf(chain, out, meta(procurement_ref=None, procurement_title=None))
    text = pdf_text(out.getvalue(), tmp_path)
    if text is None:
        pytest.skip("pdftotext is not installed")
    cover = " ".join(text.split("\f")[0].split())
    assert "All procurements" in cover
    assert "FAILED: Event 3 is missing: the sequence jumps from 2 to 4." in cover


def test_pdf_of_no_events_is_still_a_report(tmp_path):
    out = io.BytesIO()
    assert write_pdf(iter(()), out, meta()) == 0
    text = pdf_text(out.getvalue(), tmp_path)
    assert out.getvalue().startswith(b"%PDF-")
    if text is not None:
        assert "There are no events" in text


def test_change_summary_lists_only_what_changed():
    assert change_summary({"a": 1, "b": "x"}, {"a": 1, "b": "y", "c": None}) == [
        "b: x \u2192 y", "c: (not set) \u2192 (none)"]
    assert change_summary(None, {"stage": "award"}) == ["stage: (not set) \u2192 award"]
    assert change_summary({"stage": "award"}, None, "->") == ["stage: award -> (removed)"]
    assert change_summary(None, None) == []
    many = change_summary({}, {f"k{i:02d}": i for i in range(20)})
    assert len(many) == 9 and "12 more change(s)" in many[-1]


# --- bundle ----------------------------------------------------------------------


def _factory(n: int, calls: list[int]):
    def make():
        calls.append(1)
        return events(n)
    return make


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="sha256sum is not installed")
def test_bundle_passes_sha256sum_and_detects_a_changed_byte(tmp_path):
    calls: list[int] = []
    zip_path = tmp_path / "audit-bundle.zip"
    result = write_bundle(_factory(40, calls), zip_path, meta())
    assert len(calls) == 3  # once per format, nothing held in memory between them
    assert result.path == zip_path and result.event_count == 40
    assert (result.first_seq, result.last_seq) == (1, 40) and result.verification.ok

    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == ["SHA256SUMS", "audit.csv", "audit.jsonl", "audit.pdf", "manifest.json"]
        archive.extractall(tmp_path / "bundle")
    folder = tmp_path / "bundle"
    sums = (folder / "SHA256SUMS").read_bytes().decode("ascii")
    assert re.fullmatch(r"([0-9a-f]{64}  (audit\.csv|audit\.jsonl|audit\.pdf|manifest\.json)\n){4}", sums)

    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 4

    csv_path = folder / "audit.csv"
    data = bytearray(csv_path.read_bytes())
    data[200] ^= 0x01
    csv_path.write_bytes(bytes(data))
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
    assert check.returncode != 0
    assert "audit.csv: FAILED" in check.stdout


def test_bundle_manifest_and_members(tmp_path):
    last = list(events(30))[-1]
    trail = verify_chain(events(30))
    result = write_bundle(lambda: events(30), tmp_path / "b.zip",
                          meta(since=BASE, until=BASE + dt.timedelta(days=30), trail_verification=trail))
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        jsonl = archive.read("audit.jsonl").decode("utf-8").splitlines()
        csv_text = archive.read("audit.csv").decode("utf-8-sig")
        pdf = archive.read("audit.pdf")
    assert manifest["canonical_form"] == CANONICAL_FORM_VERSION
    assert manifest["procurement"] == "KCC-22/00033"
    assert manifest["since"] == "2024-05-13T22:00:00.000000Z"
    assert manifest["until"] == "2024-06-12T22:00:00.000000Z"
    assert manifest["generated_at"] == "2024-07-01T12:00:00.000000Z"
    assert manifest["generated_by"] == "clerk@kent.gov.uk"
    assert (manifest["event_count"], manifest["first_seq"], manifest["last_seq"]) == (30, 1, 30)
    assert manifest["chain_head_hash"] == last["hash"] == result.head_hash
    assert manifest["chain_verification"]["ok"] is True
    assert manifest["chain_verification"]["scope"] == "extract"
    assert manifest["trail_verification"]["scope"] == "whole trail"
    assert manifest["tool_version"]
    assert manifest["files"]["audit.csv"]["sha256"] == result.sha256["audit.csv"]
    assert verify_chain(json.loads(line) for line in jsonl).ok
    assert len(list(csv.reader(io.StringIO(csv_text, newline="")))) == 31
    assert pdf.startswith(b"%PDF-")


def test_bundle_refuses_when_the_trail_changes_during_export(tmp_path):
    sizes = iter([10, 11, 11])
    with pytest.raises(ExportInconsistentError, match="changed while it was being exported"):
        write_bundle(lambda: events(next(sizes)), tmp_path / "b.zip", meta())
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


def test_exporters_lookup_table():
    assert set(EXPORTERS) == {"csv", "jsonl", "pdf", "bundle"}
    out = io.StringIO()
    assert EXPORTERS["jsonl"](events(3), out) == 3
    assert EXPORTERS["pdf"].media_type == "application/pdf"
    assert EXPORTERS["bundle"].writer is write_bundle


def test_export_meta_rejects_naive_times():
    with pytest.raises(ValueError):
        ExportMeta(generated_by="x", since=dt.datetime(2024, 1, 1))
    assert meta().is_extract and not meta(procurement_ref=None).is_extract


# --- memory ----------------------------------------------------------------------


def synthetic(n: int):
    """Cheap unsealed events: the memory test is about the writer, not hashing."""
    for seq in range(1, n + 1):
        yield {
            "seq": seq, "occurred_at": "2024-05-14T09:32:05.123456Z", "actor": "jo@kent.gov.uk",
            "actor_role": "evaluator", "action": "score.recorded", "object_type": "score",
            "object_id": str(seq), "procurement_ref": "KCC-22/00033", "lot": 1,
            "before": {"score": "3"}, "after": {"score": "4"}, "reason": "=moderated", "ip": None,
            "prev_hash": GENESIS_HASH, "hash": GENESIS_HASH,
        }


@pytest.mark.slow
def test_csv_and_jsonl_writers_use_flat_memory():
    with open(os.devnull, "w", encoding="utf-8", newline="") as sink:
        tracemalloc.start()
        try:
            assert write_csv(synthetic(200_000), sink) == 200_000
            csv_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            assert write_jsonl(synthetic(20_000), sink) == 20_000
            jsonl_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert csv_peak < 3 * 1024 * 1024, csv_peak
    assert jsonl_peak < 3 * 1024 * 1024, jsonl_peak
