"""The one place a use case's transaction lives, and the loaders every use case shares.

Every service entry point runs inside :func:`use_case` (a decorator) or
:func:`transaction` (a ``with`` block): all its writes and its audit events
commit together, or none do. A lost optimistic-locking race
(``StaleDataError``) or a unique-key race (``IntegrityError``) becomes a
plain :class:`ConcurrentChange` the person can act on; anything else rolls
back and propagates. Inside :func:`one_transaction` (the demo loader, an
import) the commit becomes a flush and the outer block commits once.

Jobs that must not hold one transaction across slow work (rendering, SMTP)
use :func:`step`: each claim, and each send's record, is its own short
transaction, so a crash loses at most the step in flight.

It also holds the loaders that keep ids inside their procurement
(:func:`get_procurement`, :func:`get_owned`) and the version check.
"""
from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tender.domain.bounds import MAX_ID
from tender.extensions import db
from tender.services.errors import ConcurrentChange, NotFound

CONCURRENT = "Someone else changed this at the same time. Reload the page to see their change, then try again."

_deferred = contextvars.ContextVar("tender_deferred_commit", default=False)
_depth = contextvars.ContextVar("tender_use_case_depth", default=0)


def commit() -> None:
    """End the current unit of work: commit it, or flush it inside ``one_transaction``/a nested use case."""
    if _deferred.get() or _depth.get() > 1:
        db.session.flush()
    else:
        db.session.commit()


@contextmanager
def transaction(concurrent_message: str = CONCURRENT):
    """One use case: commit on success; roll back whole on any failure (a race becomes ConcurrentChange).

    Nested use cases join the outermost one.
    """
    token = _depth.set(_depth.get() + 1)
    outermost = _depth.get() == 1 and not _deferred.get()
    try:
        yield
        if outermost:
            db.session.commit()
        else:
            db.session.flush()
    except (StaleDataError, IntegrityError):
        if outermost:
            db.session.rollback()
        raise ConcurrentChange(concurrent_message) from None
    except BaseException:
        if outermost:
            db.session.rollback()
        raise
    finally:
        _depth.reset(token)


def use_case(concurrent_message: str | None = None):
    """Decorate a service entry point so it runs as one transaction (see :func:`transaction`).

    Usable bare (``@use_case``) or with the message a lost race shows
    (``@use_case("Someone else recorded …")``).
    """
    def wrap(service, message: str = CONCURRENT):
        @functools.wraps(service)
        def run(*args, **kwargs):
            with transaction(message):
                return service(*args, **kwargs)
        return run

    if callable(concurrent_message):
        return wrap(concurrent_message)
    return lambda service: wrap(service, concurrent_message or CONCURRENT)


@contextmanager
def step():
    """A short transaction of its own inside a long job (claim one item; record one send).

    Refuses to run inside another transaction: the point is that it commits
    on its own, so a crash later loses nothing this step recorded.
    """
    if _depth.get() or _deferred.get():
        raise RuntimeError("use_case.step() commits on its own and cannot run inside another use case")
    with transaction():
        yield


@contextmanager
def one_transaction():
    """Run several use cases as one transaction: all of them land, or none."""
    if _deferred.get():  # already inside one: the outer block commits
        yield
        return
    token = _deferred.set(True)
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _deferred.reset(token)


def get_procurement(procurement_id: int):
    """Load a procurement or raise NotFound."""
    from tender.models import Procurement

    in_range = isinstance(procurement_id, int) and 0 < procurement_id <= MAX_ID
    procurement = db.session.get(Procurement, procurement_id) if in_range else None
    if procurement is None:
        raise NotFound("There is no procurement with that number.")
    return procurement


def get_owned(model, object_id: int, procurement_id: int, what: str = "thing"):
    """A row of ``model`` that belongs to this procurement (its ``procurement_id``), or NotFound.

    The one check that keeps an id from another procurement out of this one's URL.
    """
    in_range = isinstance(object_id, int) and 0 < object_id <= MAX_ID
    row = db.session.get(model, object_id) if in_range else None
    if row is None or getattr(row, "procurement_id", None) != procurement_id:
        raise NotFound(f"There is no such {what} in this procurement.")
    return row


def check_version(row, expected: int | None, message: str = CONCURRENT) -> None:
    """Refuse if the row moved on since the person loaded the page (``expected`` None: no page involved)."""
    if expected is not None and row.version != expected:
        raise ConcurrentChange(message)
