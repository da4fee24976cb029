"""Configuration from the environment, with safe defaults for a laptop.

Production sets ``TENDER_SECRET_KEY`` and ``DATABASE_URL``; nothing else is
required, and production refuses to start without the key (every host and
worker must sign sessions with the same one). Elsewhere (development,
testing, a demo) a secret key is generated once and kept in the instance
folder so that restarting the server does not log everybody out.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


MAIL_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "MAIL_PASSWORD",
                 "MAIL_DEFAULT_SENDER", "MAIL_TIMEOUT")


def normalise_database_url(url: str) -> str:
    """Let people paste the usual ``postgresql://`` URL; Tender talks psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class MissingSecretKey(RuntimeError):
    """Production was started without ``TENDER_SECRET_KEY``."""


SECRET_KEY_HELP = (
    "TENDER_SECRET_KEY is not set. In production every web server and worker must share one secret key, so "
    "Tender will not make one up. Make one with\n\n"
    "    python -c \"import secrets; print(secrets.token_hex(32))\"\n\n"
    "and set it as TENDER_SECRET_KEY in the environment of every host (for example in /etc/tender/production.env). "
    "For a trial on your own computer set TENDER_ENV=development instead.")


def require_secret_key(config) -> None:
    """Refuse to start production without a secret key, saying how to make one."""
    if config.get("TENDER_ENV") == "production" and not config.get("SECRET_KEY"):
        raise MissingSecretKey(SECRET_KEY_HELP)


def _instance_secret(instance_path: str) -> str:
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def build_config(instance_path: str, environ=os.environ) -> dict:
    """The configuration dictionary for ``app.config.update``."""
    env = environ.get("TENDER_ENV", "production")
    development = env in ("development", "testing")
    default_db = "sqlite:///" + str(Path(instance_path) / "tender.db")
    return {
        "TENDER_ENV": env,
        # Production: only from the environment (require_secret_key stops start-up without it); elsewhere one is
        # generated once in the instance folder.
        "SECRET_KEY": environ.get("TENDER_SECRET_KEY") or (None if env == "production"
                                                             else _instance_secret(instance_path)),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(environ.get("DATABASE_URL", default_db)),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": environ.get("TENDER_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Sessions: 30 minutes idle, 12 hours at most, enforced on the server
        # (tender.services.accounts); the cookie lifetime is only a backstop.
        "SESSION_IDLE_MINUTES": int(environ.get("TENDER_SESSION_IDLE_MINUTES", "30")),
        "SESSION_ABSOLUTE_HOURS": int(environ.get("TENDER_SESSION_ABSOLUTE_HOURS", "12")),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not development,
        "SESSION_COOKIE_NAME": "tender_session",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Failed logins (tender.domain.login_throttle): this many by one account and address, or from this many
        # addresses at one account, or this many from one address at any accounts, are checked at once; then each
        # further check waits longer (LOGIN_DELAY_SECONDS, doubling, at most LOGIN_MAX_DELAY_MINUTES). Attempts
        # older than the window are forgotten; a login forgives its address's earlier slips. Nothing locks outright.
        "LOGIN_MAX_FAILURES": int(environ.get("TENDER_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": int(environ.get("TENDER_LOGIN_MAX_FAILURES_PER_ADDRESS", "20")),
        "LOGIN_DELAY_SECONDS": int(environ.get("TENDER_LOGIN_DELAY_SECONDS", "30")),
        "LOGIN_MAX_DELAY_MINUTES": int(environ.get("TENDER_LOGIN_MAX_DELAY_MINUTES", "15")),
        "LOGIN_WINDOW_MINUTES": int(environ.get("TENDER_LOGIN_WINDOW_MINUTES", "1440")),
        "TENDER_TODAY": environ.get("TENDER_TODAY") or None,
        # Where procedure files are read from (default: the shipped workflows/); running procurements keep theirs.
        "TENDER_WORKFLOWS_DIR": environ.get("TENDER_WORKFLOWS_DIR") or None,
        # OCDS: the prefix registered with the Open Contracting Partnership, for the ocid of each procurement.
        "OCID_PREFIX": environ.get("TENDER_OCID_PREFIX", "ocds-tender").strip() or "ocds-tender",
        # Reminders: how many working days overdue before the lead officer is told.
        "ESCALATE_AFTER_WORKING_DAYS": int(environ.get("TENDER_ESCALATE_AFTER_WORKING_DAYS", "3")),
        # Logs: "json" for a log collector, anything else for key=value text (tender.logs).
        "LOG_FORMAT": environ.get("TENDER_LOG_FORMAT", "text").strip().lower(),
        "LOG_LEVEL": environ.get("TENDER_LOG_LEVEL", "INFO").strip().upper(),
        # Mail: Flask-Mail's names, read here like every other setting (tender.mail.MailSettings.from_config).
        **{name: environ[name] for name in MAIL_SETTINGS if name in environ},
        # Single sign-on (OpenID Connect, e.g. Microsoft Entra ID): on when all three are set (tender.services.sso).
        "OIDC_ISSUER": environ.get("TENDER_OIDC_ISSUER", "").strip(),
        "OIDC_CLIENT_ID": environ.get("TENDER_OIDC_CLIENT_ID", "").strip(),
        "OIDC_CLIENT_SECRET": environ.get("TENDER_OIDC_CLIENT_SECRET", "").strip(),
        "OIDC_LABEL": environ.get("TENDER_OIDC_LABEL", "").strip(),  # the login page's button
        # argon2id parameters; the defaults exceed OWASP ASVS 5.0 (m=19 MiB, t=2, p=1).
        "ARGON2_MEMORY_KIB": int(environ.get("TENDER_ARGON2_MEMORY_KIB", "65536")),
        "ARGON2_TIME_COST": int(environ.get("TENDER_ARGON2_TIME_COST", "3")),
        "ARGON2_PARALLELISM": int(environ.get("TENDER_ARGON2_PARALLELISM", "4")),
        # Documents (tender.services.storage): the largest file, and the most one submission's files may add up to,
        # in bytes; where the bytes are kept ("database": chunks in the database every host shares).
        "TENDER_MAX_FILE_BYTES": int(environ.get("TENDER_MAX_FILE_BYTES", str(100 * 1024 * 1024))),
        "TENDER_MAX_SUBMISSION_BYTES": int(environ.get("TENDER_MAX_SUBMISSION_BYTES", str(500 * 1024 * 1024))),
        "TENDER_FILE_STORAGE": environ.get("TENDER_FILE_STORAGE", "database").strip() or "database",
    }
