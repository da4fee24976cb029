"""Does today's trail extend the trail as it was exported earlier? A consistency check.

In the spirit of RFC 6962's consistency proofs: an evidence bundle fixes the
chain's head (last sequence number and hash) at export time, and lists the
exported events with their hashes. Today's trail is consistent with it when
every exported event is still there with the same hash and today's chain
passes through the old head. Because each hash covers the previous one,
today's event at the old head's number having the old head's hash proves
(given SHA-256) that nothing up to that point was changed, even by someone who
rewrote the whole chain and the head record consistently: exactly the change
that checking the database on its own cannot see.

Pure module: the caller reads the bundle and the database and feeds both in
sequence order; memory stays flat.
"""
from __future__ import annotations

from collections.abc import Iterator


class BundleConsistency:
    """Compare today's rows (fed in sequence order) with a bundle's (seq, hash) pairs."""

    def __init__(self, bundle_events: Iterator[tuple[int, str]], bundle_head: tuple[int, str] | None) -> None:
        self._events = bundle_events
        self._next = next(self._events, None)
        self._head = bundle_head
        self._head_seen = False
        self.compared = 0
        self._first_changed: int | None = None
        self._changed = 0
        self._first_missing: int | None = None
        self._missing = 0
        self._head_problem: str | None = None

    def feed(self, seq: int, stored_hash: str) -> None:
        """One row of today's table (intruders included: the bundle may hold them too)."""
        while self._next is not None and self._next[0] < seq:
            self._lost(self._next[0])
            self._next = next(self._events, None)
        if self._next is not None and self._next[0] == seq:
            self.compared += 1
            if stored_hash != self._next[1]:
                self._changed += 1
                if self._first_changed is None:
                    self._first_changed = seq
            self._next = next(self._events, None)
        if self._head is not None and seq == self._head[0]:
            self._head_seen = True
            if stored_hash != self._head[1]:
                self._head_problem = (
                    f"Event {seq} no longer has the hash it had as the head of the chain when the bundle "
                    "was exported, so the trail up to it was rewritten after that export."
                )

    def _lost(self, seq: int) -> None:
        self._missing += 1
        if self._first_missing is None:
            self._first_missing = seq

    def result(self) -> list[tuple[int | None, str]]:
        """The problems found, as (sequence number, text); empty if today's trail extends the bundle's."""
        while self._next is not None:
            self._lost(self._next[0])
            self._next = next(self._events, None)
        problems: list[tuple[int | None, str]] = []
        if self._first_changed is not None:
            others = f" ({self._changed:,} of the bundle's events differ)" if self._changed > 1 else ""
            problems.append((self._first_changed, (
                f"Event {self._first_changed} is not the event exported in the bundle: its hash has changed, "
                f"so the trail was rewritten from event {self._first_changed} after the export{others}.")))
        if self._first_missing is not None:
            others = f" ({self._missing:,} of the bundle's events are missing)" if self._missing > 1 else ""
            problems.append((self._first_missing, (
                f"Event {self._first_missing} was exported in the bundle but is no longer in the trail{others}.")))
        if self._head is not None and self._head[0] > 0:
            if self._head_problem is not None:
                problems.append((self._head[0], self._head_problem))
            elif not self._head_seen:
                problems.append((self._head[0], (
                    f"Event {self._head[0]}, the head of the chain when the bundle was exported, "
                    "is no longer in the trail.")))
        return problems
