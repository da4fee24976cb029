"""The audit trail's hash chain: canonical form, event hashes and verification.

Why this exists: a losing bidder can challenge an award in the High Court, and
the council must then show who did what, when and why, and that the record has
not been edited since. Every audit event therefore carries the SHA-256 hash of
its own content *and* of the previous event's hash, so altering, deleting or
reordering any event breaks the chain from that point on.

The canonical form below is a public contract (see ``docs/audit-trail.md``):
an expert instructed by the other side must be able to recompute every hash
with ``jq -cS`` and ``sha256sum`` or a five-line Python script, without our
code. Changing anything here changes every hash ever recorded, so the form is
versioned (:data:`CANONICAL_FORM_VERSION`) and must never change in place.

Pure module: no Flask, no SQLAlchemy, no I/O. Storage code feeds it mappings.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tender.domain.audit_columns import HASH, PREV_HASH, column_names, unhashed_names

#: Name of the canonical form, recorded in every export manifest so that a
#: reader years from now knows which rules produced the hashes.
CANONICAL_FORM_VERSION = "tender-audit-canonical-v1"

#: ``prev_hash`` of event 1: there is no previous event, and 64 zeros is
#: obviously "nothing" to a human reader while keeping every hash the same shape.
GENESIS_HASH = "0" * 64

#: Every event has exactly these fields, always present (absent values are
#: ``null``, never a missing key, because a missing key and a null hash
#: differently). This is also the fixed column order of the CSV export.
#: Declared once, with each field's type, in :mod:`tender.domain.audit_columns`.
EVENT_FIELDS: tuple[str, ...] = column_names()

#: Fields left out of the canonical form: just ``hash``, the digest of the rest.
_UNHASHED = unhashed_names()

#: Integers must survive a round trip through tools that hold numbers as IEEE
#: doubles (jq 1.6 does): beyond 2**53 - 1 they would be rounded or printed as
#: ``1e+17``, and the recomputed hash would differ.
MAX_SAFE_INTEGER = 2**53 - 1

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


def format_timestamp(moment: _dt.datetime) -> str:
    """The one textual form of ``occurred_at``: UTC, microseconds, ``Z``.

    e.g. ``2024-05-14T09:32:05.123456Z``. A fixed width and a fixed zone make
    the text (and so the hash) independent of the server's time zone and of
    whether the database returned microseconds. Naive datetimes are refused:
    guessing their zone is exactly the ambiguity a court would seize on.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("audit timestamps must be timezone-aware (UTC); got a naive datetime")
    utc = moment.astimezone(_dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def json_value(value: Any, where: str) -> Any:
    """Reduce ``value`` to the JSON subset the canonical form allows.

    Why so strict: every value must print identically in Python and in jq.
    Floats do not (``0.1``, ``1e-7``, ``-0.0``), so money and scores must be
    strings; Decimal is turned into its exact string for the same reason.
    """
    kind = type(value)
    if kind is str:  # by far the commonest case, checked first for speed
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"{where}: text is not valid Unicode (lone surrogate)") from exc
        return value
    if value is None or kind is bool:
        return value
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value if kind is int else int(value)  # IntEnum etc. become plain ints
        raise ValueError(f"{where}: integer {value} is too large to be checked reliably; store it as a string")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{where}: text is not valid Unicode (lone surrogate)") from exc
        return value
    if isinstance(value, float):
        raise ValueError(f"{where}: decimal numbers must be stored as strings, not floats ({value!r})")
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError(f"{where}: {value} is not a finite number")
        return str(value)
    if isinstance(value, _dt.datetime):
        return format_timestamp(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: object keys must be text, got {key!r}")
            # the path is only spelled out on error: building it for every
            # value would slow large exports for nothing
            try:
                out[json_value(key, where)] = json_value(item, where)
            except ValueError as exc:
                raise ValueError(str(exc).replace(where, f"{where}.{key}", 1)) from None
        return out
    if isinstance(value, (list, tuple)):
        return [json_value(item, where) for item in value]
    raise ValueError(f"{where}: {type(value).__name__} values cannot be stored in the audit trail")


def to_json_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as plain JSON values (all fields, ``hash`` included).

    Exporters use this so that what they write is exactly what was hashed,
    e.g. a ``datetime`` from the database becomes the canonical timestamp.
    """
    return {key: json_value(value, key) for key, value in event.items()}


# Built once: json.dumps with options constructs a new encoder on every call,
# which dominates the cost of exporting hundreds of thousands of events.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def compact_json(obj: Any) -> str:
    """Sorted-key, whitespace-free JSON text of an already-normalised value.

    Shared by the canonical form and by the exporters (e.g. CSV ``before``
    cells), so every place that shows JSON shows it the same way.
    """
    # jq escapes DEL (U+007F) as \u007f; Python's json leaves it raw. A raw
    # DEL can only occur inside a JSON string, so replacing it is safe and
    # makes the two tools agree byte for byte.
    text = _ENCODER.encode(obj)
    return text.replace("\x7f", "\\u007f")


def canonical_json(event: Mapping[str, Any]) -> bytes:
    """The exact bytes that are hashed: every field except ``hash``.

    UTF-8 JSON, keys sorted by Unicode code point at every level, no
    whitespace between tokens, non-ASCII characters written as themselves
    (not ``\\u`` escapes), control characters and DEL as lowercase ``\\u00XX``
    (``\\n``, ``\\t`` etc. in short form), integers only. This is byte for byte
    what ``jq -cSj 'del(.hash)'`` prints, which is the point.
    """
    body = {key: value for key, value in to_json_event(event).items() if key not in _UNHASHED}
    return compact_json(body).encode("utf-8")


def canonical_line(event: Mapping[str, Any]) -> str:
    """The event *with* its hash in the same canonical form (one JSONL line).

    Used by the JSONL export, so ``jq -cS 'del(.hash)'`` on a line gives the
    hashed bytes directly and the file itself is in a stable form.
    """
    return compact_json(to_json_event(event))


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 of :func:`canonical_json`, as 64 lowercase hex digits.

    ``prev_hash`` is part of the content, which is what links the chain:
    altering an earlier event changes what every later event should contain.
    """
    return hashlib.sha256(canonical_json(event)).hexdigest()


def seal(event: Mapping[str, Any], prev_hash: str) -> dict[str, Any]:
    """Return a copy of ``event`` with ``prev_hash`` and ``hash`` filled in.

    The one way new events should be chained, so that storage code cannot
    forget a step (e.g. hash before setting ``prev_hash``).
    """
    sealed = {key: value for key, value in event.items() if key != HASH}
    sealed[PREV_HASH] = prev_hash
    sealed[HASH] = event_hash(sealed)
    return sealed


def _events_phrase(first: int, last: int) -> tuple[str, str]:
    """("Event 17", "is") or ("Events 17 to 19", "are") - plain English."""
    if first == last:
        return f"Event {first}", "is"
    return f"Events {first} to {last}", "are"


@dataclass(frozen=True)
class ChainVerification:
    """The outcome of checking a run of audit events, in plain English.

    ``ok`` is the headline. ``count`` is every event seen (checking stops at
    the first problem but counting does not, so a report can still say how
    many events it contains). ``head_hash`` is the stored hash of the last
    event seen (:data:`GENESIS_HASH` when there were none): publishing it
    fixes the whole trail up to that point. ``first_broken_seq`` is the first
    sequence number from which the trail can no longer be trusted, and
    ``problem`` says why in words a lawyer can quote. ``partial`` records
    that the events were an extract (one procurement or a period), where
    gaps in the sequence are expected and only adjacent events can be linked.

    When the whole trail is checked against the chain's recorded head, rows
    that Tender did not write (``intruders``, by sequence number) are not
    counted as events; each is a problem of its own (``intruder_problems``)
    and does not stop the rest of the chain being checked. ``last_row_seq``
    is the highest number of any row seen, intruders included.
    """

    ok: bool
    count: int
    head_hash: str
    first_broken_seq: int | None = None
    problem: str | None = None
    first_seq: int | None = None
    last_seq: int | None = None
    partial: bool = False
    intruders: tuple[int, ...] = ()
    intruder_count: int = 0
    intruder_problems: tuple[str, ...] = ()
    last_row_seq: int | None = None
    head_checked: bool = False

    @property
    def problems(self) -> list[tuple[int | None, str]]:
        """Every problem found, as (sequence number, plain-English text), chain break first."""
        found = [(self.first_broken_seq, self.problem)] if self.first_broken_seq is not None else []
        found += list(zip(self.intruders, self.intruder_problems))
        if self.intruder_count > len(self.intruders):
            found.append((None, f"{self.intruder_count - len(self.intruders):,} more rows were not written by Tender."))
        return found

    def summary(self) -> str:
        """One sentence for cover pages and manifests."""
        if not self.ok:
            first = self.problems[0][1] if self.problems else self.problem
            more = len(self.problems) - 1
            return f"FAILED: {first}" + (f" ({more:,} more problem{'s' if more > 1 else ''} found.)" if more else "")
        if self.count == 0:
            return "No events to check."
        span = f"(numbers {self.first_seq:,} to {self.last_seq:,})"
        if self.partial:
            return (
                f"Passed: each of the {self.count:,} events {span} matches its hash, and every pair "
                "of consecutive events is correctly linked. This is an extract, so gaps in the "
                "numbering are events outside its scope."
            )
        end = " or the end (the recorded head)" if self.head_checked else ""
        return (
            f"Passed: all {self.count:,} events {span} match their hashes, are correctly linked, "
            f"and none is missing from the start of the trail{end}."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``manifest.json``."""
        return {
            "ok": self.ok,
            "scope": "extract" if self.partial else "whole trail",
            "count": self.count,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "head_hash": self.head_hash,
            "first_broken_seq": self.first_broken_seq,
            "problem": self.problem,
            "intruders": list(self.intruders),
            "intruder_count": self.intruder_count,
            "summary": self.summary(),
        }


class ChainVerifier:
    """Incremental verifier: feed events one by one, ask for the result.

    Exists so that exporters can check the very events they write as they
    stream past (see :meth:`watch`), without a second pass or keeping them.
    Memory use is constant: only the previous event's number and hash are
    remembered.
    """

    #: At most this many intruder rows are listed one by one (memory stays flat).
    MAX_LISTED_INTRUDERS = 100

    def __init__(self, *, partial: bool = False, skipped: Iterable[int] = (),
                 head: tuple[int, str] | None = None) -> None:
        """``skipped``: numbers Tender found taken and skipped (its own notes say so).
        ``head``: the chain's recorded (last sequence number, hash); when given,
        the trail must end exactly there and rows beyond it are intruders.
        """
        self.partial = partial
        self._skipped = frozenset(skipped) if not partial else frozenset()
        self._head = None if partial else head
        self._intruders: list[tuple[int, str]] = []
        self.intruder_count = 0
        self.last_row_seq: int | None = None
        self.count = 0
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self.head_hash = GENESIS_HASH
        self._prev_seq: int | None = None
        self._prev_hash: str | None = None
        self._broken_seq: int | None = None
        self._problem: str | None = None
        # A jump in numbering is first reported as "missing"; if the missing
        # event turns up next, the honest description is "out of order".
        self._gap: tuple[int, int] | None = None
        self._gap_checked = False

    def _fail(self, seq: int, problem: str) -> None:
        self._broken_seq = seq
        self._problem = problem

    def _next_after(self, seq: int) -> int:
        """The number the next event written by Tender should have after ``seq``."""
        seq += 1
        while seq in self._skipped:
            seq += 1
        return seq

    def is_known_intruder(self, seq: int) -> bool:
        """True if ``seq`` would be reported as an intruder (records nothing)."""
        return seq in self._skipped or (self._head is not None and seq > self._head[0])

    def is_intruder(self, seq: Any) -> bool:
        """Record and return True if the row numbered ``seq`` was not written by Tender.

        Tender notes every number it found taken and skipped; a row beyond the
        recorded head was written after Tender's last event. Either way the
        row is reported and the chain is checked as if it were not there.
        """
        if type(seq) is not int:
            return False
        if self.last_row_seq is None or seq > self.last_row_seq:
            self.last_row_seq = seq
        if seq in self._skipped:
            why = "Tender found its number already taken when it next wrote, and skipped it"
        elif self._head is not None and seq > self._head[0]:
            why = f"it comes after event {self._head[0]}, the chain's recorded head"
        else:
            return False
        self.intruder_count += 1
        if len(self._intruders) < self.MAX_LISTED_INTRUDERS:
            self._intruders.append((seq, f"Event {seq} was not written by Tender: it was inserted behind "
                                         f"the application's back ({why})."))
        return True

    def feed(self, event: Mapping[str, Any]) -> None:
        """Check one event against the one before it."""
        seq = event.get("seq") if isinstance(event, Mapping) else None
        if self.is_intruder(seq):
            return
        stored = event.get("hash") if isinstance(event, Mapping) else None
        link = event.get("prev_hash") if isinstance(event, Mapping) else None
        missing = [name for name in EVENT_FIELDS if name not in event] if isinstance(event, Mapping) else []
        self.feed_checked(seq, stored, link, lambda: event_hash(event), missing)

    def feed_checked(self, seq: Any, stored: Any, link: Any, compute: Callable[[], str],
                     missing: Sequence[str] = ()) -> None:
        """Check one event given its number, stored hash, link and a way to compute its hash.

        The shared core of :meth:`feed` (mappings) and the stored-row fast path
        (``tender.domain.audit_rows``); ``compute`` is only called when the
        event's place in the chain is right, and may raise ``ValueError``.
        """
        self.count += 1
        seq_ok = isinstance(seq, int) and not isinstance(seq, bool) and seq >= 1
        if seq_ok:
            if self.first_seq is None:
                self.first_seq = seq
            self.last_seq = seq
        self.head_hash = stored if isinstance(stored, str) else self.head_hash

        if self._problem is not None:
            self._refine_gap(seq if seq_ok else None)
            self._advance(seq if seq_ok else None, stored)
            return

        expected = self._next_after(0 if self._prev_seq is None else self._prev_seq)
        if not seq_ok:
            after = f"after event {self._prev_seq}" if self._prev_seq else "at the start of the trail"
            self._fail(expected, f"The event {after} has no valid sequence number ({seq!r}).")
        elif not self._check_order(seq, expected):
            pass
        elif not isinstance(stored, str) or not _HEX64.match(stored):
            self._fail(seq, f"Event {seq} has no valid stored hash (64 lowercase hex digits expected).")
        elif missing:
            self._fail(seq, f"Event {seq} is incomplete: it lacks the field(s) {', '.join(missing)}.")
        else:
            self._check_hashes(seq, stored, link, compute)
        self._advance(seq if seq_ok else None, stored)

    def _check_order(self, seq: int, expected: int) -> bool:
        prev = self._prev_seq
        if prev is None:
            if seq != expected and not self.partial:
                label, verb = _events_phrase(expected, seq - 1)
                self._fail(expected, f"{label} {verb} missing: the trail starts at event {seq}.")
                self._gap = (expected, seq - 1)
                return False
            return True
        if seq == prev:
            self._fail(expected, f"Event {seq} appears twice in a row.")
            return False
        if seq < prev:
            self._fail(expected, f"Event {seq} is out of order: it appears after event {prev}.")
            return False
        if seq > expected and not self.partial:
            label, verb = _events_phrase(expected, seq - 1)
            self._fail(expected, f"{label} {verb} missing: the sequence jumps from {prev} to {seq}.")
            self._gap = (expected, seq - 1)
            return False
        return True

    def _check_hashes(self, seq: int, stored: str, link: Any, compute: Callable[[], str]) -> None:
        try:
            computed = compute()
        except ValueError as exc:
            self._fail(seq, f"Event {seq} cannot be checked: {exc}.")
            return
        if computed != stored:
            self._fail(seq, f"Event {seq} has been altered: its stored hash does not match its content.")
            return
        if seq == 1 or (self._prev_seq is None and not self.partial):
            # Tender's first event links to 64 zeros, even when rows it did not write took the first numbers.
            if link != GENESIS_HASH:
                self._fail(seq, f"Event {seq} does not start the chain: its previous-hash should be 64 zeros.")
        elif (self._prev_seq is not None and self._next_after(self._prev_seq) == seq
              and self._prev_hash is not None and link != self._prev_hash):
            self._fail(seq, f"Event {seq} does not follow event {self._prev_seq}: its previous-hash link is broken.")

    def _refine_gap(self, seq: int | None) -> None:
        """Turn "event 3 is missing" into "out of order" if 3 arrives next."""
        if self._gap is None or self._gap_checked:
            return
        self._gap_checked = True
        low, high = self._gap
        if seq is not None and low <= seq <= high:
            self._problem = (
                f"Event {seq} is out of order: it appears after event {self._prev_seq} "
                "instead of before it."
            )
            self._broken_seq = low

    def _advance(self, seq: int | None, stored: Any) -> None:
        self._prev_seq = seq if seq is not None else self._prev_seq
        self._prev_hash = stored if isinstance(stored, str) else None

    def watch(self, events: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        """Yield ``events`` unchanged while verifying them on the way past."""
        for event in events:
            self.feed(event)
            yield event

    def _check_head(self) -> None:
        """The trail must end at the recorded head: the newest events cannot vanish unnoticed."""
        if self._head is None or self._problem is not None:
            return
        head_seq, head_hash = self._head
        last = self.last_seq or 0
        if last < head_seq:
            first_missing = self._next_after(last)
            label, verb = _events_phrase(first_missing, head_seq)
            where = f"it ends at event {last}" if last else "it is empty"
            self._fail(first_missing, f"{label} {verb} missing from the end of the trail: {where}, "
                                      f"but the chain's recorded head is event {head_seq}.")
            self._gap = (first_missing, head_seq)
        elif self.head_hash != head_hash:
            self._fail(head_seq, f"Event {head_seq} is not the chain's recorded head: its hash differs from the "
                                 "head hash Tender recorded, so the event or the head record was changed.")

    def result(self) -> ChainVerification:
        """The verdict on everything fed so far."""
        self._check_head()
        return ChainVerification(
            ok=self._problem is None and not self.intruder_count,
            count=self.count,
            head_hash=self.head_hash,
            first_broken_seq=self._broken_seq,
            problem=self._problem,
            first_seq=self.first_seq,
            last_seq=self.last_seq,
            partial=self.partial,
            intruders=tuple(seq for seq, _ in self._intruders),
            intruder_count=self.intruder_count,
            intruder_problems=tuple(text for _, text in self._intruders),
            last_row_seq=self.last_row_seq if self.last_row_seq is not None else self.last_seq,
            head_checked=self._head is not None,
        )


def verify_chain(events: Iterable[Mapping[str, Any]], *, partial: bool = False, skipped: Iterable[int] = (),
                 head: tuple[int, str] | None = None) -> ChainVerification:
    """Check a run of events in sequence order, streaming (constant memory).

    With ``partial=False`` (the default) the events must be the whole trail
    from event 1: any gap is a missing event. With ``partial=True`` they are an
    extract (one procurement, or a period): each event must still match its
    own hash, numbers must still increase, and events with consecutive
    numbers must still be linked, but gaps are allowed.
    """
    verifier = ChainVerifier(partial=partial, skipped=skipped, head=head)
    for event in events:
        verifier.feed(event)
    return verifier.result()
