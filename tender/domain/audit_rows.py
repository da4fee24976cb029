"""The canonical form straight from stored rows: the fast path of verify and export.

Why this exists: the audit trail is checked in full before every export and by
``tender audit verify``; at a million events, decoding each row's ``before``
and ``after`` JSON, normalising every field and re-encoding it with sorted
keys (:func:`tender.domain.audit_chain.canonical_json`) took most of the time.
Tender stores ``before`` and ``after`` as canonical JSON text already, so the
canonical form of a row can be assembled from the stored text as it is.

The result is byte for byte :func:`~tender.domain.audit_chain.canonical_json`
(the public contract in ``docs/audit-trail.md``) or ``None``: whenever a row
holds anything unusual (a stored value of an unexpected type, JSON text that
is not in canonical form, a float, a very large integer, a DEL character),
the caller falls back to the slow, general path, so the two can never
disagree. Pure module: no Flask, no SQLAlchemy, no I/O.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import Any

from tender.domain.audit_chain import MAX_SAFE_INTEGER, ChainVerifier, compact_json, event_hash

#: The order of a stored row's columns, as the storage layer selects them.
STORED_COLUMNS: tuple[str, ...] = (
    "seq", "occurred_at", "actor", "actor_role", "action", "object_type", "object_id",
    "procurement_ref", "lot", "before", "after", "reason", "ip", "prev_hash", "hash",
)

SEQ, PREV_HASH, HASH = 0, 13, 14


class _NotCanonical(Exception):
    """Raised inside the fast path: use the general one for this row."""


def _refuse(_text: str) -> Any:
    raise _NotCanonical


def _decode(text: str) -> Any:
    # floats, NaN and Infinity are not in the canonical subset: the general
    # path reports them in words, so the fast path only has to notice them
    return json.loads(text, parse_float=_refuse, parse_constant=_refuse)


def _text(value: Any) -> str:
    """A stored text column as a JSON string (or null)."""
    if value is None:
        return "null"
    if type(value) is not str or "\x7f" in value:
        raise _NotCanonical
    return encode_basestring(value)


def _integer(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is not int or not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise _NotCanonical
    return str(value)


#: 16 digits in a row may be an integer beyond 2**53 - 1 (or just a long
#: number inside a string): either way the general path decides.
_LONG_DIGITS = re.compile(r"[0-9]{16}")


def canonical_json_text(text: Any) -> str:
    """``text`` itself if it is stored JSON already in canonical form, else raise.

    Canonical means: decoding and re-encoding it (sorted keys, no whitespace,
    no floats, no DEL, integers within the safe range) gives the same text.
    """
    if text is None:
        return "null"
    if type(text) is not str or "\x7f" in text:
        raise _NotCanonical
    try:
        value = _decode(text)
    except ValueError:
        raise _NotCanonical from None
    if compact_json(value) != text:
        raise _NotCanonical
    if len(text) >= 16 and _LONG_DIGITS.search(text):
        raise _NotCanonical
    return text


def canonical_parts(row: Sequence[Any]) -> tuple[str, str] | None:
    """The canonical form of a stored row, split where ``hash`` belongs; or None.

    ``head + tail`` is the hashed text; ``head + ',"hash":"…"' + tail`` is the
    canonical line with the hash (the JSON Lines export). None means "use the
    general path" (see the module docstring).
    """
    try:
        (seq, occurred_at, actor, actor_role, action, object_type, object_id,
         procurement_ref, lot, before, after, reason, ip, prev_hash, _stored) = row
        head = (f'{{"action":{_text(action)},"actor":{_text(actor)},"actor_role":{_text(actor_role)},'
                f'"after":{canonical_json_text(after)},"before":{canonical_json_text(before)}')
        tail = (f',"ip":{_text(ip)},"lot":{_integer(lot)},"object_id":{_text(object_id)},'
                f'"object_type":{_text(object_type)},"occurred_at":{_text(occurred_at)},'
                f'"prev_hash":{_text(prev_hash)},"procurement_ref":{_text(procurement_ref)},'
                f'"reason":{_text(reason)},"seq":{_integer(seq)}}}')
    except (_NotCanonical, ValueError):
        return None
    return head, tail


def row_hash(parts: tuple[str, str]) -> str:
    """SHA-256 (hex) of the canonical form given by :func:`canonical_parts`.

    Raises ``ValueError`` for text that cannot be encoded (lone surrogates).
    """
    head, tail = parts
    try:
        return hashlib.sha256((head + tail).encode("utf-8")).hexdigest()
    except UnicodeEncodeError as exc:
        raise ValueError("text is not valid Unicode (lone surrogate)") from exc


def record_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """The row as an event mapping for the general path (JSON decoded)."""
    record = dict(zip(STORED_COLUMNS, row))
    for name in ("before", "after"):
        if isinstance(record[name], str):
            try:
                record[name] = json.loads(record[name])
            except ValueError:
                pass  # left as text: the hash will not match, which is the finding
    return record


class RowVerifier(ChainVerifier):
    """A :class:`ChainVerifier` fed stored rows (tuples in :data:`STORED_COLUMNS` order).

    Same verdicts as feeding the decoded events, at a fraction of the cost:
    the canonical form is assembled from the stored text (see
    :func:`canonical_parts`) and only unusual rows take the general path.
    """

    def feed_row(self, row: Sequence[Any]) -> tuple[str, str] | None:
        """Check one stored row; return its canonical parts (None: general path) for writers."""
        seq = row[SEQ]
        if self.is_intruder(seq):
            return None
        parts = canonical_parts(row)
        if parts is not None:
            self.feed_checked(seq, row[HASH], row[PREV_HASH], lambda: row_hash(parts))
        else:
            self.feed_checked(seq, row[HASH], row[PREV_HASH], lambda: event_hash(record_from_row(row)))
        return parts
