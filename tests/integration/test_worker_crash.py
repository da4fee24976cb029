"""A worker killed mid-send, then restarted: every message arrives, at most the one in flight twice.

The worker and the reminders run are real processes (``tender worker``,
``tender reminders send``) on the test's database (SQLite file or
PostgreSQL), sending to a real SMTP server on loopback that takes a moment
over each message, so the kill lands in the middle of the batch.
"""
from __future__ import annotations

import collections
import signal
import subprocess
import time

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import AwardLetter, LetterDelivery, Procurement
from tender.models.job import Job
from tender.services.award import letters
from tests.evaluation_support import user
from tests.letters_support import OFFICER, award_demo
from tests.reminders_support import KEYS_HEADER, cli_env, run_tender, tender_command

pytestmark = pytest.mark.slow

LETTER_HEADER = "X-Tender-Letter"


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _letters_arrived(smtp) -> collections.Counter:
    return collections.Counter(str(m[LETTER_HEADER]).split()[0] for m in smtp.handler.messages())


@pytest.mark.parametrize("kill_after", [1, 3])
def test_a_worker_killed_after_k_letters_then_restarted_delivers_every_letter_once_but_the_one_in_flight(
        ctx, database_url, smtp, tmp_path, kill_after):
    pid = award_demo(lots=(1, 2))
    officer = user(OFFICER)
    letters.draft(pid, officer)
    queued = letters.send(pid, officer, smtp.settings())
    n = queued.queued
    assert n == 6 and smtp.handler.messages() == []
    db.session.remove()

    smtp.handler.delay = 0.4
    env = cli_env(database_url, smtp, tmp_path, TENDER_JOB_STALE_SECONDS="2")
    first = subprocess.Popen(tender_command("worker", "--poll", "0.2"), env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: len(smtp.handler.messages()) >= kill_after, 120, f"{kill_after} letters to arrive")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    delivered_before = len(smtp.handler.messages())
    assert delivered_before < n, "the kill must land mid-batch for this test to mean anything"

    db.session.expire_all()
    job = db.session.scalar(select(Job).where(Job.procurement_id == pid))
    assert job.status == "running"  # left by the dead worker: nobody marked it

    smtp.handler.delay = 0.0
    second = run_tender(env, "worker", "--until-idle", "--poll", "0.2", timeout=180)
    if "0 jobs run" in second.stdout:  # its heartbeat was not yet stale: the next look takes it over
        time.sleep(2.5)
        second = run_tender(env, "worker", "--until-idle", "--poll", "0.2", timeout=180)
    assert second.returncode == 0, second.stderr
    assert "1 job run" in second.stdout

    db.session.expire_all()
    arrived = _letters_arrived(smtp)
    ids = {str(l.id) for l in db.session.scalars(select(AwardLetter).where(AwardLetter.procurement_id == pid))}
    assert set(arrived) == ids  # every letter arrived
    duplicated = [letter for letter, count in arrived.items() if count > 1]
    assert len(duplicated) <= 1 and all(arrived[d] == 2 for d in duplicated)  # only the one in flight, once more
    assert set(db.session.scalars(select(LetterDelivery.status))) == {"sent"}
    assert db.session.scalar(select(Job.status).where(Job.id == job.id)) == "done"
    assert db.session.get(Procurement, pid).award_notices_sent_at is not None
    # A duplicate carries the same Message-ID as the first copy, so mail systems can fold it.
    for letter_id in duplicated:
        copies = [m for m in smtp.handler.messages() if str(m[LETTER_HEADER]).split()[0] == letter_id]
        assert len({str(m["Message-ID"]) for m in copies}) == 1


def test_a_reminders_run_killed_mid_batch_then_rerun_sends_each_digest_once_but_the_one_in_flight(
        ctx, database_url, smtp, tmp_path):
    from datetime import date

    from tender.demo import load_demo
    from tender.services import reminders
    from tests.helpers import CPN_TIMETABLE, make_procurement, make_user

    as_of = date(2022, 7, 5)
    load_demo("demo-password-2022")
    owners = [make_user("procurement_officer", email=f"owner{i}@kent.example", name=f"Owner {i}") for i in range(16)]
    for n in range(16):
        p = make_procurement(timetable=CPN_TIMETABLE, reference=f"KILL-{n:03d}", lots=1, lead_officer_id=owners[n].id)
        for m in p.milestones:
            m.owner_id = owners[n].id
        db.session.commit()
    expected_keys = {key for d in reminders.plan(as_of) for key in d.keys}
    assert len(reminders.plan(as_of)) >= 12
    db.session.remove()
    smtp.handler.delay = 0.3
    env = cli_env(database_url, smtp, tmp_path, TENDER_JOB_STALE_SECONDS="1")
    first = subprocess.Popen(tender_command("reminders", "send", "--as-of", as_of.isoformat()), env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: len(smtp.handler.messages()) >= 5, 120, "5 digests to arrive")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert len(smtp.handler.messages()) < 12
    smtp.handler.delay = 0.0
    time.sleep(1.2)  # the dead run's claims go stale
    again = run_tender(env, "reminders", "send", "--as-of", as_of.isoformat())
    assert again.returncode == 0, again.stderr
    keys = collections.Counter(smtp.handler.keys())
    assert set(keys) == set(expected_keys)
    messages = collections.Counter(str(m[KEYS_HEADER]) for m in smtp.handler.messages())
    assert sum(count - 1 for count in messages.values()) <= 1  # at most the digest in flight went twice
