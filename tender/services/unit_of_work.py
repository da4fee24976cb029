"""Commit a use case, or fold several into one transaction.

Each service commits its own use case. A bigger job made of many use cases
(loading the demo, an import) runs them inside ``one_transaction()``: their
commits become flushes, and the job commits once at the end or rolls back
whole if any step fails.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager

from tender.extensions import db

_deferred = contextvars.ContextVar("tender_deferred_commit", default=False)


def commit() -> None:
    """End the current use case: commit it, or flush it when inside ``one_transaction``."""
    if _deferred.get():
        db.session.flush()
    else:
        db.session.commit()


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
