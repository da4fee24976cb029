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
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from tender.domain.audit_chain import EVENT_FIELDS, canonical_line, compact_json, json_value

#: Column order of ``audit.csv``: the event fields in their documented order.
CSV_COLUMNS: tuple[str, ...] = EVENT_FIELDS

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
        writer.writerow([_cell(json_value(event.get(name), name)) for name in CSV_COLUMNS])
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
