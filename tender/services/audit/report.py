"""What ``tender audit verify`` reports, and the checks other parts of Tender add to it.

A module of its own so that a check (e.g. :mod:`tender.services.audit.sealed_prices`)
can name :class:`Problem` without importing the walk that runs it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tender.domain.audit_chain import ChainVerification


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the trail, in words a lawyer can quote; ``seq`` where it is one event."""

    check: str
    seq: int | None
    text: str


@dataclass
class TrailReport:
    """Everything ``tender audit verify`` found. ``ok`` only if there is no problem at all."""

    chain: ChainVerification
    head_seq: int
    head_hash: str
    problems: list[Problem] = field(default_factory=list)
    against: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


#: Extra checks, by name: ``check(report) -> iterable of Problem``, run after the chain walk.
CHECKS: dict[str, Callable[[TrailReport], Iterable[Problem]]] = {}


def register_check(name: str, check: Callable[[TrailReport], Iterable[Problem]]) -> None:
    """Add a check that ``tender audit verify`` runs after walking the chain (e.g. sealed prices)."""
    CHECKS[name] = check
