"""Shared by the reminder tests: a real SMTP server (aiosmtpd) on loopback, and demo data.

Not a fixture module, so that the reminder tests do not need to touch
``tests/conftest.py``: each test module wraps these in its own fixtures.
"""
from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.helpers import TEST_CONFIG

REFUSED = "refused@kent.example"
SENDER = "Tender <tender@kent.example>"
BASE_URL = "https://tender.kent.example"
KEYS_HEADER = "X-Tender-Reminder-Keys"


def free_port() -> int:
    """A loopback port nothing listens on (aiosmtpd's Controller cannot use port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """Accepts mail for everyone except REFUSED and keeps what arrived (thread-safe)."""

    def __init__(self) -> None:
        self.delay = 0.0  # seconds to take over each message (to kill a sender mid-batch)
        self.lock = threading.Lock()
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == REFUSED:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for _, m in self.received]

    def keys(self) -> list[str]:
        """Every reminder key that arrived, once per arrival (duplicates kept)."""
        return [key for m in self.messages() for key in str(m[KEYS_HEADER] or "").split()]

    def by_recipient(self) -> dict[str, email.message.EmailMessage]:
        return {rcpt: m for rcpts, m in self.received for rcpt in rcpts}


class SMTPServer:
    """A loopback SMTP server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def env(self) -> dict[str, str]:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.port), "MAIL_DEFAULT_SENDER": SENDER,
                "MAIL_TIMEOUT": "5"}

    def settings(self):
        from tender.mail import MailSettings

        return MailSettings.from_env(self.env())


def cli_env(database_url: str, smtp: SMTPServer | None, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a ``tender`` subprocess on the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "TENDER_", "DATABASE_URL"))}
    env.update({
        "DATABASE_URL": database_url,
        "TENDER_ENV": "testing",
        "TENDER_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        "TENDER_INSTANCE_PATH": str(tmp_path / "instance"),
        "TENDER_BASE_URL": BASE_URL,
        "PYTHONWARNINGS": "ignore",
    })
    if smtp is not None:
        env.update(smtp.env())
    env.update(extra)
    return env


def tender_command(*args: str) -> list[str]:
    """``tender ARGS`` run by this interpreter (no reliance on PATH)."""
    return [sys.executable, "-c", "from tender.entry import main; main()", *args]


def run_tender(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(tender_command(*args), env=env, capture_output=True, text=True, timeout=timeout)
