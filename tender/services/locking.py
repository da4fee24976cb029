"""Optimistic locking for use cases: the version a person saw must still be the current one.

Procurements, milestones and SQ responses carry a ``version`` that SQLAlchemy
checks on every UPDATE. A use case wrapped in ``guarded`` turns a lost race
(StaleDataError) into a plain ConcurrentChange and rolls back whole; one that
is given the version the person's page showed refuses at once if it moved.
"""
from __future__ import annotations

import functools

from sqlalchemy.orm.exc import StaleDataError

from tender.extensions import db
from tender.services.errors import ConcurrentChange


def guarded(message: str):
    """Decorate a use case: any failure rolls back; a lost race becomes ConcurrentChange(message)."""
    def wrap(service):
        @functools.wraps(service)
        def run(*args, **kwargs):
            try:
                return service(*args, **kwargs)
            except StaleDataError:
                db.session.rollback()
                raise ConcurrentChange(message) from None
            except Exception:
                db.session.rollback()
                raise
        return run
    return wrap


def check_version(row, expected: int | None, message: str) -> None:
    """Refuse if the row moved on since the person loaded the page (``expected`` None: no page involved)."""
    if expected is not None and row.version != expected:
        raise ConcurrentChange(message)
