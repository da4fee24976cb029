"""Milestone reminders: find what is due, claim it, send digests, record what went.

The rules (what is due soon, overdue, escalated) are pure and live in
``tender.domain.reminders``; this module feeds them from the database and
makes delivery exactly-once across runs and across hosts.

Exactly once, with several runners
----------------------------------
``tender reminders send`` runs from cron on every application host, so two
runners can start at the same second against one database. Each reminder
(a dedupe key: kind, milestone, planned date, recipient) goes out once:

1. **Plan.** Every runner computes the same digests for ``as_of``.
2. **Claim new keys.** ``INSERT ... ON CONFLICT (key) DO NOTHING RETURNING
   key`` for the planned keys, one committed transaction per digest, keys in
   sorted order (so two runners never deadlock), digests starting at a
   random one (so two runners split the people between them). The keys a
   runner's INSERT returned are its own; a key another runner inserted first
   is not.
3. **Re-claim retries**, in the same transaction. Rows left ``failed`` by
   an earlier run, or ``claimed`` by a runner that died more than
   ``stale_after`` ago, are taken
   over with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL: a parallel
   runner skips the rows this one is taking instead of waiting for them) or,
   on SQLite, an ``UPDATE ... WHERE status = 'failed'`` per key whose
   rowcount says whether this runner won it.
4. **Send** only digests made of this runner's claimed items, over one SMTP
   connection, and mark each message's keys ``sent`` or ``failed`` (with the
   error) together with an audit event, one commit per digest.

A failed send is retried by the next run (its rows are ``failed``), and the
reminders that did go out stay ``sent``. The one window for a duplicate is a
runner killed after the SMTP server accepted a message but before the commit
that records it: its rows stay ``claimed`` and are re-sent after
``stale_after``. That is the usual at-least-once trade-off; never sending
would be worse for a statutory deadline.
"""
from __future__ import annotations

import gc
import random
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy import Date, Integer, String, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from tender.domain import reminders as rules
from tender.domain.calendars import WorkingDays
from tender.domain.reminders import Digest, MilestoneDue
from tender.extensions import db
from tender.mail import MailConfigError, MailSettings, build_digest_message
from tender.models import Milestone, Procurement, ReminderSent, User
from tender.models.milestone import CLOSED, NOT_APPLICABLE
from tender.models.reminder import CLAIMED, FAILED, SENT
from tender.services import audit, clock, outbox
from tender.services.jobs import runner_id  # noqa: F401  (re-exported: older imports)
from tender.services.errors import InvalidRequest
from tender.services.use_case import step, use_case

__all__ = [
    "ACTOR",
    "DEFAULT_NOTICE_DAYS",
    "ESCALATE_AFTER_WORKING_DAYS",
    "DigestOutcome",
    "RunReport",
    "collect_due",
    "plan",
    "run",
    "runner_id",
    "is_working_day",
    "KEYS_HEADER",
]

ACTOR = "tender reminders"
DEFAULT_NOTICE_DAYS = 5
ESCALATE_AFTER_WORKING_DAYS = 3
#: A claim older than this with no outcome belongs to a runner that died.
STALE_AFTER = timedelta(minutes=30)
#: Header listing the reminder keys a message carries (for tracing and tests).
KEYS_HEADER = "X-Tender-Reminder-Keys"
_BATCH = 200


#: England and Wales working days (PCR 2015 counting): callable on a day, and counts by arithmetic.
is_working_day = WorkingDays("england-and-wales")


def _now() -> datetime:
    return clock.wall_now()


# --------------------------------------------------------------------------
# Reading


def _horizon(as_of: date, working_days: int) -> date:
    """The first date more than ``working_days`` working days after ``as_of`` (an exclusive bound).

    That is the next working day after the ``working_days``-th: a milestone
    planned on the weekend or bank holiday just after the ``working_days``-th
    working day is still only ``working_days`` working days away, so due soon.
    (The bound used to be the ``working_days``-th working day itself, which
    left those milestones unread until a day later.)
    """
    return is_working_day.add(as_of, working_days + 1)


@lru_cache(maxsize=2)
def _due_query(for_one_user: bool):
    """The scan's SELECT, built once: bound ``horizon`` (and ``user_id`` when ``for_one_user``).

    Building the statement (aliases, joins, conditions) cost about 1.5 ms of
    CPU a scan, as much as fetching 1,500 of its rows; only the parameters
    change from one scan to the next.
    """
    owner = aliased(User, name="owner")
    lead = aliased(User, name="lead")
    query = (
        select(
            Milestone.id, Milestone.procurement_id, Procurement.reference, Procurement.title,
            Milestone.title, Milestone.planned_date, owner.email, owner.name, lead.email, lead.name,
            Milestone.status, func.coalesce(owner.reminder_notice_days, DEFAULT_NOTICE_DAYS),
        )
        .join(Procurement, Procurement.id == Milestone.procurement_id)
        .join(owner, and_(owner.id == Milestone.owner_id, owner.active.is_(True)))
        .outerjoin(lead, and_(lead.id == Procurement.lead_officer_id, lead.active.is_(True)))
        .where(Milestone.status.not_in(CLOSED), Milestone.planned_date.is_not(None),
               Milestone.planned_date < bindparam("horizon", type_=Date))
    )
    if for_one_user:
        user_id = bindparam("user_id", type_=Integer)
        query = query.where(or_(Milestone.owner_id == user_id, Procurement.lead_officer_id == user_id))
    return query


@lru_cache(maxsize=1)
def _longest_notice_query():
    return select(func.max(User.reminder_notice_days)).where(User.active.is_(True))


def _milestones(query) -> list[MilestoneDue]:
    """Run ``query`` (columns in ``MILESTONE_FIELDS`` order) and build the records."""
    return rules.milestones_from_rows(_rows(query))


def _rows(query, parameters: dict | None = None) -> Sequence:
    """``query``'s rows, plain: through the session's connection, all in one call.

    Not ``session.execute``: the rows are columns, not entities, so the ORM's
    row processing would only add cost (most of ``collect_due``'s, on
    PostgreSQL). ``fetchall``, because iterating the result fetches one row
    per call from psycopg where ``fetchall`` builds them all in one.
    """
    return db.session.connection().execute(query, parameters).fetchall()


def _due_rows(as_of: date, user_id: int | None = None) -> Sequence:
    """Every unmet milestone that may need a reminder on ``as_of``, as rows in ``MILESTONE_FIELDS`` order.

    Two queries. One finds the longest notice period anyone has asked for;
    the other joins milestone, procurement, owner and lead officer, bounded
    above by the first date more than that many working days ahead
    (``planned_date`` is indexed), so milestones months away are not read.
    Overdue ones have no lower bound: an overdue milestone stays overdue
    until someone marks it met or re-plans it. The rules then apply each
    owner's own notice period. Milestones with no owner (or an inactive one)
    have nobody to remind. With ``user_id``, only milestones that person owns
    or whose procurement they lead (for their notifications page).
    """
    longest = db.session.connection().scalar(_longest_notice_query())
    horizon = _horizon(as_of, max(longest or 0, DEFAULT_NOTICE_DAYS))
    if user_id is None:
        return _rows(_due_query(False), {"horizon": horizon})
    return _rows(_due_query(True), {"horizon": horizon, "user_id": user_id})


def collect_due(as_of: date, *, user_id: int | None = None) -> list[MilestoneDue]:
    """Every unmet milestone that may need a reminder on ``as_of``, in two queries (see ``_due_rows``)."""
    return rules.milestones_from_rows(_due_rows(as_of, user_id))


def plan(as_of: date, *, user_id: int | None = None) -> list[Digest]:
    """The digests due on ``as_of`` before anything is excluded as already sent.

    The rows go to the rules as they are: a record is built only for a
    milestone that has a reminder, and no cycle collection runs meanwhile
    (see ``_without_cycle_collection``).
    """
    with _without_cycle_collection():
        return rules.plan_reminders_from_rows(_due_rows(as_of, user_id), as_of, is_working_day,
                                              escalate_after_working_days=escalate_after())


@contextmanager
def _without_cycle_collection():
    """Keep Python's cycle collector out of a scan; reference counting still frees everything.

    A scan builds tens of thousands of small objects (a record per milestone,
    an item and a sort key per reminder) that all live until it returns and
    form no cycles. Enough new objects surviving starts a full collection,
    which walks every object in the process (the whole application, about
    160,000) and finds nothing to free. On the benchmark's data (PostgreSQL,
    9,226 reminders) half the scans paid for one: median 76 ms of CPU
    without this, 38 ms with it. Turned back on only if it was on, so a
    caller that disabled it keeps it off.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def escalate_after() -> int:
    """Working days overdue before the lead officer hears: TENDER_ESCALATE_AFTER_WORKING_DAYS, default 3."""
    from flask import current_app

    return int(current_app.config.get("ESCALATE_AFTER_WORKING_DAYS") or ESCALATE_AFTER_WORKING_DAYS)


def notifications_for(user: User, as_of: date) -> Digest:
    """What the notifications page shows ``user``: their own digest for ``as_of``.

    Unlike e-mail this ignores what has been sent: the page shows the current
    state every time.
    """
    email = user.email.strip().lower()
    for digest in plan(as_of, user_id=user.id):
        if digest.recipient_email == email:
            return digest
    return Digest(recipient_email=email, recipient_name=user.name)


def notification_count(user: User, as_of: date) -> int:
    """How many items ``notifications_for(user, as_of)`` would list, in one small query.

    For the page header, which every page shows: instead of planning the
    reminders (reading every milestone the person owns or oversees and
    counting working days for each), the working-day rules become date bounds
    the database compares ``planned_date`` with. A milestone is in the
    person's own digest when it is planned before the (notice + 1)th working
    day after ``as_of``; it is escalated to them as lead officer when it is
    planned before the ``escalate_after``th working day back from ``as_of``
    (counting ``as_of`` itself) and its owner has another address (accounts
    refuse a second account with the same address in any spelling). The
    query count is the same however many milestones there are (a test checks).
    """
    if not user.active:
        return 0
    notice = DEFAULT_NOTICE_DAYS if user.reminder_notice_days is None else user.reminder_notice_days
    escalate = escalate_after()
    own, escalated = db.session.connection().execute(_count_query(), {
        "user_id": user.id, "email": user.email.strip().lower(), "due": is_working_day.add(as_of, notice + 1),
        "overdue": as_of if escalate == 0 else is_working_day.add(as_of + timedelta(days=1), -escalate),
    }).one()
    return own + escalated


@lru_cache(maxsize=1)
def _count_query():
    """The header count as one SELECT of two counts, built once with bound parameters.

    Every page shows the count: one round trip, and no statement building
    (an alias, joins, conditions cost more CPU than running them).
    """
    owner = aliased(User, name="owner")
    user_id = bindparam("user_id", type_=Integer)

    def unmet(before: str):
        return (Milestone.status.not_in(CLOSED), Milestone.planned_date.is_not(None),
                Milestone.planned_date < bindparam(before, type_=Date))

    own = (select(func.count()).select_from(Milestone).join(Procurement, Procurement.id == Milestone.procurement_id)
           .where(*unmet("due"), Milestone.owner_id == user_id))
    escalated = (select(func.count()).select_from(Milestone)
                 .join(Procurement, Procurement.id == Milestone.procurement_id)
                 .join(owner, and_(owner.id == Milestone.owner_id, owner.active.is_(True)))
                 .where(*unmet("overdue"), Procurement.lead_officer_id == user_id, Milestone.owner_id != user_id,
                        func.lower(func.trim(owner.email)) != bindparam("email", type_=String)))
    return select(own.scalar_subquery(), escalated.scalar_subquery())


def owned_milestones(user: User) -> list[MilestoneDue]:
    """All of ``user``'s milestones with a planned date, met or not (for the calendar feed); not the
    ones a procurement will never reach."""
    lead = aliased(User, name="lead")
    return _milestones(
        select(
            Milestone.id, Milestone.procurement_id, Procurement.reference, Procurement.title,
            Milestone.title, Milestone.planned_date, User.email, User.name, lead.email, lead.name,
            Milestone.status, func.coalesce(User.reminder_notice_days, DEFAULT_NOTICE_DAYS),
        )
        .join(Procurement, Procurement.id == Milestone.procurement_id)
        .join(User, User.id == Milestone.owner_id)
        .outerjoin(lead, lead.id == Procurement.lead_officer_id)
        .where(Milestone.owner_id == user.id, Milestone.planned_date.is_not(None),
               Milestone.status != NOT_APPLICABLE)
    )


# --------------------------------------------------------------------------
# Claiming


def _chunks(items: Sequence, size: int = _BATCH) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert_claims(items: Sequence[rules.ReminderItem], me: str, now: datetime) -> set[str]:
    """INSERT ... ON CONFLICT DO NOTHING, in key order; return the keys this runner inserted.

    No commit: the caller commits once the digest's claims are complete.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - Tender supports SQLite and PostgreSQL only
        raise RuntimeError(f"reminders need PostgreSQL or SQLite, not {dialect}")
    won: set[str] = set()
    for batch in _chunks(sorted(items, key=lambda i: i.key)):
        rows = [
            {"key": item.key, "milestone_id": item.milestone.milestone_id,
             "recipient": item.key.split(":", 3)[3], "kind": item.kind,
             "planned_date": item.milestone.planned_date, "status": CLAIMED, "attempts": 0,
             "claimed_by": me, "claimed_at": now}
            for item in batch
        ]
        statement = (insert(ReminderSent).values(rows)
                     .on_conflict_do_nothing(index_elements=["key"]).returning(ReminderSent.key))
        won.update(db.session.scalars(statement))
    return won


def _retry_condition(now: datetime, stale_after: timedelta):
    return or_(ReminderSent.status == FAILED,
               and_(ReminderSent.status == CLAIMED, ReminderSent.claimed_at < now - stale_after))


def _reclaim(keys: Sequence[str], me: str, now: datetime, stale_after: timedelta) -> set[str]:
    """Take over failed (or abandoned) rows among ``keys``; return the keys taken. No commit."""
    won: set[str] = set()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for batch in _chunks(sorted(keys)):
        if postgres:
            # SKIP LOCKED: rows a parallel runner is taking over right now are
            # skipped (it will send them), not waited for.
            taken = list(db.session.scalars(
                select(ReminderSent.key)
                .where(ReminderSent.key.in_(batch), _retry_condition(now, stale_after))
                .order_by(ReminderSent.key)
                .with_for_update(skip_locked=True)
            ))
            if taken:
                db.session.execute(
                    update(ReminderSent).where(ReminderSent.key.in_(taken))
                    .values(status=CLAIMED, claimed_by=me, claimed_at=now)
                    .execution_options(synchronize_session=False)
                )
            won.update(taken)
        else:
            # SQLite has no row locks (a writer locks the database); the
            # status guard plus rowcount says whether this runner won the row.
            candidates = list(db.session.scalars(
                select(ReminderSent.key).where(ReminderSent.key.in_(batch), _retry_condition(now, stale_after))
            ))
            for key in candidates:
                result = db.session.execute(
                    update(ReminderSent).where(ReminderSent.key == key, _retry_condition(now, stale_after))
                    .values(status=CLAIMED, claimed_by=me, claimed_at=now)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:
                    won.add(key)
    return won


def _claim(digests: Sequence[Digest], me: str, now: datetime, stale_after: timedelta) -> set[str]:
    """Claim what this runner will send, one transaction per digest; return the keys won.

    Digest by digest, so that one person's reminders normally go out in one
    e-mail even when two runners share the work; starting at a random digest,
    so that two runners started together mostly claim different people
    instead of queueing behind each other. Within a transaction keys are
    claimed in sorted order, so two runners cannot deadlock.
    """
    won: set[str] = set()
    if not digests:
        return won
    start = random.randrange(len(digests))
    for digest in [*digests[start:], *digests[:start]]:
        with step():
            mine = _insert_claims(digest.items, me, now)
            mine |= _reclaim([k for k in digest.keys if k not in mine], me, now, stale_after)
        won |= mine
    return won


def _recorded(keys: Sequence[str]) -> dict[str, tuple[str, datetime]]:
    """key -> (status, claimed_at in UTC) for the rows that exist among ``keys`` (read-only)."""
    found: dict[str, tuple[str, datetime]] = {}
    for batch in _chunks(sorted(keys)):
        for key, status, claimed_at in db.session.execute(
            select(ReminderSent.key, ReminderSent.status, ReminderSent.claimed_at)
            .where(ReminderSent.key.in_(batch))
        ):
            # SQLite hands back naive datetimes; they were written in UTC.
            if claimed_at.tzinfo is None:
                claimed_at = claimed_at.replace(tzinfo=timezone.utc)
            found[key] = (status, claimed_at)
    return found


def _retryable(status: str, claimed_at: datetime, now: datetime, stale_after: timedelta) -> bool:
    return status == FAILED or (status == CLAIMED and claimed_at < now - stale_after)


# --------------------------------------------------------------------------
# Running


@dataclass(frozen=True)
class DigestOutcome:
    """One digest: to whom, what it held, and whether it went."""

    recipient: str
    overdue: int
    due_soon: int
    escalations: int
    keys: tuple[str, ...]
    error: str | None = None
    subject: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def summary(self) -> str:
        """"2 overdue, 1 due soon, 1 escalated" (kinds with none left out)."""
        parts = []
        if self.overdue:
            parts.append(f"{self.overdue} overdue")
        if self.due_soon:
            parts.append(f"{self.due_soon} due soon")
        if self.escalations:
            parts.append(f"{self.escalations} escalated")
        return ", ".join(parts)


@dataclass(frozen=True)
class RunReport:
    """What one run did. ``exit_code`` is 0 when everything it tried went out."""

    as_of: date
    dry_run: bool
    runner: str
    planned: int  # reminders due on as_of, including ones sent before
    already_sent: int
    elsewhere: int  # claimed by another runner that is still working on them
    outcomes: tuple[DigestOutcome, ...] = field(default=())

    @property
    def sent(self) -> tuple[DigestOutcome, ...]:
        return tuple(o for o in self.outcomes if o.ok)

    @property
    def failed(self) -> tuple[DigestOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def _outcome(digest: Digest, error: str | None = None, subject: str | None = None) -> DigestOutcome:
    return DigestOutcome(
        recipient=digest.recipient_email, overdue=digest.count("overdue"), due_soon=digest.count("due_soon"),
        escalations=digest.count("escalation"), keys=digest.keys, error=error, subject=subject,
    )


def run(as_of: date, dry_run: bool, settings: MailSettings, base_url: str, *,
        stale_after: timedelta | None = None, runner: str | None = None) -> RunReport:
    """Send every reminder due on ``as_of`` that no run has sent yet (see module docstring).

    ``dry_run`` reads only: it reports the digests this run would send (keys
    not yet sent and not being sent by another runner) and writes nothing,
    neither claims nor audit events nor mail. Raises :class:`MailConfigError`
    before claiming anything if the settings cannot send mail.
    """
    me = runner or runner_id()
    if stale_after is None:  # TENDER_JOB_STALE_SECONDS, as for background jobs, else 30 minutes
        from tender.services.jobs import configured_stale

        stale_after = configured_stale() or STALE_AFTER
    digests = plan(as_of)
    items = [item for digest in digests for item in digest.items]
    keys = [item.key for item in items]

    if dry_run:
        now = _now()
        recorded = _recorded(keys)
        skip = {k for k, (status, at) in recorded.items() if not _retryable(status, at, now, stale_after)}
        todo = rules.exclude_sent(digests, skip)
        db.session.rollback()  # read only: end the read transaction
        return RunReport(
            as_of=as_of, dry_run=True, runner=me, planned=len(keys),
            already_sent=sum(1 for status, _ in recorded.values() if status == SENT),
            elsewhere=sum(1 for k in skip if recorded[k][0] == CLAIMED),
            outcomes=tuple(_outcome(d) for d in todo),
        )

    if not settings.default_sender:
        raise MailConfigError("MAIL_DEFAULT_SENDER", "is not set, so e-mails would have no sender")

    now = _now()
    mine = _claim(digests, me, now, stale_after)
    recorded = _recorded([k for k in keys if k not in mine])
    already_sent = sum(1 for status, _ in recorded.values() if status == SENT)
    elsewhere = len(recorded) - already_sent

    todo = rules.exclude_sent(digests, _NotIn(mine))
    job = _Digests(todo, as_of, settings, base_url, me)
    outbox.deliver(job, settings)
    outcomes = job.outcomes

    return RunReport(as_of=as_of, dry_run=False, runner=me, planned=len(keys), already_sent=already_sent,
                     elsewhere=elsewhere, outcomes=tuple(outcomes))


class _Digests(outbox.Delivery):
    """The digests this run claimed, sent one at a time and each recorded before the next (``outbox``)."""

    def __init__(self, todo: list[Digest], as_of: date, settings: MailSettings, base_url: str, me: str):
        self.todo, self.as_of, self.settings, self.base_url, self.me = list(todo), as_of, settings, base_url, me
        self.outcomes: list[DigestOutcome] = []

    def claim_next(self) -> Digest | None:
        return self.todo.pop(0) if self.todo else None  # claimed in bulk by ``_claim`` before sending starts

    def build(self, digest: Digest):
        message = build_digest_message(digest, self.settings, self.base_url)
        message[KEYS_HEADER] = " ".join(digest.keys)
        return message

    def record(self, digest: Digest, result) -> None:
        actor = audit.Actor.system(ACTOR)
        where = (ReminderSent.key.in_(digest.keys), ReminderSent.claimed_by == self.me,
                 ReminderSent.status == CLAIMED)
        if result.ok:
            db.session.execute(
                update(ReminderSent).where(*where)
                .values(status=SENT, sent_at=_now(), attempts=ReminderSent.attempts + 1, last_error=None)
                .execution_options(synchronize_session=False)
            )
            audit.record(actor, "reminder.sent", "reminder", digest.recipient_email,
                         after={"recipient": digest.recipient_email, "keys": list(digest.keys),
                                "as_of": self.as_of, "subject": str(result.message["Subject"])})
            self.outcomes.append(_outcome(digest, subject=str(result.message["Subject"])))
        else:
            error = str(result.error)
            db.session.execute(
                update(ReminderSent).where(*where)
                .values(status=FAILED, attempts=ReminderSent.attempts + 1, last_error=error[:4000])
                .execution_options(synchronize_session=False)
            )
            audit.record(actor, "reminder.failed", "reminder", digest.recipient_email,
                         after={"recipient": digest.recipient_email, "keys": list(digest.keys),
                                "as_of": self.as_of}, reason=error)
            self.outcomes.append(_outcome(digest, error=error))


class _NotIn:
    """A container holding every key *not* in ``keys`` (for ``exclude_sent``)."""

    def __init__(self, keys: set[str]):
        self._keys = keys

    def __contains__(self, key: object) -> bool:
        return key not in self._keys


@use_case
def reset_calendar_token(user: User, actor: audit.Actor) -> str:
    """Give ``user`` a new calendar feed token (the old URL stops working); audited."""
    import secrets

    user.calendar_token = secrets.token_urlsafe(32)
    audit.record(actor, "user.calendar_token_reset", "user", user.id,
                 after={"email": user.email}, reason="Calendar subscription link reset")
    return user.calendar_token


MAX_NOTICE_DAYS = 30


@use_case
def set_notice_period(user: User, working_days: int, actor: audit.Actor) -> None:
    """How many working days ahead ``user`` wants reminders (1 to 30); audited."""
    if not 1 <= working_days <= MAX_NOTICE_DAYS:
        raise InvalidRequest(f"Enter a number of working days from 1 to {MAX_NOTICE_DAYS}.")
    before = user.reminder_notice_days
    user.reminder_notice_days = working_days
    audit.record(actor, "user.notice_period_set", "user", user.id, before={"notice_working_days": before},
                 after={"notice_working_days": working_days})


def find_calendar_user(token: str) -> User | None:
    """The active user whose calendar token is ``token``, compared in constant time."""
    import hmac

    if not token or len(token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.calendar_token == token))
    # The lookup narrows to one row by index; the final comparison is constant
    # time so that the answer does not depend on how much of the token matched.
    if user is None or not user.active or not hmac.compare_digest(
            (user.calendar_token or "").encode(), token.encode()):
        return None
    return user

