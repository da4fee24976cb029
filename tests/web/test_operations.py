"""Running Tender: request logs a collector can parse, a readiness check, settings from an env file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tender.config import build_config
from tender.extensions import db
from tests.helpers import TEST_CONFIG, login, make_user

ROOT = Path(__file__).resolve().parents[2]
TENDER = str(Path(sys.executable).parent / "tender")


def _app(database_url, **config):
    from tender import create_app

    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})


def _close(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_each_request_is_one_json_line_with_its_id_user_and_duration(database_url, capsys):
    app = _app(database_url, LOG_FORMAT="json")
    try:
        with app.app_context():
            user = make_user("procurement_officer")
            email, user_id = user.email, user.id
        client = app.test_client()
        login(client, email)
        capsys.readouterr()
        response = client.get("/", headers={"X-Request-ID": "lb-1234"})
        lines = _json_lines(capsys.readouterr().err)
    finally:
        _close(app)
    assert response.headers["X-Request-ID"] == "lb-1234"
    requests = [entry for entry in lines if entry["logger"] == "tender.request"]
    assert len(requests) == 1
    entry = requests[0]
    assert entry["request_id"] == "lb-1234" and entry["user_id"] == user_id
    assert entry["method"] == "GET" and entry["path"] == "/" and entry["status"] == 200
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["level"] == "INFO" and entry["time"].endswith("+00:00")


def test_a_request_id_that_is_not_sane_is_replaced(database_url, capsys):
    app = _app(database_url, LOG_FORMAT="json")
    try:
        response = app.test_client().get("/login", headers={"X-Request-ID": "x" * 500})
    finally:
        _close(app)
    assert len(response.headers["X-Request-ID"]) == 32
    assert _json_lines(capsys.readouterr().err)[-1]["request_id"] == response.headers["X-Request-ID"]


def test_an_error_is_logged_with_its_traceback_and_request_id(database_url, capsys):
    app = _app(database_url, LOG_FORMAT="json", PROPAGATE_EXCEPTIONS=False)

    @app.route("/explode")
    def explode():
        raise RuntimeError("the flux capacitor is empty")

    try:
        response = app.test_client().get("/explode")
    finally:
        _close(app)
    assert response.status_code == 500
    lines = _json_lines(capsys.readouterr().err)
    error = next(entry for entry in lines if entry["level"] == "ERROR")
    assert "RuntimeError: the flux capacitor is empty" in error["traceback"]
    assert 'in explode' in error["traceback"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert any(entry.get("status") == 500 for entry in lines)


def test_text_logs_are_key_value_lines(database_url, capsys):
    app = _app(database_url)
    try:
        app.test_client().get("/login")
    finally:
        _close(app)
    line = [entry for entry in capsys.readouterr().err.splitlines() if "tender.request" in entry][-1]
    assert ' method="GET" path="/login" status=200 duration_ms=' in line
    assert 'request_id="' in line


def test_healthz_is_ready_when_the_database_answers(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path, capsys):
    app = _app(f"sqlite:///{tmp_path}/no-such-directory/tender.db")
    try:
        response = app.test_client().get("/healthz")
    finally:
        _close(app)
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert "health check: the database is unreachable" in capsys.readouterr().err


def test_mail_settings_come_from_the_app_configuration(tmp_path):
    from tender.mail import MailSettings

    config = build_config(str(tmp_path), {"TENDER_SECRET_KEY": "k", "MAIL_SERVER": "smtp.kent.example",
                                          "MAIL_PORT": "587", "MAIL_USE_TLS": "yes",
                                          "MAIL_DEFAULT_SENDER": "Tender <tender@kent.example>"})
    settings = MailSettings.from_config(config)
    assert (settings.server, settings.port, settings.use_tls) == ("smtp.kent.example", 587, True)
    assert settings.default_sender == "Tender <tender@kent.example>"
    assert MailSettings.from_config({**config, "MAIL_PORT": 2525, "MAIL_USE_TLS": False}).port == 2525


def test_the_config_module_names_only_modules_that_exist():
    import re

    text = (ROOT / "tender" / "config.py").read_text()
    references = set(re.findall(r"\((tender(?:\.\w+)+)\)", text))
    assert references, "config.py should say where each group of settings is used"
    for reference in references:
        assert _resolves(reference), f"config.py refers to {reference}, which does not exist"


def _resolves(dotted: str) -> bool:
    """True if ``dotted`` is a module, or a module followed by attributes that exist."""
    import importlib

    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:n]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[n:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return n > 1 or len(parts) == 1
    return False


@pytest.mark.slow
def test_tender_reads_settings_from_an_env_file(tmp_path):
    database = tmp_path / "from-env-file.db"
    env_file = tmp_path / "production.env"
    env_file.write_text(f"DATABASE_URL=sqlite:///{database}\nTENDER_INSTANCE_PATH={tmp_path}\n"
                        "TENDER_SECRET_KEY=from-the-env-file\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENDER_", "FLASK_", "DATABASE_URL"))}
    result = subprocess.run([TENDER, "--env-file", str(env_file), "db", "upgrade"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert database.exists() and database.stat().st_size > 0


def test_the_package_uses_the_spdx_licence_form():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    for name in project["project"]["license-files"]:
        assert (ROOT / name).is_file()
    assert "setuptools>=77" in project["build-system"]["requires"]
    assert any(dep.startswith("python-dotenv") for dep in project["project"]["dependencies"])
