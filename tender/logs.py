"""Logging for people who run Tender: one line per request, every error with its traceback.

``TENDER_LOG_FORMAT=json`` writes one JSON object per line (for a log
collector such as Fluent Bit, Vector or CloudWatch); anything else writes
``key=value`` text for a terminal. Each request gets an id (the caller's
``X-Request-ID`` if it sends a sane one, else a new one), returned in the
response's ``X-Request-ID`` header and written on every line logged while
the request runs, so an error report can be matched to its request.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from tender.services import clock
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

LOGGER_NAME = "tender"
REQUEST_LOGGER = "tender.request"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (gunicorn and pytest both swap it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def _context() -> dict:
    if not has_request_context():
        return {}
    fields = {"request_id": getattr(g, "request_id", None)}
    user = getattr(g, "_login_user", None)  # Flask-Login's cache: no database work while logging
    if user is not None and getattr(user, "is_authenticated", False):
        fields["user_id"] = getattr(user, "id", None)
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request fields, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_context(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["error"] = repr(record.exc_info[1])
            entry["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...`` and the traceback below, for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {**_context(), **getattr(record, "fields", {})}
        moment = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        line = f"{moment} {record.levelname} {record.name} {record.getMessage()}"
        if fields:
            line += " " + " ".join(f"{key}={json.dumps(value, default=str)}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return line


def configure(app: Flask) -> None:
    """Send the ``tender`` loggers to stderr in the configured format and log every request."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = next((h for h in logger.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        logger.addHandler(handler)
    handler.setFormatter(JsonFormatter() if app.config.get("LOG_FORMAT") == "json" else TextFormatter())
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logger.disabled = False  # alembic's fileConfig may have switched it off in this process
    logger.propagate = True
    request_log = logging.getLogger(REQUEST_LOGGER)

    @app.before_request
    def start_request_log():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = clock.monotonic()

    @app.after_request
    def finish_request_log(response):
        started = getattr(g, "request_started", None)
        duration_ms = round((clock.monotonic() - started) * 1000, 1) if started is not None else None
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        _load_user()
        request_log.info("%s %s %s", request.method, request.path, response.status_code, extra={"fields": {
            "method": request.method, "path": request.path, "status": response.status_code,
            "duration_ms": duration_ms, "ip": request.remote_addr}})
        return response



def _load_user() -> None:
    """Make sure Flask-Login has loaded the user of a logged-in session, so the line names them."""
    from flask import session
    from flask_login import current_user

    if "_user_id" in session and getattr(g, "_login_user", None) is None:
        try:
            current_user._get_current_object()
        except Exception:  # noqa: BLE001 - after a database error the session may be unreadable
            logging.getLogger(LOGGER_NAME).debug("could not load the user for the request log", exc_info=True)
