"""Two ``tender reminders send`` processes at once against one PostgreSQL database.

This is the cron-on-every-host case: both runners plan the same reminders,
and the claim protocol (INSERT ... ON CONFLICT DO NOTHING, then
SELECT ... FOR UPDATE SKIP LOCKED for retries) must let each reminder out
exactly once in total, whoever sends it.
"""
from __future__ import annotations

import subprocess
import time
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import create_engine, select, text

from tender.demo import load_demo
from tender.domain.audit_chain import verify_chain
from tender.extensions import db
from tender.models import ReminderSent
from tender.services import reminders
from tender.services.audit import query as audit_query
from tests.helpers import CPN_TIMETABLE, make_procurement, make_user
from tests.reminders_support import cli_env, tender_command

AS_OF = date(2022, 7, 5)


def load_many_reminders() -> set[str]:
    """The demo plus 40 procurements whose milestones belong to 8 people: a few hundred reminders."""
    load_demo("demo-password-2022")
    owners = [make_user("procurement_officer", email=f"owner{i}@kent.example", name=f"Owner {i}") for i in range(8)]
    for n in range(40):
        p = make_procurement(timetable=CPN_TIMETABLE, reference=f"PAR-{n:03d}", lots=1,
                             lead_officer_id=owners[n % 8].id)
        for position, m in enumerate(p.milestones):
            m.owner_id = owners[(n + position) % 8].id
        db.session.commit()
    return {key for d in reminders.plan(AS_OF) for key in d.keys}


def start_runner(env):
    return subprocess.Popen(tender_command("reminders", "send", "--as-of", AS_OF.isoformat()), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_together(database_url: str, env: dict[str, str]) -> list[tuple[subprocess.Popen, str, str]]:
    """Start two runners and release them at the same instant, at their first claim.

    Process start-up takes a second or so, far longer than claiming a few
    hundred reminders, so two processes merely started together would rarely
    overlap. A SHARE lock on reminder_sent, held here, makes each runner's
    first INSERT wait; once both are waiting the lock is released and they
    claim at the same moment.
    """
    engine = create_engine(database_url)
    try:
        with engine.connect() as gate:
            gate.execute(text("LOCK TABLE reminder_sent IN SHARE MODE"))
            runners = [start_runner(env), start_runner(env)]
            deadline = time.monotonic() + 90
            while True:
                # Statistics are a snapshot per transaction: refresh it each time.
                gate.execute(text("SELECT pg_stat_clear_snapshot()"))
                waiting = gate.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")).scalar_one()
                if waiting >= 2:
                    break
                finished = [r for r in runners if r.poll() is not None]
                assert not finished, [r.communicate() for r in finished]
                if time.monotonic() > deadline:
                    for r in runners:
                        r.kill()
                    outputs = [r.communicate() for r in runners]
                    raise AssertionError(f"the runners never reached their first claim: {outputs}")
                time.sleep(0.05)
            gate.commit()  # releases the lock: both runners go
        results = []
        for runner in runners:
            out, err = runner.communicate(timeout=180)
            results.append((runner, out, err))
        return results
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_two_parallel_runners_send_each_reminder_exactly_once(ctx, database_url, smtp, tmp_path):
    expected = load_many_reminders()
    assert len(expected) > 100
    db.session.remove()
    env = cli_env(database_url, smtp, tmp_path)

    results = run_together(database_url, env)
    for runner, out, err in results:
        assert runner.returncode == 0, out + err
    arrived = Counter(smtp.handler.keys())
    duplicates = {key: n for key, n in arrived.items() if n > 1}
    assert duplicates == {}
    assert set(arrived) == expected
    statuses = {k: s for k, s in db.session.execute(select(ReminderSent.key, ReminderSent.status))}
    assert set(statuses) == expected and set(statuses.values()) == {"sent"}
    assert verify_chain(audit_query.stream()).ok

    # And a third run, after both, sends nothing.
    third = subprocess.run(tender_command("reminders", "send", "--as-of", AS_OF.isoformat()), env=env,
                           capture_output=True, text=True, timeout=120)
    assert third.returncode == 0 and "0 digest(s) sent" in third.stdout
    assert len(smtp.handler.keys()) == len(expected)


@pytest.mark.postgres
def test_two_parallel_runners_retry_failed_reminders_exactly_once(ctx, database_url, smtp, tmp_path):
    """After a run with the mail server down, both runners race to retry the failed rows."""
    expected = load_many_reminders()
    db.session.remove()
    env = cli_env(database_url, smtp, tmp_path)
    smtp.stop()
    failed = subprocess.run(tender_command("reminders", "send", "--as-of", AS_OF.isoformat()), env=env,
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and "will be retried on the next run" in failed.stderr
    smtp.start()

    for runner, out, err in run_together(database_url, env):
        assert runner.returncode == 0, out + err
    arrived = Counter(smtp.handler.keys())
    assert {key: n for key, n in arrived.items() if n > 1} == {}
    assert set(arrived) == expected
    statuses = {k: s for k, s in db.session.execute(select(ReminderSent.key, ReminderSent.status))}
    assert set(statuses.values()) == {"sent"}
