"""Mail settings and digest rendering (tender.mail), without a network.

Sending over a real SMTP server is in tests/integration/test_mail_smtp.py.
"""
from __future__ import annotations

from datetime import date

import pytest

from tender.domain.reminders import plan_reminders
from tender.mail import (
    MailConfigError,
    MailSettings,
    build_digest_message,
    long_date,
    templates_dir,
)
from tests.helpers import make_milestone

SENDER = "Tender <tender@kent.gov.uk>"


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


# --- settings ----------------------------------------------------------------


def test_settings_defaults():
    s = MailSettings.from_env({})
    assert (s.server, s.port, s.use_tls, s.use_ssl, s.username, s.password, s.default_sender) == (
        "localhost", 25, False, False, None, None, None,
    )
    assert s.timeout > 0


def test_settings_from_flask_mail_names():
    s = MailSettings.from_env(
        {
            "MAIL_SERVER": "smtp.kent.gov.uk",
            "MAIL_PORT": "587",
            "MAIL_USE_TLS": "True",
            "MAIL_USE_SSL": "0",
            "MAIL_USERNAME": "tender",
            "MAIL_PASSWORD": "s3cret",
            "MAIL_DEFAULT_SENDER": SENDER,
            "MAIL_TIMEOUT": "12.5",
        }
    )
    assert (s.server, s.port, s.use_tls, s.use_ssl) == ("smtp.kent.gov.uk", 587, True, False)
    assert (s.username, s.password, s.default_sender, s.timeout) == ("tender", "s3cret", SENDER, 12.5)
    assert "s3cret" not in repr(s)


def test_ssl_port_defaults_to_465():
    assert MailSettings.from_env({"MAIL_USE_SSL": "yes"}).port == 465


@pytest.mark.parametrize(
    "environ, variable",
    [
        ({"MAIL_PORT": "twenty-five"}, "MAIL_PORT"),
        ({"MAIL_PORT": "70000"}, "MAIL_PORT"),
        ({"MAIL_USE_TLS": "maybe"}, "MAIL_USE_TLS"),
        ({"MAIL_USE_SSL": "2"}, "MAIL_USE_SSL"),
        ({"MAIL_USE_TLS": "1", "MAIL_USE_SSL": "1"}, "MAIL_USE_SSL"),
        ({"MAIL_DEFAULT_SENDER": "Tender"}, "MAIL_DEFAULT_SENDER"),
        ({"MAIL_TIMEOUT": "soon"}, "MAIL_TIMEOUT"),
        ({"MAIL_PASSWORD": "x"}, "MAIL_USERNAME"),
        ({"MAIL_SERVER": " "}, "MAIL_SERVER"),
    ],
)
def test_bad_settings_name_the_variable(environ, variable):
    with pytest.raises(MailConfigError) as excinfo:
        MailSettings.from_env(environ)
    assert variable in str(excinfo.value)


# --- rendering ---------------------------------------------------------------


def test_templates_dir_holds_the_digest_templates():
    assert (templates_dir() / "email" / "milestone_digest.txt").is_file()
    assert (templates_dir() / "email" / "milestone_digest.html").is_file()


def test_long_date_is_gov_uk_style():
    assert long_date(date(2022, 4, 4)) == "4 April 2022"
    assert long_date(date(2023, 12, 25)) == "25 December 2023"


def test_digest_message_is_multipart_alternative_with_links_and_escaping():
    title = "Roads & <bridges> maintenance"  # must be escaped in HTML
    ms = [
        make_milestone(procurement_title=title),
        make_milestone(milestone_id=2, planned_date=date(2022, 3, 24), milestone_title="Publish notice",
                       procurement_title=title),
        make_milestone(
            milestone_id=3,
            procurement_id=7,
            procurement_ref="KCC-21/00007",
            procurement_title="School meals",
            planned_date=date(2022, 3, 31),
            milestone_title="Clarification deadline",
        ),
    ]
    [alice, _lead] = plan_reminders(ms, date(2022, 3, 29), weekdays_only)
    settings = MailSettings.from_env({"MAIL_DEFAULT_SENDER": SENDER})
    msg = build_digest_message(alice, settings, "https://tender.kent.gov.uk/")

    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["To"] == "Alice Smith <alice@kent.gov.uk>"
    assert msg["From"] == SENDER
    assert msg["Subject"] == "Procurement milestones: 1 overdue, 2 due soon"
    assert msg["Message-ID"].endswith("@kent.gov.uk>")
    assert msg["Auto-Submitted"] == "auto-generated"

    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for body in (text, html):
        assert "https://tender.kent.gov.uk/procurements/33" in body
        assert "https://tender.kent.gov.uk/procurements/7" in body
        assert "4 April 2022" in body
        assert "Due in 4 working days" in body
        assert "Due in 2 working days" in body
        assert "Overdue by 3 working days" in body
    # Plain text is not HTML-escaped; HTML is.
    assert "Roads & <bridges> maintenance" in text
    assert "Roads &amp; &lt;bridges&gt; maintenance" in html
    assert "<bridges>" not in html
    # Procurements appear in reference order, each with a heading.
    assert text.index("KCC-21/00007") < text.index("KCC-22/00033")
    assert html.count("<h2") == 2
    assert '<th scope="col"' in html


def test_escalation_digest_names_the_owner():
    m = make_milestone(planned_date=date(2022, 3, 24))
    digests = plan_reminders([m], date(2022, 3, 29), weekdays_only)
    lead = next(d for d in digests if d.recipient_email == "lead@kent.gov.uk")
    msg = build_digest_message(lead, MailSettings(default_sender=SENDER), "https://t.example")
    text = msg.get_body(("plain",)).get_content()
    assert "Alice Smith (alice@kent.gov.uk)" in text
    assert "procurements you lead" in msg["Subject"]


def test_building_without_a_sender_is_a_config_error():
    [digest] = plan_reminders([make_milestone()], date(2022, 3, 29), weekdays_only)
    with pytest.raises(MailConfigError, match="MAIL_DEFAULT_SENDER"):
        build_digest_message(digest, MailSettings(), "https://t.example")
