"""Send digests to a real SMTP server (aiosmtpd) on loopback and read them back.

A fake SMTP object would not catch what matters here: that the message is a
well-formed multipart/alternative on the wire, that one refused recipient
does not lose the others on the same connection, and that an unreachable
server gives a readable error.
"""
from __future__ import annotations

import email
import email.policy
from datetime import date

import pytest
from aiosmtpd.controller import Controller

from tender.domain.reminders import MilestoneDue, plan_reminders
from tender.mail import (
    MailDeliveryError,
    MailSettings,
    build_digest_message,
    send_message,
    send_messages,
)
from tests.reminders_support import free_port

BASE = "https://tender.kent.gov.uk"
REFUSED = "nobody@kent.gov.uk"


class RecordingHandler:
    """Accepts mail for everyone except REFUSED, and keeps what arrived."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == REFUSED:
            return "550 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def settings_for(port: int) -> MailSettings:
    return MailSettings.from_env(
        {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(port),
            "MAIL_DEFAULT_SENDER": "Tender <tender@kent.gov.uk>",
            "MAIL_TIMEOUT": "5",
        }
    )


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


def milestone(milestone_id: int, owner: str, name: str, procurement_id: int = 33) -> MilestoneDue:
    return MilestoneDue(
        milestone_id=milestone_id,
        procurement_id=procurement_id,
        procurement_ref=f"KCC-22/{procurement_id:05d}",
        procurement_title="Highways maintenance",
        milestone_title=f"Milestone {milestone_id}",
        planned_date=date(2022, 4, 4),
        owner_email=owner,
        owner_name=name,
        lead_officer_email=None,
        lead_officer_name=None,
        status="scheduled",
    )


def digest_messages(settings: MailSettings, *owners: tuple[str, str]):
    ms = [milestone(i, email_, name, procurement_id=30 + i) for i, (email_, name) in enumerate(owners, 1)]
    digests = plan_reminders(ms, date(2022, 3, 29), weekdays_only)
    return [build_digest_message(d, settings, BASE) for d in digests]


def test_two_digests_arrive_as_multipart_alternative(smtp_server):
    controller, handler = smtp_server
    settings = settings_for(controller.port)
    messages = digest_messages(settings, ("alice@kent.gov.uk", "Alice Smith"), ("bob@kent.gov.uk", "Bob Brown"))

    report = send_messages(messages, settings)

    assert report.all_sent, [str(r.error) for r in report.failed]
    assert [r.recipient for r in report.sent] == ["alice@kent.gov.uk", "bob@kent.gov.uk"]
    assert len(handler.received) == 2
    by_rcpt = {tuple(rcpts): (mail_from, msg) for mail_from, rcpts, msg in handler.received}
    mail_from, alice = by_rcpt[("alice@kent.gov.uk",)]
    assert mail_from == "tender@kent.gov.uk"
    assert alice["To"] == "Alice Smith <alice@kent.gov.uk>"
    assert alice["Subject"] == "Procurement milestone: 1 due soon"
    assert alice.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alice.iter_parts()] == ["text/plain", "text/html"]
    text = alice.get_body(("plain",)).get_content()
    html = alice.get_body(("html",)).get_content()
    assert f"{BASE}/procurements/31" in text
    assert f'href="{BASE}/procurements/31"' in html
    assert "Due in 4 working days" in text and "4 April 2022" in html
    _, bob = by_rcpt[("bob@kent.gov.uk",)]
    assert f"{BASE}/procurements/32" in bob.get_body(("plain",)).get_content()


def test_refused_recipient_fails_alone(smtp_server):
    controller, handler = smtp_server
    settings = settings_for(controller.port)
    messages = digest_messages(
        settings,
        ("alice@kent.gov.uk", "Alice Smith"),
        (REFUSED, "No Body"),
        ("zoe@kent.gov.uk", "Zoe Zed"),
    )

    report = send_messages(messages, settings)

    assert [r.recipient for r in report.sent] == ["alice@kent.gov.uk", "zoe@kent.gov.uk"]
    [failed] = report.failed
    assert failed.recipient == REFUSED
    assert isinstance(failed.error, MailDeliveryError)
    assert failed.error.recipient == REFUSED
    assert failed.error.smtp_code == 550
    assert REFUSED in str(failed.error)
    assert "550 No such user" in str(failed.error)
    assert sorted(r[1][0] for r in handler.received) == ["alice@kent.gov.uk", "zoe@kent.gov.uk"]
    with pytest.raises(MailDeliveryError, match="No such user"):
        report.raise_for_failures()


def test_send_message_raises_for_a_refused_recipient(smtp_server):
    controller, _ = smtp_server
    settings = settings_for(controller.port)
    [message] = digest_messages(settings, (REFUSED, "No Body"))
    with pytest.raises(MailDeliveryError) as excinfo:
        send_message(message, settings)
    assert excinfo.value.recipient == REFUSED


def test_server_down_fails_every_message_with_the_cause():
    settings = settings_for(free_port())  # nothing listens there
    messages = digest_messages(settings, ("alice@kent.gov.uk", "Alice Smith"), ("bob@kent.gov.uk", "Bob Brown"))

    report = send_messages(messages, settings)

    assert report.sent == ()
    assert [r.recipient for r in report.failed] == ["alice@kent.gov.uk", "bob@kent.gov.uk"]
    for result in report.failed:
        message = str(result.error)
        assert message.startswith(f"Could not send e-mail to {result.recipient}: ")
        assert f"could not connect to the mail server 127.0.0.1:{settings.port}" in message
        assert "refused" in message.lower()


def test_nothing_to_send_makes_no_connection():
    report = send_messages([], settings_for(free_port()))
    assert report.results == () and report.all_sent


class ClosingHandler(RecordingHandler):
    """Answers DATA for busy@ with 421 (service closing), as an overloaded relay does."""

    async def handle_DATA(self, server, session, envelope):
        if envelope.rcpt_tos[0].startswith("busy@"):
            return "421 Too busy, closing"
        return await super().handle_DATA(server, session, envelope)


def test_connection_closed_mid_batch_fails_the_rest_clearly():
    handler = ClosingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = settings_for(controller.port)
        messages = digest_messages(
            settings,
            ("alice@kent.gov.uk", "Alice Smith"),
            ("busy@kent.gov.uk", "Busy Bee"),
            ("zoe@kent.gov.uk", "Zoe Zed"),
        )
        report = send_messages(messages, settings)
    finally:
        controller.stop()

    assert [r.recipient for r in report.sent] == ["alice@kent.gov.uk"]
    busy, zoe = report.failed
    assert busy.error.smtp_code == 421 and "421 Too busy" in str(busy.error)
    assert zoe.recipient == "zoe@kent.gov.uk"
    assert "closed the connection" in str(zoe.error)
    assert [rcpts for _, rcpts, _ in handler.received] == [["alice@kent.gov.uk"]]
