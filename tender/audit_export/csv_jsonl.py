"""Streaming CSV and JSON Lines writers for audit events.

Why streaming: a challenged procurement can have hundreds of thousands of
events, and exports run inside the web process. Each writer consumes an
iterable one event at a time and never builds a list, so memory stays flat
whatever the size of the trail.

JSON Lines is the authoritative, re-checkable copy (each line is the event in
canonical form, hash included). CSV is for people with spreadsheets; it keeps
every field but cannot distinguish ``null`` from an empty string.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any, TextIO

from tender.domain.audit_chain import EVENT_FIELDS, canonical_line, compact_json, json_value
from tender.domain.audit_columns import AUDIT_COLUMNS, INTEGER, JSON, TEXT
from tender.domain.audit_rows import PLAIN_CSV, record_from_row

#: Header row of ``audit.csv``: the event fields in their documented order
#: (``tender.domain.audit_columns``, which the database's CSV lines are generated from too).
CSV_COLUMNS: tuple[str, ...] = tuple(column.csv_header for column in AUDIT_COLUMNS)

#: A cell starting with one of these is treated as a formula by Excel,
#: LibreOffice and Google Sheets (CSV injection); such cells get a leading
#: single quote so they are shown as text instead of being evaluated.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_CHARS = frozenset(FORMULA_TRIGGERS)


def protect_cell(text: str) -> str:
    """Neutralise spreadsheet formulas: ``=1+1`` becomes ``'=1+1``.

    Actor names, reasons and object ids are typed by users (or by bidders,
    via portal submissions), so a malicious ``=HYPERLINK(...)`` must not run
    on a solicitor's laptop. The quote is visible in the raw file; that is
    the documented price of safety.
    """
    return "'" + text if text and text[0] in _TRIGGER_CHARS else text


def _cell(value: Any) -> str:
    if type(value) is str:
        text = value
    elif value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list)):
        text = compact_json(value)
    else:
        text = str(value)
    return protect_cell(text)


def write_csv(events: Iterable[Mapping[str, Any]], out: TextIO, *, excel_bom: bool = False) -> int:
    """Write a header row and one row per event; return the number of events.

    ``before`` and ``after`` are compact JSON (sorted keys). ``out`` should be
    opened with ``newline=""`` as the csv module requires. ``excel_bom``
    writes a UTF-8 byte-order mark first so Excel shows non-ASCII names
    correctly; the bundle uses it, plain downloads need not.
    """
    if excel_bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events:
        writer.writerow([_cell(json_value(event.get(name), name)) for name in EVENT_FIELDS])
        count += 1
    return count


def write_jsonl(events: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """Write each event as one canonical JSON line; return the number written.

    The line is the canonical form *including* ``hash``, so removing the hash
    (``jq -cSj 'del(.hash)'``) yields exactly the bytes that were hashed.
    ``out`` must encode UTF-8.
    """
    count = 0
    for event in events:
        out.write(canonical_line(event))
        out.write("\n")
        count += 1
    return count


class StoredRowWriter:
    """Write stored rows (``tender.domain.audit_rows`` order) as they stream past a verifier.

    Used by the one-pass export: the verifier hands over each row with its
    canonical parts (or None when it took the general path) and this writes
    exactly what :func:`write_csv` / :func:`write_jsonl` would have written for
    the decoded event, without decoding it again. ``count`` is rows written.
    """

    #: Rows buffered before one ``writerows`` call.
    BUFFER = 5000

    def __init__(self, out: TextIO, fmt: str, *, excel_bom: bool = False) -> None:
        self.out = out
        self.fmt = fmt
        self.count = 0
        self._pending: list[Any] = []
        if fmt == "csv":
            if excel_bom:
                out.write("\ufeff")
            self._csv = csv.writer(out, lineterminator="\r\n")
            self._csv.writerow(CSV_COLUMNS)

    def __call__(self, row: Sequence[Any], parts: tuple[str, str] | None) -> None:
        self.count += 1
        if self.fmt == "csv":
            self._pending.append(self._csv_cells(row, parts))
            if len(self._pending) >= self.BUFFER:
                self._csv.writerows(self._pending)
                self._pending.clear()
        else:
            if parts is None or type(row[14]) is not str:
                line = canonical_line(record_from_row(row))
            else:
                line = f'{parts[0]},"hash":{encode_basestring(row[14])}{parts[1]}'
            self._pending.append(line)
            if len(self._pending) >= self.BUFFER:
                self.flush()

    def _csv_cells(self, row: Sequence[Any], parts: tuple[str, str] | None) -> list[Any]:
        if len(row) > PLAIN_CSV:  # read with the database's verdict on the cells
            if parts is not None and row[PLAIN_CSV] == 1:
                return row[:PLAIN_CSV - 2]  # nothing to protect or decode
            parts = None
        if parts is None or any(row[index] is not None and row[index][:1] not in ("{", "[") for index in _JSON_CELLS):
            record = record_from_row(row)
            return [_cell(json_value(record.get(name), name)) for name in EVENT_FIELDS]
        cells = list(row[:PLAIN_CSV - 2])
        for index in _TEXT_CELLS:
            value = cells[index]
            if value and value[0] in _TRIGGER_CHARS:
                cells[index] = "'" + value
        for index in _INTEGER_CELLS:  # a negative number starts with "-"
            if cells[index] is not None and cells[index] < 0:
                cells[index] = "'" + str(cells[index])
        return cells

    @property
    def accepts_csv_text(self) -> bool:
        """True for CSV: the verifier may hand over whole runs of lines built by the database."""
        return self.fmt == "csv"

    def write_csv_text(self, text: str, count: int) -> None:
        """Write ``count`` rows' CSV lines built by the database (the verifier's chunk path), in order."""
        self.flush()
        self.out.write(text)
        self.count += count

    def flush(self) -> None:
        """Write what is buffered (call once at the end)."""
        if self.fmt == "csv":
            self._csv.writerows(self._pending)
        else:
            self.out.write("\n".join(self._pending))
            if self._pending:
                self.out.write("\n")
        self._pending.clear()


#: Indexes of the stored row's text, integer and JSON cells (seq, lot; before, after; the rest are text).
_TEXT_CELLS, _INTEGER_CELLS, _JSON_CELLS = (
    tuple(index for index, column in enumerate(AUDIT_COLUMNS) if column.kind == kind) for kind in (TEXT, INTEGER, JSON))
