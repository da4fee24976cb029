"""The SQL generated from the column specification gives the Python reference's canonical form and CSV lines.

Runs on SQLite and, with ``TENDER_TEST_DATABASE_URL`` set, on PostgreSQL.
The reference is :func:`tender.domain.audit_chain.canonical_json` (and
``csv_jsonl.write_csv``); the database's text is only ever a shortcut, so
each awkward value must either come out byte for byte the same or (DEL,
which ``json_quote`` and ``to_json`` leave raw) differ, sending its row to
the general path.
"""
from __future__ import annotations

import csv
import io

from sqlalchemy import text

from tender.audit_export.csv_jsonl import _cell
from tender.domain.audit_chain import GENESIS_HASH, canonical_json, compact_json, json_value, seal
from tender.domain.audit_columns import AUDIT_COLUMNS, INTEGER, JSON, TEXT, AuditColumn, column_names
from tender.extensions import db
from tender.services.audit import chain_sql, csv_sql
from tender.services.audit import verify as audit_verify

MAX_SAFE = 2**53 - 1
AWKWARD_TEXT = ["siân.jones@kent.gov.uk", "日本語", "😀 astral", 'say "hi"', "back\\slash", '\\"', "a/b </x>",
                "tab\there", "two\nlines", "cr\rhere", "bs\bff\f", "\x01 and \x1f", "\u2028\u2029", "nbsp\u00a0",
                "", "'quoted", "=SUM(A1)", "-5", "a,b", "null", "del \x7f char"]
AWKWARD_JSON = [{"nested": {"z": [1, -2, None, True, False, 'x"y'], "a": {}}, "ü": "ü", "Z": [], "": ""},
                {"big": MAX_SAFE, "small": -MAX_SAFE, "zero": 0, "text": "\\\n\t\u0001/"},
                [], {}, [[[]]], {"keys": {"b": 1, "a": 2, "ä": 3, "B": 4}}, "a JSON string", 7, None,
                {"del": "\x7f"}]


def _events(columns=AUDIT_COLUMNS) -> list[dict]:
    """A chain of awkward events: each text value in several columns, each JSON value, nulls everywhere allowed."""
    payloads = [{}]
    for i, value in enumerate(AWKWARD_TEXT):
        payloads.append({"actor": value, "reason": value, ("object_id", "procurement_ref", "ip", "actor_role",
                                                           "action")[i % 5]: value})
    payloads += [{"after": value, "before": AWKWARD_JSON[-i - 1]} for i, value in enumerate(AWKWARD_JSON)]
    payloads += [{name: None for name in ("actor_role", "object_id", "procurement_ref", "lot", "before", "after",
                                          "reason", "ip")}, {"lot": 2**31 - 1}, {"lot": -2**31}, {"lot": 0}]
    events, prev = [], GENESIS_HASH
    for seq, payload in enumerate(payloads, start=1):
        event = {"seq": seq, "occurred_at": "2024-05-14T09:32:05.123456Z", "actor": "jo@kent.gov.uk",
                 "actor_role": "evaluator", "action": "score.saved", "object_type": "score", "object_id": str(seq),
                 "procurement_ref": "KCC-22/00033", "lot": 1, "before": None, "after": {"score": "3"},
                 "reason": None, "ip": "10.0.0.1", **payload}
        for column in columns[len(AUDIT_COLUMNS):]:  # columns added to the specification
            event[column.name] = _extra_value(column, seq)
        event = seal(event, prev)
        events.append(event)
        prev = event["hash"]
    return events


def _extra_value(column: AuditColumn, seq: int):
    if seq % 3 == 0:
        return None
    return {TEXT: AWKWARD_TEXT[seq % len(AWKWARD_TEXT)], INTEGER: seq * 1000,
            JSON: {"seq": seq, "text": AWKWARD_TEXT[seq % len(AWKWARD_TEXT)]}}[column.kind]


def _store(events: list[dict], columns=AUDIT_COLUMNS, *, head: bool = True) -> None:
    names = column_names(columns)
    rows = [{name: compact_json(event[name]) if kind == JSON and event[name] is not None else event[name]
             for name, kind in ((c.name, c.kind) for c in columns)} for event in events]
    db.session.execute(text(f"INSERT INTO audit_event ({', '.join(names)}) "
                            f"VALUES ({', '.join(':' + name for name in names)})"), rows)
    if head:
        db.session.execute(text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"),
                           {"seq": events[-1]["seq"], "hash": events[-1]["hash"]})


def _driver_rows(sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of ``sql`` run as it is by the driver (the generated statements use the driver's placeholders)."""
    result = db.session.connection().exec_driver_sql(sql, params) if params else \
        db.session.connection().exec_driver_sql(sql)
    return [tuple(row) for row in result.fetchall()]


def _sql_forms(columns=AUDIT_COLUMNS) -> tuple[list[str], list[str]]:
    """Each row's canonical form from the general expressions, and from the chunk statement (one chunk)."""
    dialect = db.engine.dialect.name
    head, tail, _plain = chain_sql.canonical_sql(dialect, columns)
    general = [form for (form,) in _driver_rows(f"SELECT {head} || {tail} FROM audit_event ORDER BY seq")]
    chunk = _driver_rows(chain_sql.chunk_sql(dialect, False, columns=columns), (1, 2**62))[0]
    return general, chunk[3].split("\n")


def _python_csv_line(event: dict, names) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([_cell(json_value(event[name], name)) for name in names])
    return out.getvalue()


def _check_against_the_reference(events: list[dict], columns=AUDIT_COLUMNS) -> None:
    reference = [canonical_json(event).decode("utf-8") for event in events]
    general, chunk = _sql_forms(columns)
    # stored JSON text has DEL escaped already (compact_json); text columns hold it raw
    raw_del = [any(type(value) is str and "\x7f" in value for value in event.values()) for event in events]
    assert any(raw_del)
    for event, expected, by_expression, by_chunk, has_del in zip(events, reference, general, chunk, raw_del):
        if has_del:  # left raw by the database, escaped by the reference: the row takes the general path
            assert by_expression != expected and by_chunk != expected, event["seq"]
        else:
            assert by_expression == expected == by_chunk, event["seq"]
    lines = _driver_rows(f"SELECT {csv_sql.line_sql(db.engine.dialect.name, columns)} FROM audit_event ORDER BY seq")
    for event, (line,) in zip(events, lines):
        objects = all(event[c.name] is None or isinstance(event[c.name], (dict, list)) for c in columns
                      if c.kind == JSON)
        assert line == (_python_csv_line(event, column_names(columns)) if objects else None), event["seq"]


def test_the_databases_canonical_form_and_csv_lines_are_the_python_references_for_awkward_values(ctx):
    events = _events()
    _store(events)
    db.session.commit()
    _check_against_the_reference(events)
    report = audit_verify.verify_trail(checks=())
    assert report.ok, report.problems
    assert report.chain.count == len(events) and report.chain.head_hash == events[-1]["hash"]


def test_the_largest_numbers_reach_the_canonical_form_unchanged(ctx):
    event = seal({"seq": MAX_SAFE, "occurred_at": "2024-05-14T09:32:05.123456Z", "actor": "a", "actor_role": None,
                  "action": "score.saved", "object_type": "score", "object_id": None, "procurement_ref": None,
                  "lot": 2**31 - 1, "before": {"n": -MAX_SAFE}, "after": [MAX_SAFE, {"n": MAX_SAFE}],
                  "reason": None, "ip": None}, GENESIS_HASH)
    _store([event], head=False)
    general, chunk = _sql_forms()
    assert general == chunk == [canonical_json(event).decode("utf-8")]


def test_a_column_added_to_the_specification_is_assembled_by_the_database_as_the_reference_hashes_it(ctx):
    columns = AUDIT_COLUMNS + (AuditColumn("agency", TEXT, nullable=True), AuditColumn("zone", JSON, nullable=True),
                               AuditColumn("weight", INTEGER, nullable=True))
    events = _events(columns)
    types = {TEXT: "TEXT", JSON: "TEXT", INTEGER: "BIGINT"}
    definitions = ", ".join(f"{c.name} {types[c.kind]}{'' if c.nullable else ' NOT NULL'}" for c in columns)
    db.session.execute(text(f"CREATE TEMPORARY TABLE audit_event ({definitions})"))  # hides the real one
    _store(events, columns, head=False)
    assert "agency" in canonical_json(events[1]).decode("utf-8")
    _check_against_the_reference(events, columns)
