"""``tender reminders send`` as cron runs it: a subprocess with MAIL_* in its environment."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tender.demo import load_demo
from tender.extensions import db
from tender.models import AuditEvent, ReminderSent
from tests.reminders_support import cli_env, run_tender


@pytest.fixture
def demo_env(ctx, database_url, smtp, tmp_path):
    load_demo("demo-password-2022")
    db.session.remove()
    return cli_env(database_url, smtp, tmp_path)


def counts() -> tuple[int, int]:
    db.session.remove()
    return (db.session.scalar(select(func.count()).select_from(ReminderSent)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)))


def test_dry_run_prints_the_digests_and_sends_and_records_nothing(demo_env, smtp):
    before = counts()

    result = run_tender(demo_env, "reminders", "send", "--dry-run", "--as-of", "2022-05-03")

    assert result.returncode == 0, result.stderr
    assert "Would send to luke.edwards@kent.example: 1 overdue, 1 due soon" in result.stdout
    assert "Would send to chris.taylor@kent.example: 1 due soon" in result.stdout
    assert "due_soon:3:2022-05-10:chris.taylor@kent.example" in result.stdout
    assert "Nothing was sent or recorded" in result.stdout
    assert smtp.handler.messages() == []
    assert counts() == before


def test_send_then_send_again_then_smtp_down_then_back(demo_env, smtp):
    first = run_tender(demo_env, "reminders", "send", "--as-of", "2022-05-03")
    assert first.returncode == 0, first.stderr
    assert "Sent to luke.edwards@kent.example: 1 overdue, 1 due soon" in first.stdout
    assert "Sent to chris.taylor@kent.example: 1 due soon" in first.stdout
    assert "2 digest(s) sent (3 reminder(s)), 0 failed" in first.stdout
    assert len(smtp.handler.messages()) == 2

    again = run_tender(demo_env, "reminders", "send", "--as-of", "2022-05-03")
    assert again.returncode == 0 and "0 digest(s) sent" in again.stdout and "3 sent by earlier runs" in again.stdout
    assert len(smtp.handler.messages()) == 2

    smtp.stop()
    down = run_tender(demo_env, "reminders", "send", "--as-of", "2022-07-05")
    assert down.returncode == 1
    assert f"FAILED to luke.edwards@kent.example: Could not send e-mail to luke.edwards@kent.example: " \
           f"could not connect to the mail server 127.0.0.1:{smtp.port}" in down.stderr
    assert "will be retried on the next run" in down.stderr

    smtp.start()
    back = run_tender(demo_env, "reminders", "send", "--as-of", "2022-07-05")
    assert back.returncode == 0, back.stderr
    assert "Sent to luke.edwards@kent.example: 2 overdue, 1 due soon, 1 escalated" in back.stdout
    assert "Sent to chris.taylor@kent.example: 1 overdue" in back.stdout
    assert len(smtp.handler.messages()) == 4
    assert len(smtp.handler.keys()) == len(set(smtp.handler.keys())) == 8


def test_a_bad_as_of_date_is_a_clear_usage_error(demo_env, smtp):
    result = run_tender(demo_env, "reminders", "send", "--as-of", "2022-13-01")

    assert result.returncode == 2
    assert "'2022-13-01' is not a date. Write it as YYYY-MM-DD" in result.stderr
    assert smtp.handler.messages() == []


def test_bad_mail_settings_exit_2_and_claim_nothing(demo_env, smtp):
    before = counts()
    result = run_tender({**demo_env, "MAIL_PORT": "twenty-five"}, "reminders", "send", "--as-of", "2022-05-03")
    assert result.returncode == 2
    assert "Mail is not configured correctly: MAIL_PORT: 'twenty-five' is not a whole number" in result.stderr

    no_sender = {k: v for k, v in demo_env.items() if k != "MAIL_DEFAULT_SENDER"}
    result = run_tender(no_sender, "reminders", "send", "--as-of", "2022-05-03")
    assert result.returncode == 2 and "MAIL_DEFAULT_SENDER" in result.stderr
    assert counts() == before
