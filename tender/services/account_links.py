"""One-time links: the one mechanism for invitations, password resets and e-mail checks.

A link is a random token in a URL e-mailed to one person. Only the token's
SHA-256 is stored (``AccountLink``), with its purpose, whose it is, when it
expires and when it was used; a link works once, before it expires, and for
its own purpose only.

How to use it
-------------
*Send a link by e-mail* (from a use case, inside its transaction)::

    from tender.services import account_links
    account_links.send(user, "invite", by=admin)

This only queues a job (kind ``account.link.send``); ``tender worker``
issues the token and e-mails the link (``PURPOSES[purpose].path`` on
``BASE_URL``) through ``tender.services.outbox``. The raw token never reaches
the database, not even the job's payload.

*Issue a token yourself* (tests, or a caller that mails it another way)::

    token = account_links.issue(user, "verify")          # default lifetime of the purpose
    token = account_links.issue(user, "reset", timedelta(minutes=30))

*Redeem a link* in the use case that acts on it (the same transaction, so
the link is spent only if the change commits)::

    user = account_links.redeem(token, "invite")   # raises LinkRefused (400) if unknown, used or expired

``check(token, purpose)`` answers the same question without spending the
link (for the page that shows the form). Redeeming a link also spends every
other unused link of the same purpose for that user.

Purposes: ``invite`` (set a first password, 7 days), ``reset`` (password
reset, 1 hour), ``verify`` (e-mail verification, 2 days). Each purpose's
e-mail wording and link path are in :data:`PURPOSES`; a new purpose needs a
row there, in ``tender.models.account_link.PURPOSES`` and in the CHECK
constraint (a migration).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from flask import current_app
from sqlalchemy import select, update

from tender.extensions import db
from tender.mail import MailConfigError, SendResult
from tender.models import AccountLink, User
from tender.services import audit, clock, jobs, outbox
from tender.services.errors import InvalidRequest

JOB_KIND = "account.link.send"


@dataclass(frozen=True)
class Purpose:
    """What a link of one purpose is for: how long it lasts, where it leads, what its e-mail says."""

    lifetime: timedelta
    path: str  # on BASE_URL; {token} is replaced by the raw token
    subject: str
    text: str  # the e-mail's body before the link; {name} is the person's name


PURPOSES: dict[str, Purpose] = {
    "invite": Purpose(timedelta(days=7), "/account/set-password/{token}", "You have been invited to use Tender",
                      "Dear {name},\n\nYou have been given an account on Tender, the procurement and "
                      "evaluation service. To start, choose your own password by following this link:"),
    "reset": Purpose(timedelta(hours=1), "/account/reset-password/{token}", "Reset your Tender password",
                     "Dear {name},\n\nSomeone (we hope you) asked to reset the password of your Tender "
                     "account. To choose a new password, follow this link:"),
    "verify": Purpose(timedelta(days=2), "/account/verify/{token}", "Confirm your e-mail address for Tender",
                      "Dear {name},\n\nTo confirm that this e-mail address is yours, follow this link:"),
}


class LinkRefused(InvalidRequest):
    """The link is unknown, already used, expired, or for something else."""


def _digest(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _purpose(purpose: str) -> Purpose:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown one-time link purpose {purpose!r}.")
    return PURPOSES[purpose]


def issue(user: User, purpose: str, lifetime: timedelta | None = None) -> str:
    """Store a new link for ``user`` (in the caller's transaction) and return its raw token.

    ``lifetime`` defaults to the purpose's; a reset link never lasts more than an hour.
    """
    spec = _purpose(purpose)
    lifetime = lifetime or spec.lifetime
    if purpose == "reset":
        lifetime = min(lifetime, PURPOSES["reset"].lifetime)
    if lifetime <= timedelta(0):
        raise ValueError("A link's lifetime must be positive.")
    token = secrets.token_urlsafe(32)
    now = clock.wall_now()
    db.session.add(AccountLink(token_sha256=_digest(token), purpose=purpose, user_id=user.id, created_at=now,
                               expires_at=now + lifetime))
    db.session.flush()
    return token


def _find(token: str, purpose: str) -> AccountLink:
    """The live link for this token and purpose, or LinkRefused saying why not."""
    _purpose(purpose)
    wanted = _digest(token)
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_sha256 == wanted))
    # compare_digest on the stored value too, so nothing below depends on how the index compared.
    if link is None or not hmac.compare_digest(link.token_sha256, wanted) or link.purpose != purpose:
        raise LinkRefused("This link is not recognised. Check that you copied the whole link from the e-mail, "
                          "or ask for a new one.")
    if link.used_at is not None:
        raise LinkRefused("This link has already been used. Each link works once: ask for a new one.")
    if _aware(link.expires_at) <= clock.wall_now():
        raise LinkRefused("This link has expired. Ask for a new one.")
    if not link.user.active:
        raise LinkRefused("This account is deactivated. Ask an administrator.")
    return link


def check(token: str, purpose: str) -> User:
    """The user a live link belongs to, without spending it (LinkRefused if it cannot be used)."""
    return _find(token, purpose).user


def redeem(token: str, purpose: str) -> User:
    """Spend the link (compare-and-set, in the caller's transaction) and return its user.

    Two people pressing the same link at once: one wins, the other is told
    the link has been used. The user's other unused links of this purpose are
    spent too, so an older reset e-mail stops working once one is used.
    """
    link = _find(token, purpose)
    now = clock.wall_now()
    won = db.session.execute(update(AccountLink).where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
                             .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        raise LinkRefused("This link has already been used. Each link works once: ask for a new one.")
    db.session.execute(update(AccountLink).where(AccountLink.user_id == link.user_id, AccountLink.purpose == purpose,
                                                 AccountLink.used_at.is_(None))
                       .values(used_at=now).execution_options(synchronize_session=False))
    db.session.refresh(link)
    return link.user


def send(user: User, purpose: str, *, by: User | None = None, lifetime: timedelta | None = None):
    """Queue the e-mail carrying a new link (the worker issues the token and sends it); returns the job.

    Call inside a use case. Pressing twice before the worker runs queues one e-mail.
    """
    _purpose(purpose)
    payload = {"user_id": user.id, "purpose": purpose}
    if lifetime is not None:
        payload["lifetime_seconds"] = int(lifetime.total_seconds())
    return jobs.enqueue(JOB_KIND, payload=payload, dedupe_key=f"{JOB_KIND}:{purpose}:{user.id}",
                        user=by)


def link_url(purpose: str, token: str) -> str:
    """The full address of a link, on ``BASE_URL``."""
    return current_app.config["BASE_URL"].rstrip("/") + _purpose(purpose).path.format(token=token)


def build_message(user: User, purpose: str, token: str, sender: str) -> EmailMessage:
    """The plain-text e-mail carrying a link."""
    spec = _purpose(purpose)
    expires = "1 hour" if spec.lifetime <= timedelta(hours=1) else f"{spec.lifetime.days} days"
    body = (spec.text.format(name=user.name) + f"\n\n{link_url(purpose, token)}\n\n"
            f"The link works once and expires in {expires}. If you did not expect this e-mail, you can "
            f"ignore it: nothing changes unless the link is used.\n\nTender\n")
    message = EmailMessage()
    message["Subject"] = spec.subject
    message["From"] = sender
    message["To"] = formataddr((user.name, user.email))
    message["Date"] = formatdate(clock.wall_now().timestamp(), usegmt=True)
    # Derived from the token (not its secret: a digest of its digest), so a copy re-sent after a crash folds into
    # the first, as the other e-mails do, and no clock is read here.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "tender.invalid"
    message["Message-ID"] = f"<tender-account-{purpose}-{_digest(_digest(token))[:24]}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


class _LinkDelivery(outbox.Delivery):
    """One link, one e-mail: the token is issued in the claim step and mailed once."""

    def __init__(self, run: jobs.Run, sender: str):
        self.run, self.sender, self.sent = run, sender, False

    def claim_next(self):
        if self.sent:
            return None
        self.sent = True
        user = db.session.get(User, self.run.payload["user_id"])
        if user is None or not user.active:
            return None
        seconds = self.run.payload.get("lifetime_seconds")
        purpose = self.run.payload["purpose"]
        token = issue(user, purpose, timedelta(seconds=seconds) if seconds else None)
        return (user.id, user.email, build_message(user, purpose, token, self.sender))

    def build(self, item):
        return item[2]

    def record(self, item, result: SendResult) -> None:
        if not result.ok:
            raise result.error  # the job is retried; the unused link simply expires
        audit.record(audit.Actor.system("tender worker"), "account.link_sent", "user", item[0],
                     after={"purpose": self.run.payload["purpose"], "email": item[1]})


@jobs.handler(JOB_KIND)
def _send_link(run: jobs.Run) -> None:
    settings = run.settings()
    if not settings.default_sender:
        raise MailConfigError("MAIL_DEFAULT_SENDER", "is not set, so e-mails would have no sender")
    outbox.deliver(_LinkDelivery(run, settings.default_sender), settings)
