"""Bad input never breaks Tender: out-of-range ids, control characters and values past the bounds.

- Ids in paths: the ``int`` converter only matches ids a database INTEGER can
  hold (``bounds.MAX_ID``), so ``/procurements/100000000000000000000`` is a
  404 like any other missing page, not a database overflow.
- Control characters (a NUL byte above all: PostgreSQL cannot store one) in
  the path, the query string or a form are refused with a 400 naming the
  problem, before any view runs, so nothing is changed.
- A last line of defence: if a value still gets past the forms and services
  (which check ``tender.domain.bounds`` first, with better messages) and the
  database refuses it (a CHECK constraint, a numeric overflow), the
  transaction is rolled back and the person gets a 400 telling them what to
  do; the traceback goes to the log so it can be fixed.
"""
from __future__ import annotations

import logging
import re
from decimal import InvalidOperation

from flask import Flask, render_template, request
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.routing import IntegerConverter

from tender.domain import bounds

log = logging.getLogger("tender.web")
_DIGITS = re.compile(r"[0-9]+")

REFUSED_TITLE = "That could not be done"
OUT_OF_RANGE = ("One of the values you entered is outside what Tender can accept "
                "(dates from 1 January 1990 to 31 December 2100, amounts up to £10,000,000,000). "
                "Go back, check the values and try again. Nothing was changed.")


class IdConverter(IntegerConverter):
    """``<int:...>`` for ids: 1 to 10 digits and no more than the database's INTEGER maximum."""

    regex = r"\d{1,10}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,  # noqa: A002
                 signed: bool = False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bounds.MAX_ID if max is None else max,
                         signed=signed)


def query_int(name: str, default: int, low: int = 1, high: int = bounds.MAX_ID) -> int:
    """A whole number from the query string, clamped to ``low..high``; ``default`` if absent or not a number."""
    raw = request.args.get(name, "").strip()
    if not _DIGITS.fullmatch(raw):
        return default
    if len(raw) > 12:  # far past any bound; int() of thousands of digits is slow or refused
        return high
    return min(max(int(raw), low), high)


def _has_control_characters() -> bool:
    if bounds.CONTROL_CHARACTERS.search(request.path):
        return True
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if bounds.CONTROL_CHARACTERS.search(key) or bounds.CONTROL_CHARACTERS.search(value):
                return True
    return False


def register(app: Flask) -> None:
    """Install the id converter, the control-character check and the last-line error handlers."""
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def refuse_control_characters():
        if _has_control_characters():
            return render_template("errors/error.html", title="What you sent could not be read",
                                   message=f"{bounds.CONTROL_MESSAGE}. Nothing was changed."), 400
        return None

    def refused(error: Exception):
        from tender.extensions import db

        db.session.rollback()
        log.warning("refused a value the database could not store", exc_info=error)
        return render_template("errors/error.html", title=REFUSED_TITLE, message=OUT_OF_RANGE), 400

    app.register_error_handler(DataError, refused)
    app.register_error_handler(OverflowError, refused)
    app.register_error_handler(InvalidOperation, refused)

    @app.errorhandler(IntegrityError)
    def integrity(error: IntegrityError):
        if "check" not in str(error.orig).lower():
            raise error
        return refused(error)
