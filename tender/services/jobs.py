"""The background job queue and the worker that runs it (``tender worker``).

Work too slow for a web request (rendering and e-mailing award letters, and
anything like it) is *queued* as a row of ``job`` by the request, which then
answers at once; a worker process *claims* the oldest queued job, runs its
handler, and marks it done. The queue is a table in Tender's own database,
so every app host and every worker share it with no other server:

* PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks a row no other
  worker holds; the claim is committed at once.
* SQLite: an UPDATE guarded by the row's ``version`` (compare-and-set);
  the worker whose UPDATE changed one row won it.

A running job's handler calls :meth:`Run.beat` as it goes; a job whose
heartbeat is older than ``stale_after`` belongs to a dead worker and is
claimed again by the next one, with no one having to notice. Handlers are
therefore written to be re-run: each step records its result in its own
transaction and skips what is already recorded.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from tender.extensions import db
from tender.mail import MailSettings
from tender.models.job import ACTIVE, DONE, FAILED, QUEUED, RUNNING, Job
from tender.services import audit, clock, use_case

log = logging.getLogger(__name__)

#: A job whose worker has not beaten for this long is taken over by another worker.
STALE_AFTER = timedelta(seconds=60)
#: A job that fails this many times is marked failed and left for a person.
MAX_ATTEMPTS = 5

Handler = Callable[["Run"], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str):
    """Register the function that runs jobs of ``kind``."""
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return register


def runner_id() -> str:
    """``host:pid``: who holds a claim, for people reading the tables."""
    return f"{socket.gethostname()}:{os.getpid()}"


def configured_stale() -> timedelta | None:
    """``TENDER_JOB_STALE_SECONDS`` (0 < s <= 86400) from the config or environment, if set."""
    raw = current_app.config.get("TENDER_JOB_STALE_SECONDS") or os.environ.get("TENDER_JOB_STALE_SECONDS")
    try:
        seconds = float(raw) if raw else None
    except ValueError:
        seconds = None
    return timedelta(seconds=seconds) if seconds and 0 < seconds <= 86400 else None


def stale_after() -> timedelta:
    """How long a silent claim is left to its worker: ``TENDER_JOB_STALE_SECONDS``, else :data:`STALE_AFTER`."""
    return configured_stale() or STALE_AFTER


def enqueue(kind: str, *, procurement_id: int | None = None, payload: dict | None = None,
            dedupe_key: str | None = None, user=None, total: int = 0) -> Job:
    """Queue a job inside the caller's transaction; an active job with the same ``dedupe_key`` is reused."""
    if kind not in HANDLERS:
        raise ValueError(f"No handler is registered for jobs of kind {kind!r}.")
    if dedupe_key is not None:
        existing = db.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            existing.progress_total = max(existing.progress_total, total)
            return existing
    job = Job(kind=kind, procurement_id=procurement_id, payload=json.dumps(payload or {}, sort_keys=True),
              dedupe_key=dedupe_key, status=QUEUED, attempts=0, created_at=clock.wall_now(),
              created_by_id=getattr(user, "id", None), progress_done=0, progress_total=total, version=1)
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:  # another request queued the same job a moment ago
        existing = db.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if existing is None:
            raise
        return existing
    return job


def active_job(procurement_id: int, kind: str) -> Job | None:
    """The queued or running job of this kind for the procurement, if any."""
    return db.session.scalar(select(Job).where(Job.procurement_id == procurement_id, Job.kind == kind,
                                               Job.status.in_(ACTIVE)).order_by(Job.id.desc()).limit(1))


def latest_job(procurement_id: int, kind: str) -> Job | None:
    """The most recent job of this kind for the procurement (active or finished)."""
    return db.session.scalar(select(Job).where(Job.procurement_id == procurement_id, Job.kind == kind)
                             .order_by(Job.id.desc()).limit(1))


def _claimable(now, stale: timedelta):
    return or_(Job.status == QUEUED, and_(Job.status == RUNNING, Job.heartbeat_at < now - stale))


def claim(me: str, stale: timedelta) -> int | None:
    """Claim the oldest claimable job for ``me``; committed. None when there is nothing to do."""
    now = clock.wall_now()
    with use_case.step():
        if db.session.get_bind().dialect.name == "postgresql":
            row = db.session.execute(select(Job.id).where(_claimable(now, stale)).order_by(Job.id).limit(1)
                                     .with_for_update(skip_locked=True)).first()
            candidates = [row[0]] if row else []
        else:
            candidates = list(db.session.scalars(select(Job.id).where(_claimable(now, stale))
                                                  .order_by(Job.id).limit(5)))
        for job_id in candidates:
            version = db.session.scalar(select(Job.version).where(Job.id == job_id))
            won = db.session.execute(
                update(Job).where(Job.id == job_id, Job.version == version, _claimable(now, stale))
                .values(status=RUNNING, claimed_by=me, claimed_at=now, heartbeat_at=now,
                        attempts=Job.attempts + 1, version=Job.version + 1)
                .execution_options(synchronize_session=False)).rowcount
            if won == 1:
                return job_id
    return None


@dataclass
class Run:
    """A claimed job as its handler sees it: its id, payload, mail settings, and a heartbeat."""

    job_id: int
    kind: str
    procurement_id: int | None
    payload: dict
    runner: str
    mail_settings: MailSettings | None = None
    _last_beat: float = field(default=0.0)

    def beat(self, done: int | None = None, total: int | None = None, force: bool = False) -> None:
        """Say this worker is alive (and how far it got); committed at most once a second."""
        tick = clock.monotonic()
        if not force and done is None and tick - self._last_beat < 1.0:
            return
        values = {"heartbeat_at": clock.wall_now()}
        if done is not None:
            values["progress_done"] = done
        if total is not None:
            values["progress_total"] = total
        with use_case.step():
            db.session.execute(update(Job).where(Job.id == self.job_id, Job.claimed_by == self.runner)
                               .values(**values).execution_options(synchronize_session=False))
        self._last_beat = tick

    def settings(self) -> MailSettings:
        """The SMTP settings: given to the worker, else the app's MAIL_* configuration."""
        return self.mail_settings or MailSettings.from_config(current_app.config)


def _finish(run: Run, status: str, error: str | None = None) -> None:
    with use_case.step():
        db.session.execute(update(Job).where(Job.id == run.job_id, Job.claimed_by == run.runner).values(
            status=status, finished_at=clock.wall_now() if status in (DONE, FAILED) else None,
            dedupe_key=None if status in (DONE, FAILED) else Job.dedupe_key,
            last_error=error, version=Job.version + 1).execution_options(synchronize_session=False))
        if status == FAILED:
            audit.record(audit.Actor.system("tender worker"), "job.failed", "job", run.job_id,
                         after={"kind": run.kind, "procurement_id": run.procurement_id}, reason=error)


def run_one(me: str, stale: timedelta, mail_settings: MailSettings | None = None) -> bool:
    """Claim and run one job; False when there was none."""
    job_id = claim(me, stale)
    if job_id is None:
        return False
    job = db.session.get(Job, job_id)
    run = Run(job_id=job.id, kind=job.kind, procurement_id=job.procurement_id, payload=json.loads(job.payload),
              runner=me, mail_settings=mail_settings)
    attempts = job.attempts
    db.session.rollback()
    try:
        HANDLERS[run.kind](run)
    except Exception as exc:  # a handler's failure is recorded on the job, never kills the worker
        db.session.rollback()
        log.exception("job %s (%s) failed", run.job_id, run.kind)
        error = f"{type(exc).__name__}: {exc}"[:4000]
        _finish(run, FAILED if attempts >= MAX_ATTEMPTS else QUEUED, error)
        return True
    _finish(run, DONE)
    return True


def work(*, until_idle: bool = False, poll: float = 2.0, mail_settings: MailSettings | None = None,
         runner: str | None = None, stale: timedelta | None = None, max_jobs: int | None = None) -> int:
    """Run jobs as they come (``tender worker``); with ``until_idle`` stop when the queue is empty."""
    me = runner or runner_id()
    stale = stale or stale_after()
    done = 0
    while max_jobs is None or done < max_jobs:
        if run_one(me, stale, mail_settings):
            done += 1
            continue
        if until_idle:
            break
        time.sleep(poll)
    return done
