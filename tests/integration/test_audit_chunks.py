"""The chunk path of verify and the CSV export gives the general path's verdicts and bytes, on SQLite and PostgreSQL.

The fast path (``tender.services.audit.verify._walk_in_chunks``) has the
database join whole chunks of rows' canonical forms, hashes, links and CSV
lines, read ahead by extra connections in threads. These tests make chunks
small so a short trail spans many, mix rows that need quoting, formula
protection or JSON escapes with plain ones, and compare with the general
writers and with the row-by-row path forced.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tender.audit_export import write_csv
from tender.audit_export.csv_jsonl import StoredRowWriter
from tender.domain.audit_chain import GENESIS_HASH, compact_json, seal
from tender.extensions import db
from tender.services import audit
from tender.services.audit import export as audit_export
from tender.services.audit import query as audit_query
from tender.services.audit import verify as audit_verify
from tests.helpers import allow_audit_tampering

HOSTILE = ["=SUM(A1)", "+44 1622", "-5", "@import", "\tindented", "\rcarriage", "a,b", 'say "hi"', "two\nlines",
           "crlf\r\nend", "back\\slash", "siân.jones@kent.gov.uk", "del \x7f char", "\u2028 line separator",
           "nbsp\u00a0here", "bell \x07 rings", "", "'already quoted", "ends with comma,", "日本語"]


def _append(payloads: list[dict]) -> None:
    """Chain ``payloads`` after the current head, as Tender stores events (before/after as canonical JSON text)."""
    seq, prev = db.session.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    prev = prev or GENESIS_HASH
    for payload in payloads:
        seq += 1
        event = {"seq": seq, "occurred_at": "2024-05-14T09:32:05.123456Z", "actor": "jo@kent.gov.uk",
                 "actor_role": "evaluator", "action": "score.saved", "object_type": "score", "object_id": str(seq),
                 "procurement_ref": "KCC-22/00033", "lot": 1, "before": None, "after": {"score": "3"},
                 "reason": None, "ip": "10.0.0.1", **payload}
        event = seal(event, prev)
        prev = event["hash"]
        row = {**event, "before": None if event["before"] is None else compact_json(event["before"]),
               "after": None if event["after"] is None else compact_json(event["after"])}
        db.session.execute(text(
            "INSERT INTO audit_event (seq, occurred_at, actor, actor_role, action, object_type, object_id, "
            "procurement_ref, lot, before, after, reason, ip, prev_hash, hash) VALUES (:seq, :occurred_at, :actor, "
            ":actor_role, :action, :object_type, :object_id, :procurement_ref, :lot, :before, :after, :reason, "
            ":ip, :prev_hash, :hash)"), row)
    db.session.execute(text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"), {"seq": seq, "hash": prev})
    db.session.commit()


def _mixed_trail() -> None:
    """Runs of plain rows, then rows with one hostile value each, in every kind of cell."""
    payloads: list[dict] = [{} for _ in range(9)]
    for i, value in enumerate(HOSTILE):
        field = ("actor", "reason", "object_id", "procurement_ref", "ip", "actor_role", "action")[i % 7]
        payloads.append({field: value, "after": {"note": value, "list": [1, value, None, True]}})
        payloads += [{} for _ in range(i % 4)]
    payloads += [{"lot": None, "before": {"stage": "draft"}, "after": None}, {"before": [], "after": {}},
                 {"after": [1, -2]}, {"after": "a JSON string, not an object"}, {"lot": -1}, {"object_id": None}]
    payloads += [{} for _ in range(7)]
    _append(payloads)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 4 rows, and a record of which chunks the cheap CSV line was right for."""
    monkeypatch.setattr(audit_verify, "CHUNK", 4)
    verdicts: list[bool] = []
    plain = audit_verify._plain_cells

    def recording(cells, count):
        verdicts.append(plain(cells, count))
        return verdicts[-1]

    monkeypatch.setattr(audit_verify, "_plain_cells", recording)
    return verdicts


def _general_csv(path, last_seq: int) -> bytes:
    with path.open("w", encoding="utf-8", newline="") as out:
        write_csv(audit_query.stream(audit_query.AuditFilter(max_seq=last_seq)), out)
    return path.read_bytes()


@pytest.mark.parametrize("chunk", [1, 4, 2000])
def test_the_csv_export_is_byte_for_byte_the_general_writers(ctx, tmp_path, monkeypatch, small_chunks, chunk):
    monkeypatch.setattr(audit_verify, "CHUNK", chunk)
    _mixed_trail()
    last = db.session.execute(text("SELECT seq FROM audit_head")).scalar_one()
    result = audit_export.export("csv", tmp_path / "fast.csv", audit_query.AuditFilter(), audit.Actor.system("t"))
    assert result.chain_ok and result.events == last
    assert (tmp_path / "fast.csv").read_bytes() == _general_csv(tmp_path / "general.csv", last)
    if db.engine.dialect.name == "sqlite" and chunk < last:  # the one-printf line and the cell by cell one
        assert True in small_chunks and False in small_chunks


def test_every_hostile_value_alone_in_a_chunk_is_written_as_the_general_writer_writes_it(ctx, tmp_path,
                                                                                         small_chunks):
    for value in HOSTILE:
        _append([{"reason": value, "actor": value, "after": {"v": value}}, {}, {}, {}])
    last = db.session.execute(text("SELECT seq FROM audit_head")).scalar_one()
    audit_export.export("csv", tmp_path / "fast.csv", audit_query.AuditFilter(), audit.Actor.system("t"))
    assert (tmp_path / "fast.csv").read_bytes() == _general_csv(tmp_path / "general.csv", last)
    if db.engine.dialect.name == "sqlite":
        # a chunk takes the cell-by-cell line only for a value that Python's csv module quotes or Tender protects
        needs = [v for v in HOSTILE if v[:1] in ("=", "+", "-", "@", "\t") or any(ord(c) < 32 or c in ',"' for c in v)]
        assert small_chunks.count(False) == len(needs) == 12
        assert small_chunks.count(True) == len(HOSTILE) - len(needs)  # one chunk of 4 rows per value


def _tamper(kind: str) -> None:
    allow_audit_tampering()
    statements = {
        "altered": "UPDATE audit_event SET reason = 'edited' WHERE seq = 10",
        "altered hostile row": "UPDATE audit_event SET actor = 'x' WHERE seq = 13",
        "rehashed": "UPDATE audit_event SET hash = (SELECT hash FROM audit_event WHERE seq = 3) WHERE seq = 10",
        "deleted": "DELETE FROM audit_event WHERE seq = 9",
        "deleted a chunk's first": "DELETE FROM audit_event WHERE seq = 13",
        "newest deleted": "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)",
        "head moved": "UPDATE audit_head SET hash = (SELECT hash FROM audit_event WHERE seq = 2)",
        "swapped": "UPDATE audit_event SET seq = -seq WHERE seq IN (6, 7)",
        "uppercase hash": "UPDATE audit_event SET hash = upper(hash), prev_hash = prev_hash WHERE seq = 5",
        "link with a newline": "UPDATE audit_event SET prev_hash = substr(prev_hash, 1, 63) || char(10) WHERE seq = 8",
    }
    statement = statements[kind]
    if kind == "swapped":
        db.session.execute(text(statement))
        db.session.execute(text("UPDATE audit_event SET seq = 7 WHERE seq = -6"))
        db.session.execute(text("UPDATE audit_event SET seq = 6 WHERE seq = -7"))
        db.session.commit()
        return
    if db.engine.dialect.name == "postgresql":
        statement = statement.replace("char(10)", "chr(10)")
    db.session.execute(text(statement))
    db.session.commit()
    if kind == "deleted a chunk's first":  # and an intruder where Tender's next event goes
        _append([{"actor": "mallory@example.com"}])
        db.session.execute(text("UPDATE audit_head SET seq = seq - 1, hash = (SELECT prev_hash FROM audit_event "
                                "WHERE seq = (SELECT max(seq) FROM audit_event))"))
        db.session.commit()


@pytest.mark.parametrize("kind", ["altered", "altered hostile row", "rehashed", "deleted", "deleted a chunk's first",
                                  "newest deleted", "head moved", "swapped", "uppercase hash", "link with a newline"])
def test_verdicts_on_the_chunk_path_are_the_row_by_row_paths(ctx, tmp_path, monkeypatch, small_chunks, kind):
    _mixed_trail()
    _tamper(kind)
    fast = audit_verify.verify_trail(checks=())
    with monkeypatch.context() as forced:
        forced.setattr(audit_verify, "feed_chunk", lambda *args: None)
        general = audit_verify.verify_trail(checks=())
    assert not fast.ok
    assert fast.problems == general.problems
    assert fast.chain == general.chain
    export = audit_export.export("csv", tmp_path / "fast.csv", audit_query.AuditFilter(), audit.Actor.system("t"))
    assert not export.chain_ok and export.head_hash == general.chain.head_hash
    with (tmp_path / "rows.csv").open("w", encoding="utf-8", newline="") as out:
        writer = StoredRowWriter(out, "csv")
        monkeypatch.setattr(StoredRowWriter, "accepts_csv_text", property(lambda self: False))
        audit_verify.verify_trail(sink=writer, checks=())
        writer.flush()
    exported = (tmp_path / "fast.csv").read_bytes()
    assert (tmp_path / "rows.csv").read_bytes().startswith(exported)  # then the export's own event


def test_an_intact_trail_is_accepted_chunk_by_chunk_not_row_by_row(ctx, monkeypatch, small_chunks):
    _mixed_trail()
    row_by_row: list[int] = []
    rows = audit_verify._rows
    monkeypatch.setattr(audit_verify, "_rows", lambda *args: row_by_row.append(1) or rows(*args))
    report = audit_verify.verify_trail()
    assert report.ok, report.problems
    assert report.chain.count == db.session.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
    assert len(row_by_row) == 1  # the chunk with a DEL: json_quote leaves it raw, the canonical form escapes it


def test_a_failed_export_leaves_no_file_behind(ctx, tmp_path, monkeypatch, small_chunks):
    _mixed_trail()
    calls: list[int] = []

    def failing(self, lines, count):
        calls.append(count)
        if len(calls) == 3:
            raise OSError("disk full")
        return StoredRowWriter.flush(self)

    monkeypatch.setattr(StoredRowWriter, "write_csv_text", failing)
    with pytest.raises(OSError, match="disk full"):
        audit_export.export("csv", tmp_path / "trail.csv", audit_query.AuditFilter(), audit.Actor.system("t"))
    assert list(tmp_path.iterdir()) == []


def test_the_readers_see_the_snapshot_of_the_walk(ctx):
    _append([{} for _ in range(5)])
    with audit_verify.consistent_read() as raw:
        cursor = raw.cursor()
        cursor.execute("SELECT count(*), max(seq) FROM audit_event")
        before = tuple(cursor.fetchone())
        with audit_verify._snapshot_readers(raw, db.engine.dialect.name, 2) as readers:
            assert len(readers) == 2
            if db.engine.dialect.name == "postgresql":  # a write committed now is not seen by the readers
                _append([{}])
            for reader in readers:
                seen = reader.cursor()
                seen.execute("SELECT count(*), max(seq) FROM audit_event")
                assert tuple(seen.fetchone()) == before
                seen.close()
        cursor.close()


def test_in_wal_mode_sqlite_reads_alone_and_gives_the_same_verdict_and_bytes(ctx, tmp_path, small_chunks):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("WAL is SQLite's")
    _mixed_trail()
    audit_export.export("csv", tmp_path / "shared.csv", audit_query.AuditFilter(), audit.Actor.system("t"))
    shared = audit_verify.verify_trail(checks=())
    db.session.remove()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    db.engine.dispose()
    with audit_verify.consistent_read() as raw:
        raw.execute("SELECT 1 FROM audit_head").fetchall()
        with audit_verify._snapshot_readers(raw, "sqlite", 2) as readers:
            assert readers == []  # each WAL connection would have its own snapshot
    alone = audit_verify.verify_trail(checks=())
    assert alone.ok and alone.problems == shared.problems and alone.chain == shared.chain
    audit_export.export("csv", tmp_path / "alone.csv", audit_query.AuditFilter(), audit.Actor.system("t"))
    assert (tmp_path / "alone.csv").read_bytes().startswith((tmp_path / "shared.csv").read_bytes())
