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

from tender.domain.audit_chain import GENESIS_HASH, MAX_SAFE_INTEGER, ChainVerifier, compact_json, event_hash

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
    A row may carry, after the stored columns, its canonical halves already
    assembled by the database (``PARTS_HEAD``, ``PARTS_TAIL``): they are used
    when they hash to the stored hash, and ignored otherwise.
    """

    def feed_row(self, row: Sequence[Any]) -> tuple[str, str] | None:
        """Check one stored row; return its canonical parts (None: general path) for writers."""
        seq = row[SEQ]
        if self.is_intruder(seq):
            return None
        parts = _prebuilt(row)
        if parts is not None:
            self.feed_checked(seq, row[HASH], row[PREV_HASH], lambda: row[HASH])
            return parts
        parts = canonical_parts(row[:HASH + 1])
        if parts is not None:
            self.feed_checked(seq, row[HASH], row[PREV_HASH], lambda: row_hash(parts))
        else:
            self.feed_checked(seq, row[HASH], row[PREV_HASH], lambda: event_hash(record_from_row(row[:HASH + 1])))
        return parts

    def feed_rows(self, rows: Sequence[Sequence[Any]], sink: Any = None, refetch: Any = None) -> None:
        """Check a batch of rows; ``sink(row, parts)`` sees each one after it is checked.

        ``refetch(seq)``: when given, rows were read thin (only seq, prev_hash,
        hash and the prebuilt halves) and this reads one in full for the
        general path.

        The common case (the next number, linked, its prebuilt halves hashing
        to its stored hash, nothing wrong so far) is handled inline; anything
        else goes through :meth:`feed_row` and so gets the same verdict.
        """
        sha256 = hashlib.sha256
        skipped, head_seq = self._skipped, self._head[0] if self._head is not None else None
        for row in rows:
            seq, link, stored = row[SEQ], row[PREV_HASH], row[HASH]
            prev_seq = self._prev_seq or 0
            if (self._problem is None and seq == prev_seq + 1 and seq not in skipped
                    and (head_seq is None or seq <= head_seq) and len(row) > PARTS_TAIL
                    and link == (self._prev_hash if prev_seq else GENESIS_HASH)
                    and row[PARTS_HEAD] is not None and row[PARTS_TAIL] is not None):
                parts = (row[PARTS_HEAD], row[PARTS_TAIL])
                try:
                    matches = sha256((parts[0] + parts[1]).encode("utf-8")).hexdigest() == stored
                except UnicodeEncodeError:
                    matches = False
                if matches:
                    self.count += 1
                    if self.first_seq is None:
                        self.first_seq = seq
                    self.last_seq = seq
                    if self.last_row_seq is None or seq > self.last_row_seq:
                        self.last_row_seq = seq
                    self.head_hash = self._prev_hash = stored
                    self._prev_seq = seq
                    if sink is not None:
                        sink(row, parts)
                    continue
            if (refetch is not None and self._problem is None and type(seq) is int
                    and not self.is_known_intruder(seq) and _prebuilt(row) is None):
                row = tuple(refetch(seq)) + tuple(row[HASH + 1:])
            parts = self.feed_row(row)
            if sink is not None:
                sink(row, parts)


#: Where a row read for checking carries the database-built canonical halves.
PARTS_HEAD, PARTS_TAIL, PLAIN_CSV = 15, 16, 17


def _prebuilt(row: Sequence[Any]) -> tuple[str, str] | None:
    """The database-built canonical halves, if present and they hash to the stored hash."""
    if len(row) <= PARTS_TAIL or type(row[PARTS_HEAD]) is not str or type(row[PARTS_TAIL]) is not str:
        return None
    parts = (row[PARTS_HEAD], row[PARTS_TAIL])
    try:
        return parts if row_hash(parts) == row[HASH] else None
    except ValueError:
        return None


def feed_chunk(verifier: RowVerifier, count: int, first: Any, last: Any, canonical: Any, hashes: Any,
               links: Any) -> list[str] | None:
    """Check a run of consecutive rows at once; return their stored hashes, or None to check them row by row.

    The database hands over, for the rows numbered ``first`` to ``last``
    (``count`` rows), their canonical forms joined by newlines (a canonical
    form cannot hold a raw newline: JSON escapes it), and their stored hashes
    and previous-hash links, each joined by newlines, in sequence order. The
    run is accepted only in the common case, where feeding the rows one by one
    would find nothing: nothing wrong so far, the numbers follow on from the
    last event with no gap, none excused as skipped or beyond the recorded
    head, every canonical form hashes to its stored hash, and every link is
    the hash before it. Anything else (a NULL, an extra newline, a tampered
    row) returns None and changes nothing, so the caller feeds the same rows
    through :meth:`RowVerifier.feed_rows` and the verdict is the general one.
    """
    if (verifier._problem is not None or type(first) is not int or type(last) is not int
            or type(canonical) is not str or type(hashes) is not str or type(links) is not str
            or count != last - first + 1 or count < 1):
        return None
    prev_seq = verifier._prev_seq
    if prev_seq is None:
        if first != 1:
            return None
        expected_link = GENESIS_HASH
    else:
        expected_link = verifier._prev_hash
        if first != prev_seq + 1 or expected_link is None:
            return None
    head = verifier._head
    if (head is not None and last > head[0]) or any(first <= seq <= last for seq in verifier._skipped):
        return None
    stored = hashes.split("\n")
    try:
        forms = canonical.encode("utf-8").split(b"\n")
    except UnicodeEncodeError:
        return None
    if len(stored) != count or len(forms) != count:
        return None
    sha256 = hashlib.sha256
    if [sha256(form).hexdigest() for form in forms] != stored:
        return None
    if links.split("\n") != [expected_link, *stored[:-1]]:
        return None
    verifier.count += count
    if verifier.first_seq is None:
        verifier.first_seq = first
    verifier.last_seq = last
    if verifier.last_row_seq is None or last > verifier.last_row_seq:
        verifier.last_row_seq = last
    verifier.head_hash = verifier._prev_hash = stored[-1]
    verifier._prev_seq = last
    return stored
