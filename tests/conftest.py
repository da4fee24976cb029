"""Shared fixtures: an app on a fresh, migrated database per test.

SQLite by default. With ``TENDER_TEST_DATABASE_URL`` set to a PostgreSQL URL
(``.ci/run`` sets it), the same tests run against PostgreSQL: a template
database is migrated once per session and each test gets a copy of it.
Tests marked ``postgres`` run only then.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tender.domain import audit_actions
from tests.helpers import TEST_CONFIG, TestDatabases

# The audit-trail tests write filler events of their own kind; every other action must be declared in the product.
audit_actions.ACTIONS.setdefault("test.event", "An event written by a test")

# Properties, not speed: a loaded CI machine must not fail a property test for being slow to run.
settings.register_profile("tender", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("tender")


def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL-only tests when no PostgreSQL URL is given."""
    if os.environ.get("TENDER_TEST_DATABASE_URL", "").startswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs TENDER_TEST_DATABASE_URL=postgresql+psycopg://... (see .ci/run)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """Creates per-test databases from a migrated template (SQLite file or PostgreSQL TEMPLATE)."""
    dbs = TestDatabases(os.environ.get("TENDER_TEST_DATABASE_URL"), tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


@pytest.fixture
def database_url(databases):
    """A fresh migrated database for one test."""
    url = databases.create()
    yield url
    databases.drop(url)


@pytest.fixture
def app(database_url, tmp_path):
    """The Flask app on the test's own database."""
    from tender import create_app

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    yield app
    with app.app_context():
        from tender.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client (CSRF on, as in production: use ``tests.helpers.csrf_post``)."""
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An application context for service-level tests."""
    with app.app_context():
        yield app


@pytest.fixture
def smtp():
    """A real SMTP server on loopback (aiosmtpd) that records what arrives."""
    from tests.reminders_support import SMTPServer

    server = SMTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
