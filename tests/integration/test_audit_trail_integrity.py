"""The trail cannot be shortened, added to or rewritten behind the application's back unnoticed.

Tampering is simulated as a database administrator would do it: the
append-only triggers are dropped (SQLite) or disabled (PostgreSQL) and rows
are changed with plain SQL.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tender.domain.audit_chain import GENESIS_HASH, event_hash
from tender.domain.audit_rows import STORED_COLUMNS, record_from_row
from tender.extensions import db
from tender.services import audit
from tender.services.audit import export as audit_export
from tender.services.audit import query as audit_query
from tender.services.audit import verify as audit_verify
from tests.helpers import allow_audit_tampering

TENDER = str(Path(sys.executable).parent / "tender")


def _events(count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        audit.record(audit.Actor.system("test"), "test.event", "test", i, reason=f"event {i}",
                     after={"number": i})
        db.session.commit()


def _sql(statement: str, **params) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def _insert_behind_the_apps_back(seq: int) -> None:
    """A row with the next free number, even correctly linked and hashed: it still was not written by Tender."""
    prev = db.session.execute(text("SELECT hash FROM audit_head")).scalar_one()
    row = {"seq": seq, "occurred_at": "2026-01-01T00:00:00.000000Z", "actor": "mallory@example.com",
           "actor_role": "procurement_officer", "action": "bid.received", "object_type": "bid", "object_id": "99",
           "procurement_ref": None, "lot": None, "before": None, "after": None, "reason": None, "ip": None,
           "prev_hash": prev}
    row["hash"] = event_hash(row)
    _sql("INSERT INTO audit_event (seq, occurred_at, actor, actor_role, action, object_type, object_id, "
         "prev_hash, hash) VALUES (:seq, :occurred_at, :actor, :actor_role, :action, :object_type, :object_id, "
         ":prev_hash, :hash)", **{k: row[k] for k in ("seq", "occurred_at", "actor", "actor_role", "action",
                                                    "object_type", "object_id", "prev_hash", "hash")})


def _rewrite_consistently_from(seq: int) -> None:
    """What verify alone cannot see: change event ``seq``, re-hash it and every later event, move the head."""
    rows = db.session.execute(text(f"SELECT {', '.join(STORED_COLUMNS)} FROM audit_event ORDER BY seq")).all()
    prev = GENESIS_HASH
    for row in rows:
        record = record_from_row(row)
        if record["seq"] >= seq:
            if record["seq"] == seq:
                record["reason"] = "a different reason, written later"
            record["prev_hash"] = prev
            record["hash"] = event_hash(record)
            db.session.execute(text("UPDATE audit_event SET reason = :reason, prev_hash = :prev_hash, hash = :hash "
                                    "WHERE seq = :seq"), record)
        prev = record["hash"]
    db.session.execute(text("UPDATE audit_head SET hash = :hash"), {"hash": prev})
    db.session.commit()


def test_deleting_the_newest_event_is_reported_with_its_number(ctx):
    _events(5)
    assert audit_verify.verify_trail().ok
    allow_audit_tampering()
    _sql("DELETE FROM audit_event WHERE seq = 5")
    report = audit_verify.verify_trail()
    assert not report.ok
    assert [(p.seq, p.check) for p in report.problems] == [(5, "chain")]
    assert "Event 5 is missing from the end of the trail" in report.problems[0].text


def test_deleting_every_event_is_reported(ctx):
    _events(3)
    allow_audit_tampering()
    _sql("DELETE FROM audit_event")
    report = audit_verify.verify_trail()
    assert not report.ok and report.chain.count == 0
    assert report.problems[0].seq == 1
    assert report.problems[0].text.startswith("Events 1 to 3 are missing from the end of the trail: it is empty")


def test_a_row_inserted_behind_the_apps_back_is_named_and_the_app_keeps_writing(ctx):
    _events(3)
    _insert_behind_the_apps_back(4)
    report = audit_verify.verify_trail()
    assert [p.seq for p in report.problems] == [4]
    assert "not written by Tender" in report.problems[0].text

    _events(2, start=3)  # the app's next audited actions collide with number 4 and still succeed

    actions = db.session.execute(text("SELECT seq, action FROM audit_event ORDER BY seq")).all()
    assert [a for _, a in actions] == ["test.event"] * 3 + ["bid.received", "test.event",
                                                            audit.SKIPPED_ACTION, "test.event"]
    report = audit_verify.verify_trail()
    assert [(p.seq, p.check) for p in report.problems] == [(4, "chain")]
    assert "Tender found its number already taken" in report.problems[0].text
    assert report.chain.count == 6 and report.chain.first_broken_seq is None  # the rest of the chain is intact
    assert report.head_seq == 7


def test_an_intruder_with_a_far_ahead_number_is_skipped_when_reached(ctx):
    _events(1)
    _insert_behind_the_apps_back(3)
    _events(3, start=1)
    seqs = [s for (s,) in db.session.execute(text("SELECT seq FROM audit_event WHERE action = 'test.event' "
                                                  "ORDER BY seq"))]
    assert seqs == [1, 2, 4, 6]  # 3 was taken; 5 is Tender's note saying so
    report = audit_verify.verify_trail()
    assert [p.seq for p in report.problems] == [3]


def test_against_an_earlier_bundle_passes_when_the_trail_only_grew(ctx, tmp_path):
    _events(4)
    bundle = audit_export.export("bundle", tmp_path / "evidence.zip", audit_query.AuditFilter(),
                                 audit.Actor.system("test")).path
    _events(3, start=4)
    report = audit_verify.verify_trail(against=bundle)
    assert report.ok, report.problems
    assert report.chain.count == 8  # 4 + the export's own event + 3


def test_against_an_earlier_bundle_catches_a_consistent_rewrite_and_names_the_event(ctx, tmp_path):
    _events(6)
    bundle = audit_export.export("bundle", tmp_path / "evidence.zip", audit_query.AuditFilter(),
                                 audit.Actor.system("test")).path
    _events(2, start=6)
    allow_audit_tampering()
    _rewrite_consistently_from(3)
    assert audit_verify.verify_trail().ok  # the database on its own looks perfect
    report = audit_verify.verify_trail(against=bundle)
    assert not report.ok
    first = report.problems[0]
    assert (first.check, first.seq) == ("against", 3)
    assert "Event 3 is not the event exported in the bundle" in first.text
    assert any(p.seq == 6 and "head of the chain" in p.text for p in report.problems)


def test_against_an_extract_bundle_uses_the_whole_trails_head_at_export(ctx, tmp_path):
    audit.record(audit.Actor.system("test"), "test.event", "procurement", 1, procurement_ref="KCC-1")
    audit.record(audit.Actor.system("test"), "test.event", "procurement", 2, procurement_ref="KCC-2")
    db.session.commit()
    bundle = audit_export.export("bundle", tmp_path / "extract.zip", audit_query.AuditFilter(procurement="KCC-1"),
                                 audit.Actor.system("test")).path
    assert audit_verify.verify_trail(against=bundle).ok
    allow_audit_tampering()
    _rewrite_consistently_from(2)  # event 2 is not in the extract, but the head at export was event 2
    problems = audit_verify.verify_trail(against=bundle).problems
    assert [(p.check, p.seq) for p in problems] == [("against", 2)]


def test_a_plugged_in_check_reports_through_verify(ctx):
    _events(2)

    def sealed_prices(report):
        yield audit_verify.Problem("sealed prices", 2, f"Event 2 does not match ({report.chain.count} checked).")

    audit_verify.register_check("sealed prices", sealed_prices)
    try:
        report = audit_verify.verify_trail()
    finally:
        del audit_verify.CHECKS["sealed prices"]
    assert [(p.check, p.seq, p.text) for p in report.problems] == [
        ("sealed prices", 2, "Event 2 does not match (2 checked).")]


@pytest.mark.slow
def test_the_command_fails_naming_the_event_and_checks_against_a_bundle(app, database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "TENDER_INSTANCE_PATH": str(tmp_path)}

    def tender(*args):
        return subprocess.run([TENDER, *args], env=env, capture_output=True, text=True, timeout=120)

    with app.app_context():
        _events(3)
    exported = tender("audit", "export", "--format", "bundle", "--output", str(tmp_path / "b.zip"))
    assert exported.returncode == 0, exported.stderr
    with app.app_context():
        _events(1, start=3)
    ok = tender("audit", "verify", "--against", str(tmp_path / "b.zip"))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: 5 events") and "Consistent with" in ok.stdout
    with app.app_context():
        allow_audit_tampering()
        _sql("DELETE FROM audit_event WHERE seq = 5")
        _insert_behind_the_apps_back(6)
        db.session.remove()
    broken = tender("audit", "verify", "--against", str(tmp_path / "b.zip"))
    assert broken.returncode == 1
    assert "BROKEN at event 5: Event 5 is missing from the end of the trail" in broken.stderr
    assert "PROBLEM with event 6: Event 6 was not written by Tender" in broken.stderr
    not_a_bundle = tmp_path / "notes.zip"
    not_a_bundle.write_text("hello")
    refused = tender("audit", "verify", "--against", str(not_a_bundle))
    assert refused.returncode == 1 and "is not an evidence bundle" in refused.stderr


def test_events_the_database_cannot_build_the_canonical_form_of_still_verify_and_export_alike(ctx, tmp_path):
    awkward = "del \x7f, tab\t, quote \", siân, =SUM(1), line\nbreak, \u2028"
    audit.record(audit.Actor.system("test"), "test.event", "test", "=1", reason=awkward,
                 after={"text": awkward, "list": [1, None, True]}, before="-5")
    _events(2)
    report = audit_verify.verify_trail()
    assert report.ok, report.problems
    one_pass = audit_export.export("csv", tmp_path / "one.csv", audit_query.AuditFilter(), audit.Actor.system("t"))
    assert one_pass.chain_ok
    from tender.audit_export import write_csv, write_jsonl

    with (tmp_path / "general.csv").open("w", encoding="utf-8", newline="") as out:
        write_csv(audit_query.stream(audit_query.AuditFilter(max_seq=3)), out)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "general.csv").read_bytes()
    audit_export.export("jsonl", tmp_path / "one.jsonl", audit_query.AuditFilter(), audit.Actor.system("t"))
    with (tmp_path / "general.jsonl").open("w", encoding="utf-8", newline="") as out:
        write_jsonl(audit_query.stream(audit_query.AuditFilter(max_seq=4)), out)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "general.jsonl").read_bytes()


def test_a_row_with_binary_data_where_text_belongs_is_reported_not_a_crash(ctx):
    _events(2)
    allow_audit_tampering()
    if db.engine.dialect.name == "postgresql":
        _sql("UPDATE audit_event SET actor = convert_from('\\x6d616c6c6f7279'::bytea, 'UTF8') WHERE seq = 2")
    else:
        _sql("UPDATE audit_event SET actor = X'6d616c6c6f7279' WHERE seq = 2")
    report = audit_verify.verify_trail()
    assert [p.seq for p in report.problems] == [2]
    assert "Event 2" in report.problems[0].text
