"""Failures are pages, not tracebacks: a 500 with the request's reference, a 503 while the database is away.

The 500 comes from a route that raises, added to a real app for the test. The
503 comes from a real outage: on SQLite the database file is moved away (a
directory left in its place, so it cannot be reopened) and the app's pool
drops its connections, as after a restart; on PostgreSQL the database stops
accepting connections and the app's connections are terminated with
``pg_terminate_backend``. Then the database comes back and the same client
carries on, still logged in.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tender.extensions import db
from tender.models import Procurement
from tests.helpers import TEST_CONFIG, csrf_token, login, make_user

UNAVAILABLE = "Tender cannot reach its database just now, try again in a minute."


def _app(database_url, **config):
    from tender import create_app

    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "PROPAGATE_EXCEPTIONS": False,
                       "LOG_FORMAT": "json", **config})


@pytest.fixture
def failing_app(database_url):
    """The app as in production (exceptions become pages), with a route that fails."""
    app = _app(database_url)

    @app.route("/test-only/explode")
    def explode():
        raise RuntimeError("the flux capacitor is empty")

    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _officer_client(app):
    with app.app_context():
        email = make_user("procurement_officer").email
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _json_lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def _reference_on(page: str) -> str:
    marker = 'id="request-id">'
    assert marker in page, page
    return page.split(marker, 1)[1].split("<", 1)[0]


# --------------------------------------------------------------------------- 500


@pytest.mark.parametrize("logged_in", [False, True])
def test_an_unexpected_error_is_a_styled_500_page_with_the_request_s_reference(failing_app, capsys, logged_in):
    client = _officer_client(failing_app) if logged_in else failing_app.test_client()
    capsys.readouterr()

    response = client.get("/test-only/explode")

    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "Sorry, there is a problem with the service" in page and 'class="govuk-header"' in page
    assert "Traceback" not in page and "flux capacitor" not in page
    reference = _reference_on(page)
    assert len(reference) == 32 and reference == response.headers["X-Request-Id"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    lines = _json_lines(capsys.readouterr().err)
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["request_id"] == reference
    assert "RuntimeError: the flux capacitor is empty" in error["traceback"]
    assert any(line.get("status") == 500 and line["request_id"] == reference for line in lines)


def test_each_request_gets_its_own_reference(failing_app):
    client = failing_app.test_client()
    first, second = client.get("/test-only/explode"), client.get("/test-only/explode")
    assert _reference_on(first.get_data(as_text=True)) != _reference_on(second.get_data(as_text=True))


def test_a_500_leaves_the_app_working_for_the_next_request(failing_app):
    client = _officer_client(failing_app)
    assert client.get("/test-only/explode").status_code == 500
    assert client.get("/").status_code == 200


# --------------------------------------------------------------------------- 503


@contextmanager
def database_away(app, database_url: str):
    """Take the app's database away for real, then bring it back."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        admin = create_engine(os.environ["TENDER_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
        name = url.database

        def run(sql: str) -> None:
            with admin.connect() as conn:
                conn.execute(text(sql))

        try:
            run(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            run(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                "AND pid <> pg_backend_pid()")
            yield
        finally:
            run(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            admin.dispose()
        return
    path = Path(url.database)
    away = path.with_name(path.name + ".away")
    os.replace(path, away)
    path.mkdir()  # SQLite would quietly create an empty database file; a directory cannot be opened
    with app.app_context():
        db.engine.dispose()  # an open SQLite connection keeps the moved file: drop them, as a restart would
    try:
        yield
    finally:
        path.rmdir()
        os.replace(away, path)


def _procurements(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Procurement))


def test_while_the_database_is_away_every_page_is_a_503_saying_so_and_then_tender_recovers(
        failing_app, database_url, capsys):
    app = failing_app
    client = _officer_client(app)
    token = csrf_token(client, "/")
    assert client.get("/").status_code == 200
    capsys.readouterr()

    with database_away(app, database_url):
        page = client.get("/")
        posted = client.post("/procurements/new", data={"csrf_token": token, "reference": "OUTAGE-1",
                                                        "title": "Sent while the database was away"})
        health = client.get("/healthz")
        err = capsys.readouterr().err

    for response in (page, posted):
        body = response.get_data(as_text=True)
        assert response.status_code == 503
        assert UNAVAILABLE in body and "Sorry, the service is unavailable" in body
        assert "Traceback" not in body and "OperationalError" not in body
        assert response.headers["Retry-After"] == "60"
        assert _reference_on(body) == response.headers["X-Request-Id"]
    assert health.status_code == 503
    logged = [line for line in _json_lines(err) if line["message"] == "the database could not be reached"]
    assert [line["request_id"] for line in logged][:2] == [page.headers["X-Request-Id"],
                                                           posted.headers["X-Request-Id"]]
    assert all("OperationalError" in line["traceback"] for line in logged)

    back = client.get("/")
    assert back.status_code == 200 and "Log out" in back.get_data(as_text=True)  # the session survived
    assert _procurements(app) == 0  # nothing sent during the outage was saved


@pytest.mark.postgres
def test_a_connection_cut_in_the_middle_of_a_request_is_a_503_and_the_next_request_reconnects(database_url, capsys):
    app = _app(database_url)
    admin = create_engine(os.environ["TENDER_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")

    @app.route("/test-only/cut")
    def cut():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        db.session.scalar(text("SELECT 1"))  # the server has closed this connection
        return "not reached"

    try:
        client = _officer_client(app)
        capsys.readouterr()
        response = client.get("/test-only/cut")
        after = client.get("/")
    finally:
        admin.dispose()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert response.status_code == 503 and UNAVAILABLE in response.get_data(as_text=True)
    assert "not reached" not in response.get_data(as_text=True)
    logged = [line for line in _json_lines(capsys.readouterr().err)
              if line["message"] == "the database could not be reached"]
    assert [line["request_id"] for line in logged] == [response.headers["X-Request-Id"]]
    assert after.status_code == 200
